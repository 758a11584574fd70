package org.jitmem.container;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * One Felix framework with the embedded bundles, its storage in a fresh temporary directory that {@link #close}
 * deletes. {@link #close} is the one release path: idempotent, safe to call from a shutdown hook while the main
 * thread is closing too.
 */
final class FelixContainer implements AutoCloseable
{
    /** Service property with the command-line arguments, a {@code String[]}. */
    static final String LAUNCHER_ARGUMENTS = "launcher.arguments";
    /**
     * System and framework property naming the container's state directory, kept across runs (the log, the Web
     * Console's credentials); {@code ~/.jitmem} when not set. Felix's own storage is per run and not in it.
     */
    static final String STATE_DIRECTORY = "jitmem.state";

    private static final System.Logger LOG = System.getLogger(FelixContainer.class.getName());
    private static final long STOP_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(30);

    private final Path workDirectory;
    private final Framework framework;
    private final PrintStream out;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    private FelixContainer(final Path workDirectory, final Framework framework, final PrintStream out)
    {
        this.workDirectory = workDirectory;
        this.framework = framework;
        this.out = out;
    }

    /**
     * Creates the work directory, starts Felix, installs every embedded bundle and starts each one that is not a
     * fragment. A bundle that cannot start (for example one meant for another platform) is reported and skipped.
     * The command-line arguments are published before any bundle starts, as the {@value #LAUNCHER_ARGUMENTS}
     * property of a service of the system bundle, as bnd's launcher does.
     *
     * @param properties framework properties to add
     * @param arguments  the command-line arguments
     * @param bundles    the bundles to install
     * @param out        where messages for the user go (progress goes to the log)
     * @return the running container
     */
    static FelixContainer start(final Map<String, String> properties, final List<String> arguments,
        final List<EmbeddedBundles.EmbeddedBundle> bundles, final PrintStream out)
    {
        final Path workDirectory = createWorkDirectory();
        final Map<String, String> config = new HashMap<>(properties);
        config.put(Constants.FRAMEWORK_STORAGE, workDirectory.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.putIfAbsent(STATE_DIRECTORY, createStateDirectory().toString());
        ContainerLogging.configure(config, Path.of(config.get(STATE_DIRECTORY)));
        System.setProperty("jna.tmpdir", workDirectory.resolve("jna").toString());

        final FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
            .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        final Framework framework = factory.newFramework(config);
        final FelixContainer container = new FelixContainer(workDirectory, framework, out);
        try
        {
            framework.init();
            framework.getBundleContext().registerService(Object.class, new Object(),
                new Hashtable<>(Map.of(LAUNCHER_ARGUMENTS, arguments.toArray(String[]::new))));
            final List<Bundle> installed = container.install(bundles);
            framework.start();
            container.startAll(installed);
            LOG.log(System.Logger.Level.INFO, "Felix started: workDirectory={0} bundles={1}", workDirectory,
                installed.size());
            return container;
        }
        catch (final BundleException | RuntimeException ex)
        {
            container.close();
            throw new IllegalStateException("framework did not start: " + ex.getMessage(), ex);
        }
    }

    /** @return the system bundle's context */
    BundleContext systemContext()
    {
        return framework.getBundleContext();
    }

    /**
     * @param timeoutMillis how long to wait, 0 for ever
     * @return true when the framework has stopped
     */
    boolean awaitStop(final long timeoutMillis)
    {
        try
        {
            return framework.waitForStop(timeoutMillis).getType() != FrameworkEvent.WAIT_TIMEDOUT;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the framework if it still runs, waits for it, and deletes the work directory. */
    @Override
    public void close()
    {
        if (!closing.compareAndSet(false, true))
        {
            awaitClosed();
            return;
        }
        try
        {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) != 0)
            {
                LOG.log(System.Logger.Level.INFO, "stopping Felix");
                framework.stop();
                if (!awaitStop(STOP_TIMEOUT_MILLIS))
                {
                    LOG.log(System.Logger.Level.WARNING, "Felix did not stop in time: timeoutMillis=" +
                        STOP_TIMEOUT_MILLIS);
                }
            }
        }
        catch (final BundleException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "stopping Felix failed: " + ex.getMessage());
        }
        finally
        {
            deleteRecursively(workDirectory);
            LOG.log(System.Logger.Level.INFO, "removed the work directory: directory=" + workDirectory);
            closed.countDown();
        }
    }

    private void awaitClosed()
    {
        try
        {
            if (!closed.await(2 * STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
            {
                LOG.log(System.Logger.Level.WARNING, "container still closing: waitedMillis=" +
                    2 * STOP_TIMEOUT_MILLIS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private List<Bundle> install(final List<EmbeddedBundles.EmbeddedBundle> bundles) throws BundleException
    {
        final BundleContext context = framework.getBundleContext();
        final List<Bundle> installed = new ArrayList<>();
        for (final EmbeddedBundles.EmbeddedBundle bundle : bundles)
        {
            installed.add(context.installBundle(bundle.location(), new ByteArrayInputStream(bundle.content())));
        }
        return installed;
    }

    /**
     * Starts the bundles that carry the log first, so that every line of the others reaches it; the lines of the
     * start are written once it is up.
     */
    private void startAll(final List<Bundle> installed)
    {
        final List<Runnable> lines = new ArrayList<>();
        for (final Bundle bundle : ContainerLogging.loggingFirst(installed))
        {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null)
            {
                continue;
            }
            try
            {
                bundle.start();
                lines.add(() -> LOG.log(System.Logger.Level.INFO, "started " + describe(bundle)));
            }
            catch (final BundleException ex)
            {
                lines.add(() -> LOG.log(System.Logger.Level.WARNING, "not started " + describe(bundle) + ": " +
                    ex.getMessage()));
            }
        }
        lines.forEach(Runnable::run);
    }

    /**
     * @param bundle a bundle
     * @return symbolic name and version
     */
    static String describe(final Bundle bundle)
    {
        return bundle.getSymbolicName() + " " + bundle.getVersion();
    }

    private static Path createWorkDirectory()
    {
        try
        {
            return Files.createTempDirectory("jitmem-container-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the work directory: " + ex.getMessage(), ex);
        }
    }

    /** @return the state directory, created 0700 when missing: {@value #STATE_DIRECTORY}, else {@code ~/.jitmem} */
    static Path createStateDirectory()
    {
        final Path directory = Path.of(System.getProperty(STATE_DIRECTORY,
            Path.of(System.getProperty("user.home"), ".jitmem").toString())).toAbsolutePath();
        try
        {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
            return directory;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the state directory: directory=" + directory + " " +
                ex.getMessage(), ex);
        }
    }

    private void deleteRecursively(final Path root)
    {
        try
        {
            Files.walkFileTree(root, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
                {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(final Path dir, final IOException ex) throws IOException
                {
                    if (ex != null)
                    {
                        throw ex;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot delete the work directory: directory=" + root + " error=" +
                ex);
        }
    }
}
