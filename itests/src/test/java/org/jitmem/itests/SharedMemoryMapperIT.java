package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.testsupport.FullCycle;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The shared-memory backend in Felix over the executor the launcher starts: the service and its properties, JIT'd
 * code run in the executor with its protections checked in the executor's own /proc maps, and a killed executor
 * taking its service, its socket directory and its shared memory with it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SharedMemoryMapperIT extends FelixTestSupport
{
    private static final String POSIX_SHM = mapperType(MapperProperties.TYPE_POSIX_SHM);
    private static final String SOCKET_PROPERTY = "jitmem.executor.socket";

    /** The runtime, the launcher, the channel and the backend resolve and start. */
    @Test
    public void bundlesAreActive()
    {
        for (final String symbolicName : List.of("org.jitmem.channel", "org.jitmem.runtime", "org.jitmem.launcher",
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
            assertEquals("the launcher launched it", "org.jitmem.launcher",
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
     * and the unmapping by the registered mapper's release are checked in the executor's /proc maps, the stores
     * through the shared working memory.
     */
    @Test
    public void fullCycleRunsJitCodeInTheExecutor()
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, POSIX_SHM))
        {
            FullCycle.run(tracker.service(), 0x5EED_0000_1234L);
        }
    }

    /**
     * Killing the executor while it holds a reservation takes the mapper and channel services away within a bounded
     * time, and leaves no process, no socket directory, no shared-memory object and no mapping in this process. The
     * launcher then starts a new executor on its own (restart on failure is on by default).
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

        final String ofTheKilled = "(" + MapperProperties.EXECUTOR_PID + "=" + pid + ")";
        awaitTrue("the mapper service disappears", () -> services(MemoryMapper.class, ofTheKilled) == 0);
        awaitTrue("the channel service disappears", () -> services(ExecutorChannel.class, ofTheKilled) == 0);
        awaitTrue("the executor is gone", () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        awaitTrue("the socket directory is removed", () -> !Files.exists(socketDirectory));
        awaitTrue("no shared memory stays mapped here", () -> memfdMappingsHere() <= memfdMappingsBefore);
        final Set<Path> sharedLeft = sharedMemoryObjects();
        sharedLeft.removeAll(sharedBefore);
        assertEquals("shared-memory objects left behind", Set.of(), sharedLeft);

        try (TrackedService<MemoryMapper> relaunched = awaitService(MemoryMapper.class,
            "(&" + POSIX_SHM + "(!" + ofTheKilled + "))"))
        {
            assertNotEquals("the launcher starts a new executor on its own", pid, relaunched.service().executorPid());
        }
    }
}
