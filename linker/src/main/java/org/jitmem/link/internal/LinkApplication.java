package org.jitmem.link.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.MemoryMapper;
import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.ObjectFile;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The container's {@code link} mode, like {@code llvm-jitlink}: {@code link [--backend type] a.o [b.o...] [-- args...]}
 * selects the backend of that type (the best one without {@code --backend}), points the executor's standard streams at
 * the container's, loads the objects as one module, runs their {@code main} with the arguments after {@code --},
 * unloads them and returns main's value; 1 when linking failed (the reason on standard error), 2 for a usage error.
 * Present only while the launcher's arguments (the {@code launcher.arguments} property of its service, as bnd's
 * launcher publishes them) start with {@code link}, as a {@code Callable<Integer>} with {@code main.thread=true} that
 * the launcher calls on its main thread.
 */
@Component(service = Callable.class, property = "main.thread=true")
public final class LinkApplication implements Callable<Integer>
{
    /** The first argument that selects this application. */
    static final String MODE = "link";

    private static final String USAGE =
        "usage: java -jar jitmem-container.jar link [--backend inprocess|posix-shm] a.o [b.o...] [-- args...]";
    private static final Duration BACKEND_WAIT = Duration.ofSeconds(60);
    private static final long RUN_TIMEOUT_SECONDS = TimeUnit.HOURS.toSeconds(1);
    private static final int EXIT_FAILURE = 1;
    private static final int EXIT_USAGE = 2;

    private final List<String> arguments;
    private final BackendSelector selector;
    private final Linker linker;

    /**
     * @param launcher the launcher's service properties, its arguments among them
     * @param selector the backend selection
     * @param linker   the linker service
     */
    @Activate
    public LinkApplication(@Reference(service = Object.class, target = "(launcher.arguments=" + MODE + ")")
        final Map<String, Object> launcher, @Reference final BackendSelector selector, @Reference final Linker linker)
    {
        this.arguments = launcher.get("launcher.arguments") instanceof String[] given ? List.of(given) : List.of();
        this.selector = selector;
        this.linker = linker;
    }

    /** @return main's value, 1 when linking failed, 2 for a usage error */
    @Override
    public Integer call()
    {
        final Command command = Command.parse(arguments);
        if (command == null)
        {
            System.err.println(USAGE);
            return EXIT_USAGE;
        }
        try
        {
            return run(command);
        }
        catch (final RuntimeException ex)
        {
            System.err.println("jitmem link: " + ex.getMessage());
            return EXIT_FAILURE;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            System.err.println("jitmem link: interrupted");
            return EXIT_FAILURE;
        }
        finally
        {
            System.out.flush();
        }
    }

    private int run(final Command command) throws InterruptedException
    {
        selector.pin(command.backend());
        final long deadline = System.nanoTime() + BACKEND_WAIT.toNanos();
        while (!selected(command.backend()))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("backend not available: backend=" +
                    (command.backend().isEmpty() ? "any" : command.backend()) + " waited=" +
                    BACKEND_WAIT.toSeconds() + "s");
            }
            Thread.sleep(20);
        }
        await(linker.shareStandardStreams());
        final List<ObjectFile> objects = new ArrayList<>();
        for (final String file : command.objects())
        {
            objects.add(ObjectFile.read(Path.of(file)));
        }
        final LoadedModule module = await(linker.load(Path.of(command.objects().get(0)).getFileName().toString(),
            objects, Map.of()));
        try
        {
            return await(module.runMain(command.arguments()));
        }
        finally
        {
            await(module.unload());
        }
    }

    private boolean selected(final String backend)
    {
        final SlabMemoryManager manager = selector.selected().orElse(null);
        return manager != null && (backend.isEmpty() || manager.mapper().type().equals(backend));
    }

    private static <T> T await(final CompletionStage<T> stage)
    {
        return MemoryMapper.await(stage.toCompletableFuture().orTimeout(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    /**
     * The command line after {@code link}.
     *
     * @param backend   the backend type, empty for the best one
     * @param objects   the object files
     * @param arguments main's arguments after {@code argv[0]}
     */
    record Command(String backend, List<String> objects, List<String> arguments)
    {
        /**
         * @param line the launcher's arguments, {@code link} first
         * @return the command, or null when the line is not one
         */
        static Command parse(final List<String> line)
        {
            if (line.isEmpty() || !MODE.equals(line.get(0)))
            {
                return null;
            }
            final int separator = line.indexOf("--");
            final List<String> options = line.subList(1, separator < 0 ? line.size() : separator);
            String backend = "";
            final List<String> objects = new ArrayList<>();
            for (int i = 0; i < options.size(); i++)
            {
                if ("--backend".equals(options.get(i)))
                {
                    if (i + 1 == options.size())
                    {
                        return null;
                    }
                    backend = options.get(++i);
                }
                else
                {
                    objects.add(Path.of(options.get(i)).toAbsolutePath().toString());
                }
            }
            return objects.isEmpty() ? null : new Command(backend, objects,
                separator < 0 ? List.of() : List.copyOf(line.subList(separator + 1, line.size())));
        }
    }
}
