package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.api.UnsupportedPlatformException;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * A Felix that claims to run on Windows: the resolver picks the Windows stub and leaves the POSIX backends
 * unresolved, and the stub fails every memory operation with {@link UnsupportedPlatformException}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WindowsSimulationIT extends FelixTestSupport
{
    private static final String WINDOWS = "Windows 10";
    private static final String STUB = mapperType(MapperProperties.TYPE_WINDOWS_STUB);

    @Override
    protected String frameworkOsName()
    {
        return WINDOWS;
    }

    /** The framework believes it is Windows. */
    @Test
    public void frameworkClaimsWindows()
    {
        assertEquals(WINDOWS, context().getProperty(Constants.FRAMEWORK_OS_NAME));
    }

    /** The stub resolves, starts and registers its mapper; the POSIX backends cannot even resolve. */
    @Test
    public void onlyTheWindowsBackendResolves()
    {
        final Bundle stub = installedBundle("org.jitmem.backend.windows");
        assertEquals(Bundle.ACTIVE, stub.getState());
        final FrameworkWiring wiring = context().getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
        for (final String posixBackend : List.of("org.jitmem.backend.inprocess", "org.jitmem.backend.posixshm"))
        {
            final Bundle backend = installedBundle(posixBackend);
            assertFalse(posixBackend + " resolves", wiring.resolveBundles(List.of(backend)));
            assertEquals(posixBackend + " state", Bundle.INSTALLED, backend.getState());
        }
        try (TrackedService<MemoryMapper> tracked = awaitService(MemoryMapper.class, STUB))
        {
            assertEquals(stub, tracked.reference().getBundle());
            assertEquals(Boolean.FALSE, tracked.reference().getProperty(MapperProperties.CROSS_PROCESS));
            assertEquals(MapperProperties.TYPE_WINDOWS_STUB, tracked.service().type());
        }
    }

    /** Every memory operation of the stub fails with a typed error naming the operation and the platform. */
    @Test
    public void stubOperationsAreUnsupported()
    {
        try (TrackedService<MemoryMapper> tracked = awaitService(MemoryMapper.class, STUB))
        {
            final MemoryMapper stub = tracked.service();
            final ExecutorAddress address = ExecutorAddress.of(0x10000);
            assertUnsupported(MapperOperation.RESERVE, () -> stub.pageSize());
            assertUnsupported(MapperOperation.RESERVE, () -> MemoryMapper.await(stub.reserve(4096)));
            assertUnsupported(MapperOperation.PREPARE, () -> stub.prepare(address, 16));
            assertUnsupported(MapperOperation.INITIALIZE, () -> MemoryMapper.await(stub.initialize(
                AllocInfo.of(address, Segment.of(0, 16, MemoryProtection.READ_EXEC)))));
            assertUnsupported(MapperOperation.DEINITIALIZE, () -> MemoryMapper.await(stub.deinitialize(List.of(address))));
            assertUnsupported(MapperOperation.RELEASE, () -> MemoryMapper.await(stub.release(List.of(address))));
            assertUnsupported(MapperOperation.CALL, () -> MemoryMapper.await(stub.call(ActionCall.of(address))));
        }
    }

    /** The runtime sees the stub but never selects it: it has no memory to hand out. */
    @Test
    public void runtimeListsTheStubButSelectsNothing()
    {
        try (TrackedService<BackendSelector> tracked = awaitService(BackendSelector.class, null))
        {
            final BackendSelector selector = tracked.service();
            awaitService(MemoryMapper.class, STUB).close();
            final List<BackendDescription> backends = selector.backends();
            assertEquals(List.of(MapperProperties.TYPE_WINDOWS_STUB),
                backends.stream().map(BackendDescription::type).toList());
            assertFalse(backends.get(0).selected());
            assertTrue(selector.selected().isEmpty());
            assertTrue(selector.managers().isEmpty());
        }
    }

    private static void assertUnsupported(final MapperOperation operation, final Runnable call)
    {
        final UnsupportedPlatformException error = assertThrows(UnsupportedPlatformException.class, call::run);
        assertEquals(operation, error.operation());
        assertTrue(error.getMessage(), error.getMessage().contains("unsupported on this platform: os=" + WINDOWS));
    }
}
