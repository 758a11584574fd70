package org.jitmem.backend.inprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionFailedException;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.Segment;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.RetainingMemoryMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retained reservations over the in-process mapper, checked in this process's own maps. */
class RetainingInProcessMapperTest
{
    private static final long PAGE = PageSize.get();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long PATTERN = 0x5A5A_A5A5_0F0F_F0F0L;

    private final InProcessMemoryMapper inner = new InProcessMemoryMapper(false);
    private RetainingMemoryMapper mapper = new RetainingMemoryMapper(inner, RetainingMemoryMapper.DEFAULT_RETAINED_BYTES);

    @AfterEach
    void close()
    {
        mapper.close(TIMEOUT);
        assertEquals(0, mapper.retainedCount());
        inner.close();
        assertEquals(0, inner.reservationCount());
    }

    @Test
    void releasedRangeComesBackZeroedToTheNextReserveOfItsSize()
    {
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(2 * PAGE));
        dirtyAndCycle(range);

        MemoryMapper.await(mapper.release(List.of(range.start())));

        assertEquals(1, mapper.retainedCount());
        assertEquals(2 * PAGE, mapper.retainedBytes());
        assertEquals(1, inner.reservationCount(), "still reserved in the delegate");
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(range.start().value(), range.size()),
            "the free protection deinitialize left");

        final ExecutorAddressRange other = MemoryMapper.await(mapper.reserve(PAGE));
        assertTrue(!other.overlaps(range), "another size is not served from the pool");
        final CompletionStage<ExecutorAddressRange> again = mapper.reserve(2 * PAGE - 7);
        assertTrue(again.toCompletableFuture().isDone());
        assertEquals(range, MemoryMapper.await(again), "the same range, rounded size");
        assertEquals(0, mapper.retainedCount());
        assertEquals(0, mapper.retainedBytes());
        assertZero(mapper.prepare(range.start(), range.size()));

        dirtyAndCycle(range);
        MemoryMapper.await(mapper.release(List.of(range.start(), other.start())));
        assertEquals(2, mapper.retainedCount());
        assertEquals(3 * PAGE, mapper.retainedBytes());
        assertEquals(other, MemoryMapper.await(mapper.reserve(1)));
        assertEquals(range, MemoryMapper.await(mapper.reserve(2 * PAGE)));
        assertZero(mapper.prepare(range.start(), range.size()));
    }

    @Test
    void sameSizeIsServedLastInFirstOut()
    {
        final ExecutorAddressRange first = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddressRange second = MemoryMapper.await(mapper.reserve(PAGE));
        MemoryMapper.await(mapper.release(List.of(first.start())));
        MemoryMapper.await(mapper.release(List.of(second.start())));
        assertEquals(second, MemoryMapper.await(mapper.reserve(PAGE)));
        assertEquals(first, MemoryMapper.await(mapper.reserve(PAGE)));
        assertEquals(2, inner.reservationCount());
    }

    @Test
    void overTheBoundTheRangeIsReallyUnmapped()
    {
        mapper.close(TIMEOUT);
        mapper = new RetainingMemoryMapper(inner, 2 * PAGE);
        final ExecutorAddressRange kept = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddressRange alsoKept = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddressRange over = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddressRange large = MemoryMapper.await(mapper.reserve(3 * PAGE));

        MemoryMapper.await(mapper.release(List.of(kept.start(), alsoKept.start(), over.start(), large.start())));

        assertEquals(2, mapper.retainedCount());
        assertEquals(2 * PAGE, mapper.retainedBytes());
        assertEquals(2, inner.reservationCount());
        final ProcMaps maps = ProcMaps.self();
        assertTrue(maps.isMapped(kept.start().value(), PAGE));
        assertTrue(maps.isMapped(alsoKept.start().value(), PAGE));
        assertTrue(maps.isUnmapped(over.start().value(), PAGE), "over the bound: unmapped");
        assertTrue(maps.isUnmapped(large.start().value(), large.size()), "larger than the bound: unmapped");
    }

    @Test
    void zeroBoundRetainsNothing()
    {
        mapper.close(TIMEOUT);
        mapper = new RetainingMemoryMapper(inner, 0);
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE));
        MemoryMapper.await(mapper.release(List.of(range.start())));
        assertEquals(0, mapper.retainedCount());
        assertTrue(ProcMaps.self().isUnmapped(range.start().value(), PAGE));
        assertThrows(IllegalArgumentException.class, () -> new RetainingMemoryMapper(inner, -1));
    }

    @Test
    void reservationWithALiveAllocationIsReleasedAndItsDeallocActionsRun()
    {
        final ExecutorAddressRange marker = MemoryMapper.await(inner.reserve(PAGE));
        final ByteBuffer markers = inner.prepare(marker.start(), 16);
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddress code = range.start();
        final byte[] store = MachineCode.storeFromArgument();
        mapper.prepare(code, store.length).put(store);
        MemoryMapper.await(mapper.initialize(new AllocInfo(code,
            List.of(Segment.of(0, store.length, MemoryProtection.READ_EXEC)),
            List.of(new ActionPair(ActionCall.of(code, MachineCode.storeArgument(marker.start().value(), 0xF1)),
                ActionCall.of(code, MachineCode.storeArgument(marker.start().value() + 8, 0xD1)))))));
        assertEquals(0xF1, markers.getLong(0));

        MemoryMapper.await(mapper.release(List.of(range.start())));

        assertEquals(0xD1, markers.getLong(8), "dealloc action ran");
        assertEquals(0, mapper.retainedCount());
        assertTrue(ProcMaps.self().isUnmapped(range.start().value(), PAGE));
        assertEquals(1, inner.reservationCount(), "only the marker page is left");
        MemoryMapper.await(inner.release(List.of(marker.start())));
    }

    @Test
    void failedDeinitializeMakesTheReservationNotRetainable()
    {
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddress code = range.start();
        final byte[] failing = MachineCode.returnValue(3);
        mapper.prepare(code, failing.length).put(failing);
        final ExecutorAddress key = MemoryMapper.await(mapper.initialize(new AllocInfo(code,
            List.of(Segment.of(0, failing.length, MemoryProtection.READ_EXEC)),
            List.of(new ActionPair(ActionCall.NONE, ActionCall.of(code))))));
        failure(ActionFailedException.class, mapper.deinitialize(List.of(key)));

        MemoryMapper.await(mapper.release(List.of(range.start())));

        assertEquals(0, mapper.retainedCount());
        assertTrue(ProcMaps.self().isUnmapped(range.start().value(), PAGE));
    }

    @Test
    void badRequestsFailWithTheDelegatesTypedErrors()
    {
        for (final long size : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE})
        {
            failure(InvalidRequestException.class, mapper.reserve(size));
        }
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE));
        MemoryMapper.await(mapper.release(List.of(range.start())));
        failure(InvalidRequestException.class, mapper.release(List.of(range.start())));
        assertEquals(1, mapper.retainedCount(), "a second release leaves the pooled range alone");
        assertTrue(ProcMaps.self().isMapped(range.start().value(), PAGE));
        failure(InvalidRequestException.class, mapper.release(List.of(ExecutorAddress.of(PAGE))));

        final ExecutorAddressRange twice = MemoryMapper.await(mapper.reserve(2 * PAGE));
        failure(InvalidRequestException.class, mapper.release(List.of(twice.start(), twice.start())));
        assertEquals(2, mapper.retainedCount(), "the first of the two was processed");
    }

    @Test
    void closeEmptiesThePoolAndLaterReleasesUnmap()
    {
        final ExecutorAddressRange first = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddressRange second = MemoryMapper.await(mapper.reserve(4 * PAGE));
        final ExecutorAddressRange live = MemoryMapper.await(mapper.reserve(PAGE));
        MemoryMapper.await(mapper.release(List.of(first.start(), second.start())));
        assertEquals(2, mapper.retainedCount());

        mapper.close(TIMEOUT);
        mapper.close(TIMEOUT);

        assertEquals(0, mapper.retainedCount());
        assertEquals(0, mapper.retainedBytes());
        assertEquals(1, inner.reservationCount());
        assertTrue(ProcMaps.self().isUnmapped(first.start().value(), PAGE));
        assertTrue(ProcMaps.self().isUnmapped(second.start().value(), 4 * PAGE));
        MemoryMapper.await(mapper.release(List.of(live.start())));
        assertEquals(0, mapper.retainedCount(), "a closed decorator retains nothing");
        assertTrue(ProcMaps.self().isUnmapped(live.start().value(), PAGE));
    }

    @Test
    void dropRetainedGivesThePoolBackAndRetainingGoesOn()
    {
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE));
        MemoryMapper.await(mapper.release(List.of(range.start())));
        MemoryMapper.await(mapper.dropRetained());
        assertEquals(0, mapper.retainedCount());
        assertEquals(0, inner.reservationCount());
        final ExecutorAddressRange next = MemoryMapper.await(mapper.reserve(PAGE));
        MemoryMapper.await(mapper.release(List.of(next.start())));
        assertEquals(1, mapper.retainedCount());
    }

    @Test
    void aClosedDelegateHandsOutNoPooledRange()
    {
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE));
        MemoryMapper.await(mapper.release(List.of(range.start())));
        inner.close();

        failure(MemoryRevokedException.class, mapper.reserve(PAGE));
        assertEquals(0, mapper.retainedCount());
        assertTrue(ProcMaps.self().isUnmapped(range.start().value(), PAGE));
    }

    @Test
    void concurrentCyclesNeverShareARange() throws Exception
    {
        final int threads = 4;
        final int cycles = 2_000;
        final Set<Long> inUse = ConcurrentHashMap.newKeySet();
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final List<Future<Void>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final long mark = t + 1;
                workers.add(pool.submit(() ->
                {
                    for (int i = 0; i < cycles; i++)
                    {
                        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE * (1 + i % 2)));
                        assertTrue(inUse.add(range.start().value()), "handed out twice: " + range);
                        final ByteBuffer content = mapper.prepare(range.start(), Long.BYTES);
                        assertEquals(0, content.getLong(0), "zeroed: " + range);
                        content.putLong(0, mark);
                        final ExecutorAddress key = MemoryMapper.await(mapper.initialize(AllocInfo.of(range.start(),
                            Segment.of(0, Long.BYTES, MemoryProtection.READ_WRITE))));
                        assertEquals(mark, content.getLong(0), "nobody else wrote: " + range);
                        MemoryMapper.await(mapper.deinitialize(List.of(key)));
                        inUse.remove(range.start().value());
                        MemoryMapper.await(mapper.release(List.of(range.start())));
                    }
                    return null;
                }));
            }
            for (final Future<Void> worker : workers)
            {
                worker.get(60, TimeUnit.SECONDS);
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        assertTrue(mapper.retainedCount() <= 2 * threads, "at most what was in use at once: " + mapper);
        assertEquals(mapper.retainedCount(), inner.reservationCount(), "everything else released");
    }

    private void dirtyAndCycle(final ExecutorAddressRange range)
    {
        final ByteBuffer content = mapper.prepare(range.start(), range.size());
        while (content.remaining() >= Long.BYTES)
        {
            content.putLong(PATTERN);
        }
        final ExecutorAddress key = MemoryMapper.await(mapper.initialize(AllocInfo.of(range.start(),
            Segment.of(0, range.size(), MemoryProtection.READ))));
        assertEquals(MemoryProtection.READ, ProcMaps.self().protection(range.start().value(), range.size()));
        MemoryMapper.await(mapper.deinitialize(List.of(key)));
    }

    private static void assertZero(final ByteBuffer view)
    {
        for (int i = 0; i < view.limit(); i += Long.BYTES)
        {
            assertEquals(0, view.getLong(i), "zero at offset " + i);
        }
    }

    private static <E extends MemoryMapperException> E failure(final Class<E> type, final CompletionStage<?> stage)
    {
        final ExecutionException failed = assertThrows(ExecutionException.class,
            () -> stage.toCompletableFuture().get());
        return assertInstanceOf(type, failed.getCause());
    }
}
