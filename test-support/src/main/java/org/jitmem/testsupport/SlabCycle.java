package org.jitmem.testsupport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.WorkingMemoryLease;

/**
 * One allocate, write, finalize, call, deallocate cycle through a slab memory manager, as a JIT uses the selected
 * backend: a code segment holds a function that returns a constant, a store function that runs as the finalize and
 * dealloc actions and a load function that reads the data segment back in the executor; protections are checked in
 * the executor's {@code /proc/<pid>/maps}.
 */
public final class SlabCycle
{
    private static final int STORE_OFFSET = 64;
    private static final int LOAD_OFFSET = 128;
    private static final long FINALIZED = 0xF1AAL;
    private static final long DEALLOCATED = 0xDEA1L;
    private static final int CODE = 0;
    private static final int DATA = 1;

    private SlabCycle()
    {
    }

    /**
     * @param manager  a slab memory manager, typically the selected one
     * @param returned what the JIT'd function returns when called
     * @throws AssertionError when a step does not do what it should
     */
    public static void run(final SlabMemoryManager manager, final long returned)
    {
        final byte[] store = MachineCode.storeFromArgument();
        final byte[] load = MachineCode.loadFromArgument();
        final long allocationsBefore = manager.statistics().allocations();
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
            SegmentRequest.of(LOAD_OFFSET + load.length, MemoryProtection.READ_EXEC),
            SegmentRequest.of(Long.BYTES, MemoryProtection.READ_WRITE))));
        final ExecutorAddress code = inFlight.segmentAddress(CODE);
        final ExecutorAddress data = inFlight.segmentAddress(DATA);
        final ExecutorAddress storeFunction = code.add(STORE_OFFSET);
        final FinalizedAllocation finalized;
        try
        {
            try (WorkingMemoryLease lease = inFlight.lease())
            {
                lease.put(CODE, 0, MachineCode.returnConstant(returned));
                lease.put(CODE, STORE_OFFSET, store);
                lease.put(CODE, LOAD_OFFSET, load);
                lease.putLong(DATA, 0, -1L);
            }
            finalized = MemoryMapper.await(inFlight.finalizeAllocation(List.of(new ActionPair(
                ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), FINALIZED)),
                ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), DEALLOCATED))))));
        }
        catch (final RuntimeException | Error ex)
        {
            inFlight.abandon();
            throw ex;
        }
        try
        {
            final ProcMaps maps = ProcMaps.of(manager.mapper().executorPid());
            assertEquals("code protection", MemoryProtection.READ_EXEC, maps.protection(code.value(), LOAD_OFFSET));
            assertEquals("data protection", MemoryProtection.READ_WRITE, maps.protection(data.value(), Long.BYTES));
            assertEquals(Long.valueOf(returned), MemoryMapper.await(finalized.call(CODE, new byte[0])));
            assertEquals("finalize action ran in the executor", Long.valueOf(FINALIZED), MemoryMapper.await(
                finalized.call(code.add(LOAD_OFFSET), MachineCode.loadArgument(data.value()))));
            assertEquals("allocations of the manager", allocationsBefore + 1, manager.statistics().allocations());
        }
        finally
        {
            MemoryMapper.await(finalized.deallocate());
        }
        assertEquals("allocations after deallocate", allocationsBefore, manager.statistics().allocations());
        final List<ProcMaps.Mapping> after = ProcMaps.of(manager.mapper().executorPid())
            .mappingsIn(code.value(), LOAD_OFFSET);
        assertTrue("code no longer executable after deallocate: " + after,
            after.stream().noneMatch(mapping -> mapping.protection().executable()));
    }
}
