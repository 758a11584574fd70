package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.machine.MachineCode;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabStatistics;
import org.jitmem.runtime.slab.WorkingMemoryLease;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The executor the runtime launched is killed with SIGKILL while JIT'd code lives in it: the selection fails over to
 * the in-process backend within a bounded time, new code runs there, the allocations left in the dead executor fail
 * with a typed error instead of hanging, no shared memory stays mapped or named, and the departed backend's
 * statistics are gone. The launcher then starts a new executor on its own (restart on failure is on by default).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FailoverIT extends FelixTestSupport
{
    private static final String POSIX_SHM = mapperType(MapperProperties.TYPE_POSIX_SHM);
    private static final int ALLOCATIONS = 3;

    /** Kill the executor under loaded code, fail over, run code in-process, relaunch. */
    @Test
    public void killedExecutorFailsOverToInProcess() throws Exception
    {
        final Set<Path> sharedBefore = sharedMemoryObjects();
        try (TrackedService<BackendSelector> tracked = awaitService(BackendSelector.class, null);
             TrackedService<MemoryMapper> sharedMemory = awaitService(MemoryMapper.class, POSIX_SHM))
        {
            final BackendSelector selector = tracked.service();
            final long pid = (Long)sharedMemory.reference().getProperty(MapperProperties.EXECUTOR_PID);
            final SlabMemoryManager departing = awaitSelected(selector, MapperProperties.TYPE_POSIX_SHM);
            assertEquals(pid, departing.mapper().executorPid());

            final List<FinalizedAllocation> loaded = new ArrayList<>();
            for (int i = 0; i < ALLOCATIONS; i++)
            {
                final long value = 0xC0DE_0000L + i;
                final FinalizedAllocation code = load(departing, value);
                assertEquals("runs in the executor", Long.valueOf(value), within(code.call(0, new byte[0])));
                loaded.add(code);
            }
            final InFlightAllocation unfinished = within(departing.allocate(
                List.of(SegmentRequest.of(Long.BYTES, MemoryProtection.READ_WRITE))));
            assertTrue("the executor's memory is mapped here too", memfdMappingsHere() > 0);

            assertTrue("kill -9 the executor", ProcessHandle.of(pid).orElseThrow().destroyForcibly());
            awaitTrue("the executor is gone", () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

            final SlabMemoryManager inProcess = awaitSelected(selector, MapperProperties.TYPE_INPROCESS);
            assertEquals(ProcessHandle.current().pid(), inProcess.mapper().executorPid());
            awaitTrue("the departed backend is no longer listed", () -> selector.backends().stream()
                .noneMatch(backend -> backend.executorPid() == pid));

            final long value = 0xFA11_0000L;
            final FinalizedAllocation rerun = load(inProcess, value);
            assertEquals("runs in this process", Long.valueOf(value), within(rerun.call(0, new byte[0])));
            within(rerun.deallocate());

            for (final FinalizedAllocation code : loaded)
            {
                assertTypedFailure("call in the dead executor", () -> code.call(0, new byte[0]));
                assertTypedFailure("deallocate in the dead executor", code::deallocate);
            }
            assertTypedFailure("finalize in the dead executor", () -> unfinished.finalizeAllocation(List.of()));
            assertTypedFailure("allocate from the departed backend",
                () -> departing.allocate(List.of(SegmentRequest.of(Long.BYTES, MemoryProtection.READ_WRITE))));
            try
            {
                unfinished.lease().close();
                fail("a lease on revoked working memory was granted");
            }
            catch (final MemoryRevokedException expected)
            {
                assertTrue(expected.getMessage(), expected.getMessage().contains("revoked"));
            }

            awaitTrue("no shared memory stays mapped here", () -> memfdMappingsHere() == 0);
            final Set<Path> sharedLeft = sharedMemoryObjects();
            sharedLeft.removeAll(sharedBefore);
            assertEquals("shared-memory objects left behind", Set.of(), sharedLeft);

            assertTrue("the departed manager is gone from the selector", selector.managers().stream()
                .noneMatch(manager -> manager == departing || manager.mapper().executorPid() == pid));
            final SlabStatistics departed = departing.statistics();
            assertEquals("reservations of the departed backend: " + departed, 0, departed.reservations());
            assertEquals("bytes of the departed backend: " + departed, 0, departed.reservedBytes());
            assertEquals("allocations of the departed backend: " + departed, 0, departed.allocations());

            awaitTrue("the launcher starts a new executor on its own", () -> selector.backends().stream()
                .anyMatch(backend -> MapperProperties.TYPE_POSIX_SHM.equals(backend.type()) &&
                    backend.executorPid() != pid));
        }
    }

    /** Allocates one page of code returning {@code value}, writes it through a lease and finalizes it. */
    static FinalizedAllocation load(final SlabMemoryManager manager, final long value)
    {
        final byte[] code = MachineCode.returnConstant(value);
        final InFlightAllocation inFlight = within(manager.allocate(
            List.of(SegmentRequest.of(code.length, MemoryProtection.READ_EXEC))));
        try (WorkingMemoryLease memory = inFlight.lease())
        {
            memory.put(0, 0, code);
        }
        return within(inFlight.finalizeAllocation(List.of()));
    }
}
