package org.jitmem.link.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.MemoryMapper;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.Linker;
import org.jitmem.link.ObjectFile;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The container's {@code link} mode, like {@code llvm-jitlink}: when the framework property {@value #MODE_PROPERTY}
 * is {@code link}, selects the backend named by {@value #BACKEND_PROPERTY} (the best one when empty), points the
 * executor's standard streams at the container's, loads the objects named by {@value #OBJECTS_PROPERTY}, runs their
 * {@code main} with the arguments of {@value #ARGUMENTS_PROPERTY} (both one per line), unloads them, leaves main's
 * value (or 1 when linking failed, with the reason on standard error) in the system property {@value #EXIT_PROPERTY}
 * and stops the framework.
 */
@Component(service = {}, immediate = true)
public final class LinkLauncher
{
    /** Framework property selecting the run mode. */
    public static final String MODE_PROPERTY = "jitmem.mode";
    /** Framework property: the backend type to run on, empty for the best one. */
    public static final String BACKEND_PROPERTY = "jitmem.link.backend";
    /** Framework property: the object files, one per line. */
    public static final String OBJECTS_PROPERTY = "jitmem.link.objects";
    /** Framework property: main's arguments after {@code argv[0]}, one per line. */
    public static final String ARGUMENTS_PROPERTY = "jitmem.link.arguments";
    /** System property in which the exit status is left before the framework stops. */
    public static final String EXIT_PROPERTY = "jitmem.link.exit";

    private static final Duration BACKEND_WAIT = Duration.ofSeconds(60);
    private static final long RUN_TIMEOUT_SECONDS = TimeUnit.HOURS.toSeconds(1);
    private static final long JOIN_MILLIS = 5000;

    private final Thread runner;

    /**
     * @param context  this bundle's context
     * @param selector the backend selection
     * @param linker   the linker service
     */
    @Activate
    public LinkLauncher(final BundleContext context, @Reference final BackendSelector selector,
        @Reference final Linker linker)
    {
        if ("link".equals(context.getProperty(MODE_PROPERTY)))
        {
            runner = new Thread(() -> runAndStop(context, selector, linker), "jitmem-link");
            runner.start();
        }
        else
        {
            runner = null;
        }
    }

    /** Interrupts a run still going and waits, bounded, for it to end. */
    @Deactivate
    void deactivate()
    {
        if (runner != null && runner != Thread.currentThread())
        {
            runner.interrupt();
            try
            {
                runner.join(JOIN_MILLIS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void runAndStop(final BundleContext context, final BackendSelector selector, final Linker linker)
    {
        int status;
        try
        {
            status = run(context, selector, linker);
        }
        catch (final RuntimeException | InterruptedException ex)
        {
            System.err.println("jitmem link: " + ex.getMessage());
            status = 1;
        }
        System.out.flush();
        System.setProperty(EXIT_PROPERTY, Integer.toString(status));
        try
        {
            context.getBundle(0).stop();
        }
        catch (final BundleException | IllegalStateException ex)
        {
            System.err.println("jitmem link: stopping the framework failed: " + ex);
        }
    }

    private static int run(final BundleContext context, final BackendSelector selector, final Linker linker)
        throws InterruptedException
    {
        final String backend = lines(context.getProperty(BACKEND_PROPERTY)).stream().findFirst().orElse("");
        selector.pin(backend);
        final long deadline = System.nanoTime() + BACKEND_WAIT.toNanos();
        while (!selected(selector, backend))
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("backend not available: backend=" +
                    (backend.isEmpty() ? "any" : backend) + " waited=" + BACKEND_WAIT.toSeconds() + "s");
            }
            Thread.sleep(20);
        }
        await(linker.shareStandardStreams());
        final List<String> files = lines(context.getProperty(OBJECTS_PROPERTY));
        final List<ObjectFile> objects = new ArrayList<>();
        for (final String file : files)
        {
            objects.add(ObjectFile.read(Path.of(file)));
        }
        final LoadedModule module = await(linker.load(Path.of(files.get(0)).getFileName().toString(), objects,
            Map.of()));
        try
        {
            return await(module.runMain(lines(context.getProperty(ARGUMENTS_PROPERTY))));
        }
        finally
        {
            await(module.unload());
        }
    }

    private static boolean selected(final BackendSelector selector, final String backend)
    {
        final SlabMemoryManager manager = selector.selected().orElse(null);
        return manager != null && (backend.isEmpty() || manager.mapper().type().equals(backend));
    }

    private static List<String> lines(final String text)
    {
        return text == null || text.isEmpty() ? List.of() : List.of(text.split("\n", -1));
    }

    private static <T> T await(final CompletionStage<T> stage)
    {
        return MemoryMapper.await(stage.toCompletableFuture().orTimeout(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }
}
