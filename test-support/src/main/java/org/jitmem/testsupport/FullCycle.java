package org.jitmem.testsupport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;

/**
 * One reserve, prepare, initialize, call, deinitialize, release cycle through any mapper, checked in the executor's
 * {@code /proc/<pid>/maps}: JIT'd code returns a constant when called, and JIT'd store code runs as the finalize and
 * dealloc actions, writing markers that the controller reads back through working memory. The registered mapper is
 * the bare one: its release unmaps the range in the executor at once.
 */
public final class FullCycle
{
    private static final int STORE_OFFSET = 64;
    private static final long FINALIZED = 0xF1AAL;
    private static final long DEALLOCATED = 0xDEA1L;

    private FullCycle()
    {
    }

    /**
     * @param mapper   a bare mapper, of any backend
     * @param returned what the JIT'd function returns when called
     * @throws AssertionError when a step does not do what it should
     */
    public static void run(final MemoryMapper mapper, final long returned)
    {
        final long pageSize = mapper.pageSize();
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(pageSize + 1));
        assertEquals("reserve rounds up to whole pages", 2 * pageSize, range.size());
        final ExecutorAddress base = range.start();
        final ExecutorAddress data = base.add(pageSize);
        assertTrue("reservation mapped in the executor", executorMaps(mapper).isMapped(base.value(), range.size()));

        final byte[] store = MachineCode.storeFromArgument();
        final ByteBuffer code = mapper.prepare(base, STORE_OFFSET + store.length);
        code.put(MachineCode.returnConstant(returned)).position(STORE_OFFSET);
        code.put(store);
        final ByteBuffer dataMemory = mapper.prepare(data, Long.BYTES);
        dataMemory.putLong(0, -1L);

        final ExecutorAddress storeFunction = base.add(STORE_OFFSET);
        final AllocInfo info = new AllocInfo(base,
            List.of(
                Segment.of(0, STORE_OFFSET + store.length, MemoryProtection.READ_EXEC),
                new Segment(pageSize, Long.BYTES, pageSize - Long.BYTES, MemoryProtection.READ_WRITE,
                    MemoryLifetime.STANDARD)),
            List.of(new ActionPair(
                ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), FINALIZED)),
                ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), DEALLOCATED)))));
        try
        {
            final ExecutorAddress key = MemoryMapper.await(mapper.initialize(info));
            assertEquals(info.key(), key);
            final ProcMaps initialized = executorMaps(mapper);
            assertEquals(MemoryProtection.READ_EXEC, initialized.protection(base.value(), pageSize));
            assertEquals(MemoryProtection.READ_WRITE, initialized.protection(data.value(), pageSize));
            assertEquals("finalize action ran in the executor", FINALIZED, dataMemory.getLong(0));

            assertEquals(Long.valueOf(returned), MemoryMapper.await(mapper.call(ActionCall.of(base))));

            MemoryMapper.await(mapper.deinitialize(List.of(key)));
            assertEquals("dealloc action ran in the executor", DEALLOCATED, dataMemory.getLong(0));
            final MemoryProtection reset = executorMaps(mapper).protection(base.value(), pageSize);
            assertFalse("code no longer executable after deinitialize: " + reset, reset.executable());
        }
        finally
        {
            MemoryMapper.await(mapper.release(List.of(base)));
        }
        assertReleased(mapper, range);
    }

    /** The reservation's mapping is gone from the executor: across processes, its shared mapping. */
    private static void assertReleased(final MemoryMapper mapper, final ExecutorAddressRange range)
    {
        final ProcMaps maps = executorMaps(mapper);
        final long start = range.start().value();
        assertTrue("released range unmapped in the executor: " + maps.mappingsIn(start, range.size()),
            mapper.crossProcess() ? maps.hasNoSharedMapping(start, range.size()) : maps.isUnmapped(start, range.size()));
    }

    private static ProcMaps executorMaps(final MemoryMapper mapper)
    {
        return ProcMaps.of(mapper.executorPid());
    }
}
