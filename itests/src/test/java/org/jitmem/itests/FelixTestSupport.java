package org.jitmem.itests;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.machine.ProcMaps;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.testsupport.Await;
import org.junit.Before;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.namespace.NativeNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The one place that says what a test framework runs: Felix with every bundle that the build copied into the
 * bundles directory (SCR and its dependencies, Config Admin, Gogo, JNA and the jitmem bundles), plus Pax Exam's own
 * bundles from the classpath. Bundles that carry an {@code osgi.native} requirement are platform specific: they are
 * installed, and started before each test only where the framework's platform meets the requirement, so a Windows
 * bundle stays installed on Linux and the Linux backends stay installed in a framework that claims Windows
 * ({@link #frameworkOsName()}). Also the lookups the tests share.
 */
public abstract class FelixTestSupport
{
    /** Generous bound for anything asynchronous in the framework: service registration, bundle stop. */
    protected static final long TIMEOUT_MILLIS = Await.TIMEOUT_MILLIS;

    private static final String MEMFD_NAME = "jitmem-shm";
    /** The name of a named shared memory object of the shared-memory backend. */
    private static final Pattern SHARED_MEMORY_OBJECT = Pattern.compile("jitmem-[0-9a-f]{22}");
    private static final Path DEV_SHM = Paths.get("/dev/shm");
    private static final String BUNDLES_DIRECTORY = "jitmem.itest.bundles";
    private static final String WORK_DIRECTORY = "jitmem.itest.work";
    private static final String JNA_TMPDIR = "jna.tmpdir";

    /**
     * @return the framework every test class runs in
     */
    @Configuration
    public Option[] config()
    {
        final String osName = frameworkOsName();
        return new Option[]{
            osName == null ? composite() : frameworkProperty(Constants.FRAMEWORK_OS_NAME).value(osName),
            cleanCaches(true),
            workingDirectory(requiredProperty(WORK_DIRECTORY)),
            systemProperty(JNA_TMPDIR).value(requiredProperty(JNA_TMPDIR)),
            systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("INFO"),
            frameworkProperty("gosh.args").value("--nointeractive"),
            junitBundles(),
            provisionedBundles(),
        };
    }

    /**
     * @return the OS name the framework claims, or null for the real one; a test class overrides it to pretend
     */
    protected String frameworkOsName()
    {
        return null;
    }

    /**
     * Starts the platform-specific bundles whose {@code osgi.native} requirements this framework meets; the others
     * stay installed, unresolved.
     *
     * @throws BundleException when a bundle whose platform matches fails to start
     */
    @Before
    public final void startPlatformBundles() throws BundleException
    {
        for (final Bundle bundle : context().getBundles())
        {
            if (isPlatformSpecific(bundle) && bundle.getState() != Bundle.ACTIVE && nativeRequirementsMet(bundle))
            {
                bundle.start();
            }
        }
    }

    /**
     * @param bundle an installed bundle
     * @return true when the framework's {@code osgi.native} capability meets every {@code osgi.native} requirement
     *     of the bundle (true when it has none)
     */
    protected final boolean nativeRequirementsMet(final Bundle bundle)
    {
        final List<BundleCapability> platform = context().getBundle(Constants.SYSTEM_BUNDLE_LOCATION)
            .adapt(BundleRevision.class).getDeclaredCapabilities(NativeNamespace.NATIVE_NAMESPACE);
        for (final BundleRequirement requirement : bundle.adapt(BundleRevision.class)
            .getDeclaredRequirements(NativeNamespace.NATIVE_NAMESPACE))
        {
            if (platform.stream().noneMatch(requirement::matches))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param bundle an installed bundle
     * @return true when the bundle declares an {@code osgi.native} requirement
     */
    protected static boolean isPlatformSpecific(final Bundle bundle)
    {
        final String required = bundle.getHeaders().get(Constants.REQUIRE_CAPABILITY);
        return required != null && required.contains(NativeNamespace.NATIVE_NAMESPACE);
    }

    /**
     * @param type a backend type, one of the {@code TYPE_} values of {@link MapperProperties}
     * @return an OSGi filter that matches the memory mappers of that type
     */
    protected static String mapperType(final String type)
    {
        return "(" + MapperProperties.TYPE + "=" + type + ")";
    }

    /**
     * @return the bundle context of the test probe
     */
    protected final BundleContext context()
    {
        return FrameworkUtil.getBundle(getClass()).getBundleContext();
    }

    /**
     * @param symbolicName a bundle symbolic name
     * @return the installed bundle
     * @throws AssertionError when no such bundle is installed
     */
    protected final Bundle installedBundle(final String symbolicName)
    {
        for (final Bundle bundle : context().getBundles())
        {
            if (symbolicName.equals(bundle.getSymbolicName()))
            {
                return bundle;
            }
        }
        throw new AssertionError("bundle not installed: symbolicName=" + symbolicName);
    }

    /**
     * Waits for a service.
     *
     * @param type   the service interface
     * @param filter an LDAP filter on its properties, or null
     * @param <T>    the service type
     * @return the tracked service; the caller closes it
     * @throws AssertionError when no service appears in time
     */
    protected final <T> TrackedService<T> awaitService(final Class<T> type, final String filter)
    {
        final String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        final ServiceTracker<T, T> tracker;
        try
        {
            tracker = new ServiceTracker<>(context(),
                context().createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")"), null);
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalArgumentException("bad service filter: filter=" + filter, ex);
        }
        tracker.open();
        try
        {
            if (tracker.waitForService(TIMEOUT_MILLIS) == null)
            {
                throw new AssertionError("service not registered: type=" + type.getName() + " filter=" + filter +
                    " timeoutMillis=" + TIMEOUT_MILLIS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            tracker.close();
            throw new AssertionError("interrupted while waiting for a service: type=" + type.getName(), ex);
        }
        catch (final AssertionError ex)
        {
            tracker.close();
            throw ex;
        }
        return new TrackedService<>(tracker);
    }

    /**
     * Polls a condition until it holds.
     *
     * @param what      the condition, in words
     * @param condition polled every few milliseconds
     * @throws AssertionError when it does not hold within {@link #TIMEOUT_MILLIS}, or the wait is interrupted
     */
    protected static void awaitTrue(final String what, final BooleanSupplier condition)
    {
        Await.awaitTrue(what, condition);
    }

    /**
     * Deletes a directory and everything in it.
     *
     * @param directory the directory
     * @throws IOException when something cannot be deleted
     */
    protected static void deleteTree(final Path directory) throws IOException
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }

    /** @return how many services of the type match the filter now */
    protected final <T> int services(final Class<T> type, final String filter)
    {
        return references(type, filter).size();
    }

    /** @return the references of the services of the type that match the filter now */
    protected final <T> List<ServiceReference<T>> references(final Class<T> type, final String filter)
    {
        try
        {
            return new ArrayList<>(context().getServiceReferences(type, filter));
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    /** @return how many mappings of the shared-memory backend's memfd objects this process has */
    protected static long memfdMappingsHere()
    {
        return ProcMaps.self().mappings().stream()
            .filter(mapping -> mapping.isMemfd(MEMFD_NAME))
            .count();
    }

    /** @return the named shared-memory objects of jitmem in {@code /dev/shm} now */
    protected static Set<Path> sharedMemoryObjects()
    {
        if (!Files.isDirectory(DEV_SHM))
        {
            return new HashSet<>();
        }
        try (Stream<Path> objects = Files.list(DEV_SHM))
        {
            return objects.filter(path -> SHARED_MEMORY_OBJECT.matcher(path.getFileName().toString()).matches())
                .collect(Collectors.toCollection(HashSet::new));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list " + DEV_SHM, ex);
        }
    }

    /** @return the manager of the backend of {@code type} once the selector has selected it, within the bound */
    protected static SlabMemoryManager awaitSelected(final BackendSelector selector, final String type)
    {
        return Await.awaitSelected(selector, type);
    }

    /** The operation fails with a typed error about the executor or its revoked memory, within the bound. */
    protected static void assertTypedFailure(final String what, final Supplier<CompletionStage<?>> operation)
    {
        try
        {
            within(operation.get());
            fail(what + ": succeeded");
        }
        catch (final MemoryRevokedException | ExecutorUnavailableException expected)
        {
            assertTrue(what + ": " + expected, expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }

    /** Waits for a stage, bounded, and rethrows its failure unwrapped; a stage that never completes fails the test. */
    protected static <T> T within(final CompletionStage<T> stage)
    {
        try
        {
            return stage.toCompletableFuture().get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw new AssertionError("no answer within " + TIMEOUT_MILLIS + " ms: the operation hangs", ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException failure)
            {
                throw failure;
            }
            throw new AssertionError("untyped failure", ex.getCause());
        }
    }
    /**
     * A service followed by a tracker, closed with try-with-resources.
     *
     * @param <T> the service type
     */
    protected static final class TrackedService<T> implements AutoCloseable
    {
        private final ServiceTracker<T, T> tracker;

        private TrackedService(final ServiceTracker<T, T> tracker)
        {
            this.tracker = tracker;
        }

        /** @return the service, or null once it is unregistered */
        public T service()
        {
            return tracker.getService();
        }

        /** @return the service's reference, or null once it is unregistered */
        public ServiceReference<T> reference()
        {
            return tracker.getServiceReference();
        }

        @Override
        public void close()
        {
            tracker.close();
        }
    }

    private static Option provisionedBundles()
    {
        final List<Option> bundles = new ArrayList<>();
        final Path directory = Paths.get(requiredProperty(BUNDLES_DIRECTORY));
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(directory, "*.jar"))
        {
            for (final Path jar : jars)
            {
                bundles.add(bundle(jar.toUri().toString()).start(!isFragment(jar) && !isPlatformSpecific(jar)));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list the test bundles: directory=" + directory, ex);
        }
        if (bundles.isEmpty())
        {
            throw new IllegalStateException("no test bundles: directory=" + directory);
        }
        return composite(bundles.toArray(new Option[0]));
    }

    private static boolean isFragment(final Path jar) throws IOException
    {
        return header(jar, Constants.FRAGMENT_HOST) != null;
    }

    private static boolean isPlatformSpecific(final Path jar) throws IOException
    {
        final String required = header(jar, Constants.REQUIRE_CAPABILITY);
        return required != null && required.contains(NativeNamespace.NATIVE_NAMESPACE);
    }

    private static String header(final Path jar, final String name) throws IOException
    {
        try (JarFile file = new JarFile(jar.toFile()))
        {
            final Manifest manifest = file.getManifest();
            return manifest == null ? null : manifest.getMainAttributes().getValue(name);
        }
    }

    private static String requiredProperty(final String name)
    {
        final String value = System.getProperty(name);
        if (value == null || value.isEmpty())
        {
            throw new IllegalStateException("system property not set, run the tests through Maven: name=" + name);
        }
        return value;
    }
}
