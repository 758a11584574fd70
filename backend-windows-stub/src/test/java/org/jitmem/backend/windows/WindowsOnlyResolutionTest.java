package org.jitmem.backend.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Boots a real Felix framework with the API, SCR and the stub bundle, once as the machine really is and once
 * pretending to be Windows through {@link Constants#FRAMEWORK_OS_NAME}.
 */
final class WindowsOnlyResolutionTest
{
    private static final String MAPPER_CLASS = "org.jitmem.api.MemoryMapper";
    private static final long SERVICE_TIMEOUT_MILLIS = 30_000;
    private static final long STOP_TIMEOUT_MILLIS = 30_000;

    @TempDir
    Path storage;

    @Test
    void staysUnresolvedOffWindows() throws Exception
    {
        final String osName = System.getProperty("os.name");
        assumeFalse(osName.startsWith("Windows"), "this machine is Windows");
        withFramework(Map.of(), context ->
        {
            final Bundle stub = install(context);
            final BundleException error = assertThrows(BundleException.class, stub::start);
            assertEquals(Bundle.INSTALLED, stub.getState());
            assertTrue(error.getMessage().contains("osgi.native"), error.getMessage());
            assertEquals(0, references(context).length);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"Windows 10", "Windows 11", "Windows Server 2019"})
    void resolvesAndRegistersWhenTheFrameworkSaysWindows(final String osName) throws Exception
    {
        withFramework(Map.of(Constants.FRAMEWORK_OS_NAME, osName), context ->
        {
            final Bundle stub = install(context);
            stub.start();
            assertEquals(Bundle.ACTIVE, stub.getState());

            final ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context,
                context.createFilter("(objectClass=" + MAPPER_CLASS + ")"), null);
            tracker.open(true);
            try
            {
                final Object mapper = tracker.waitForService(SERVICE_TIMEOUT_MILLIS);
                assertNotNull(mapper, "no MemoryMapper service within the timeout");
                final ServiceReference<Object> reference = tracker.getServiceReference();
                assertEquals("windows-stub", reference.getProperty("jitmem.mapper.type"));
                assertEquals(Boolean.FALSE, reference.getProperty("jitmem.mapper.crossProcess"));
                assertEquals(-100, reference.getProperty(Constants.SERVICE_RANKING));

                final InvocationTargetException thrown = assertThrows(InvocationTargetException.class,
                    () -> mapper.getClass().getMethod("pageSize").invoke(mapper));
                final Throwable error = thrown.getCause();
                assertEquals("org.jitmem.api.UnsupportedPlatformException", error.getClass().getName());
                assertTrue(error.getMessage().startsWith("reserve: page size: unsupported on this platform: os=" + osName + " arch="),
                    error.getMessage());
            }
            finally
            {
                tracker.close();
            }
        });
    }

    /** Installs and starts every support bundle, then installs the stub without starting it. */
    private static Bundle install(final BundleContext context) throws BundleException, IOException
    {
        final List<Bundle> support = new ArrayList<>();
        try (Stream<Path> jars = Files.list(Path.of(System.getProperty("jitmem.test.frameworkBundles"))))
        {
            for (final Path jar : (Iterable<Path>)jars.sorted()::iterator)
            {
                support.add(context.installBundle(jar.toUri().toString()));
            }
        }
        for (final Bundle bundle : support)
        {
            bundle.start();
        }
        return context.installBundle(new File(System.getProperty("jitmem.test.stubBundle")).toURI().toString());
    }

    private static ServiceReference<?>[] references(final BundleContext context) throws Exception
    {
        final ServiceReference<?>[] found = context.getServiceReferences(MAPPER_CLASS, null);
        return found == null ? new ServiceReference<?>[0] : found;
    }

    private void withFramework(final Map<String, String> extra, final FrameworkTest test) throws Exception
    {
        final Map<String, Object> properties = new HashMap<>(extra);
        properties.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        final Felix framework = new Felix(properties);
        framework.start();
        try
        {
            test.run(framework.getBundleContext());
        }
        finally
        {
            framework.stop();
            framework.waitForStop(STOP_TIMEOUT_MILLIS);
        }
    }

    @FunctionalInterface
    private interface FrameworkTest
    {
        void run(BundleContext context) throws Exception;
    }
}
