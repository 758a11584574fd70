package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.posix.MachineCode;
import org.jitmem.posix.ProcMaps;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The shared-memory backend in Felix over the executor the runtime launches: the service and its properties, JIT'd
 * code run in the executor with its protections checked in the executor's own /proc maps, and a killed executor
 * taking its service, its socket directory and its shared memory with it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SharedMemoryMapperIT extends FelixTestSupport
{
    private static final String POSIX_SHM = "(" + MapperProperties.TYPE + "=" + MapperProperties.TYPE_POSIX_SHM + ")";
    private static final String SOCKET_PROPERTY = "jitmem.executor.socket";

    /** The runtime, the channel and the backend resolve and start. */
    @Test
    public void bundlesAreActive()
    {
        for (final String symbolicName : List.of("org.jitmem.channel", "org.jitmem.runtime",
            "org.jitmem.backend.posixshm"))
        {
            assertEquals("state of " + symbolicName, Bundle.ACTIVE, installedBundle(symbolicName).getState());
        }
    }

    /** The mapper describes the launched executor: another process, its page size, ranked above in-process. */
    @Test
    public void serviceCarriesItsProperties()
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, POSIX_SHM);
             TrackedService<ExecutorChannel> channel = awaitService(ExecutorChannel.class, null))
        {
            final ServiceReference<MemoryMapper> reference = tracker.reference();
            final MemoryMapper mapper = tracker.service();
            assertEquals("org.jitmem.backend.posixshm", reference.getBundle().getSymbolicName());
            assertEquals(MapperProperties.TYPE_POSIX_SHM, mapper.type());
            assertEquals(Boolean.TRUE, reference.getProperty(MapperProperties.CROSS_PROCESS));
            assertTrue(mapper.crossProcess());

            final Object pid = reference.getProperty(MapperProperties.EXECUTOR_PID);
            assertTrue("executor pid is a Long: " + pid, pid instanceof Long);
            assertNotEquals(ProcessHandle.current().pid(), pid);
            assertEquals(pid, mapper.executorPid());
            assertEquals("the executor runs", Boolean.TRUE,
                ProcessHandle.of((Long)pid).map(ProcessHandle::isAlive).orElse(false));
            assertEquals("the mapper works over the launched executor's channel", pid,
                channel.reference().getProperty(MapperProperties.EXECUTOR_PID));
            assertEquals("the runtime launched it", "org.jitmem.runtime",
                channel.reference().getBundle().getSymbolicName());

            final long pageSize = mapper.pageSize();
            assertTrue("page size is a power of two: " + pageSize, pageSize > 0 && Long.bitCount(pageSize) == 1);
            assertEquals(pageSize, reference.getProperty(MapperProperties.PAGE_SIZE));
            assertEquals(100, reference.getProperty(Constants.SERVICE_RANKING));
        }
    }

    /**
     * Reserve two pages, write a function and data, initialize with a finalize action that stores into the data,
     * call the function in the executor, deinitialize (the dealloc action stores again) and release; protections
     * and unmapping are checked in the executor's /proc maps, the stores through the shared working memory.
     */
    @Test
    public void fullCycleRunsJitCodeInTheExecutor()
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, POSIX_SHM))
        {
            final MemoryMapper mapper = tracker.service();
            final long executorPid = mapper.executorPid();
            final long pageSize = mapper.pageSize();
            final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(pageSize + 1));
            assertEquals("reserve rounds up to whole pages", 2 * pageSize, range.size());
            final ExecutorAddress base = range.start();
            final ExecutorAddress data = base.add(pageSize);
            assertTrue("reservation mapped in the executor",
                ProcMaps.of(executorPid).isMapped(base.value(), range.size()));

            final long returned = 0x5EED_0000_1234L;
            final byte[] returnConstant = MachineCode.returnConstant(returned);
            final byte[] store = MachineCode.storeFromArgument();
            final int storeOffset = 64;
            final ByteBuffer code = mapper.prepare(base, storeOffset + store.length);
            code.put(returnConstant).position(storeOffset);
            code.put(store);
            final ByteBuffer dataMemory = mapper.prepare(data, Long.BYTES);
            dataMemory.putLong(0, -1L);

            final long finalized = 0xF1AAL;
            final long deallocated = 0xDEA1L;
            final ExecutorAddress storeFunction = base.add(storeOffset);
            final AllocInfo info = new AllocInfo(base,
                List.of(
                    Segment.of(0, storeOffset + store.length, MemoryProtection.READ_EXEC),
                    new Segment(pageSize, Long.BYTES, pageSize - Long.BYTES, MemoryProtection.READ_WRITE,
                        MemoryLifetime.STANDARD)),
                List.of(new ActionPair(
                    ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), finalized)),
                    ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), deallocated)))));
            try
            {
                final ExecutorAddress key = MemoryMapper.await(mapper.initialize(info));
                assertEquals(info.key(), key);
                final ProcMaps initialized = ProcMaps.of(executorPid);
                assertEquals(MemoryProtection.READ_EXEC, initialized.protection(base.value(), pageSize));
                assertEquals(MemoryProtection.READ_WRITE, initialized.protection(data.value(), pageSize));
                assertEquals("finalize action ran in the executor", finalized, dataMemory.getLong(0));

                assertEquals(Long.valueOf(returned), MemoryMapper.await(mapper.call(ActionCall.of(base))));

                MemoryMapper.await(mapper.deinitialize(List.of(key)));
                assertEquals("dealloc action ran in the executor", deallocated, dataMemory.getLong(0));
                final MemoryProtection reset = ProcMaps.of(executorPid).protection(base.value(), pageSize);
                assertFalse("code no longer executable after deinitialize: " + reset, reset.executable());
            }
            finally
            {
                MemoryMapper.await(mapper.release(List.of(base)));
            }
            assertTrue("released range unmapped in the executor",
                ProcMaps.of(executorPid).isUnmapped(base.value(), range.size()));
        }
    }

    /**
     * Killing the executor while it holds a reservation takes the mapper and channel services away within a bounded
     * time, and leaves no process, no socket directory, no shared-memory object and no mapping in this process. The
     * runtime bundle is then restarted, which launches a new executor for the other tests.
     */
    @Test
    public void killedExecutorLeavesNothingBehind() throws Exception
    {
        final Set<Path> sharedBefore = sharedMemoryObjects();
        final long memfdMappingsBefore = memfdMappingsHere();
        final long pid;
        final Path socketDirectory;
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, POSIX_SHM);
             TrackedService<ExecutorChannel> channel = awaitService(ExecutorChannel.class, null))
        {
            final MemoryMapper mapper = tracker.service();
            pid = mapper.executorPid();
            socketDirectory = Paths.get((String)channel.reference().getProperty(SOCKET_PROPERTY)).getParent();
            assertTrue("socket directory exists: " + socketDirectory, Files.isDirectory(socketDirectory));
            final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(4 * mapper.pageSize()));
            mapper.prepare(range.start(), Long.BYTES).putLong(0, 42);

            assertTrue("killing the executor", ProcessHandle.of(pid).orElseThrow().destroyForcibly());
        }

        awaitTrue("the mapper service disappears", () -> services(MemoryMapper.class, POSIX_SHM) == 0);
        awaitTrue("the channel service disappears", () -> services(ExecutorChannel.class, null) == 0);
        awaitTrue("the executor is gone", () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        awaitTrue("the socket directory is removed", () -> !Files.exists(socketDirectory));
        awaitTrue("no shared memory stays mapped here", () -> memfdMappingsHere() <= memfdMappingsBefore);
        final Set<Path> sharedLeft = sharedMemoryObjects();
        sharedLeft.removeAll(sharedBefore);
        assertEquals("shared-memory objects left behind", Set.of(), sharedLeft);

        final Bundle runtime = installedBundle("org.jitmem.runtime");
        runtime.stop();
        runtime.start();
        try (TrackedService<MemoryMapper> relaunched = awaitService(MemoryMapper.class, POSIX_SHM))
        {
            assertNotEquals("a new executor after the runtime restarted", pid, relaunched.service().executorPid());
        }
    }

    private int services(final Class<?> type, final String filter)
    {
        try
        {
            final ServiceReference<?>[] references = context().getServiceReferences(type.getName(), filter);
            return references == null ? 0 : references.length;
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalArgumentException("bad filter: " + filter, ex);
        }
    }
}
