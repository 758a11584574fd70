package org.jitmem.runtime.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.backend.inprocess.InProcessMemoryMapper;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class SlabMemoryManagerTest
{
    private final InProcessMemoryMapper mapper = new InProcessMemoryMapper(false);
    private final long page = mapper.pageSize();
    private final List<SlabMemoryManager> managers = new ArrayList<>();

    @AfterEach
    void closeEverything()
    {
        managers.forEach(manager -> MemoryMapper.await(manager.close()));
        mapper.close();
    }

    @Test
    void noAllocationSpansTwoReservationsEvenWhenTheyAreAdjacent()
    {
        final SlabMemoryManager manager = manager(2 * page, Long.MAX_VALUE);
        final List<InFlightAllocation> singles = new ArrayList<>();
        for (int i = 0; i < 12; i++)
        {
            singles.add(allocate(manager, page));
        }
        final List<ExecutorAddressRange> reservations = manager.reservations();
        assertEquals(6, reservations.size());
        singles.forEach(allocation -> MemoryMapper.await(allocation.abandon()));

        final List<InFlightAllocation> doubles = new ArrayList<>();
        for (int i = 0; i < 6; i++)
        {
            final InFlightAllocation allocation = allocate(manager, 2 * page);
            assertInsideOneReservation(reservations, allocation.range());
            doubles.add(allocation);
        }
        assertEquals(6, manager.statistics().reservations(), "two-page holes at reservation boundaries never merge");
        final InFlightAllocation larger = allocate(manager, 3 * page);
        assertEquals(7, manager.statistics().reservations());
        assertInsideOneReservation(manager.reservations(), larger.range());
        for (final ExecutorAddressRange free : manager.freeRanges())
        {
            assertInsideOneReservation(manager.reservations(), free);
        }
        doubles.forEach(allocation -> MemoryMapper.await(allocation.abandon()));
        MemoryMapper.await(larger.abandon());
    }

    @Test
    void abandoningReturnsOnlyItsOwnRange()
    {
        final SlabMemoryManager manager = manager(16 * page, Long.MAX_VALUE);
        final InFlightAllocation first = allocate(manager, page);
        final InFlightAllocation code = manager.allocate(List.of(SegmentRequest.of(64, MemoryProtection.READ_EXEC)))
            .toCompletableFuture().join();
        final long value = System.nanoTime();
        try (WorkingMemoryLease memory = code.lease())
        {
            memory.put(0, 0, MachineCode.returnConstant(value));
        }
        final FinalizedAllocation loaded = MemoryMapper.await(code.finalizeAllocation(List.of()));

        MemoryMapper.await(first.abandon());

        assertEquals(value, (long)MemoryMapper.await(mapper.call(ActionCall.of(loaded.segmentAddress(0)))),
            "the first allocation of the slab was abandoned; the slab and the code in it live on");
        final SlabStatistics stats = manager.statistics();
        assertEquals(1, stats.allocations());
        assertEquals(page, stats.usedBytes());
        assertEquals(1, stats.reservations());
        assertThrows(InvalidRequestException.class, () -> MemoryMapper.await(first.abandon()));
        MemoryMapper.await(loaded.deallocate());
    }

    @Test
    void exactFitIsReusedAndFirstFitWins()
    {
        final SlabMemoryManager manager = manager(16 * page, Long.MAX_VALUE);
        final FinalizedAllocation a = finalized(manager, 3 * page);
        final FinalizedAllocation b = finalized(manager, page);
        final FinalizedAllocation c = finalized(manager, 2 * page);
        finalized(manager, page);
        MemoryMapper.await(a.deallocate());
        MemoryMapper.await(c.deallocate());

        final FinalizedAllocation exact = finalized(manager, 3 * page);
        assertEquals(a.range(), exact.range(), "a freed range of the same size is reused");
        final FinalizedAllocation fits = finalized(manager, page);
        assertEquals(c.range().start(), fits.range().start(), "the lowest hole that fits is taken");
        assertEquals(b.range().end(), c.range().start());
    }

    @Test
    void coalescedRangesServeLargerAllocations()
    {
        final SlabMemoryManager manager = manager(4 * page, Long.MAX_VALUE);
        final List<FinalizedAllocation> pages = new ArrayList<>();
        for (int i = 0; i < 4; i++)
        {
            pages.add(finalized(manager, page));
        }
        MemoryMapper.await(manager.deallocate(pages));
        final FinalizedAllocation whole = finalized(manager, 4 * page);
        assertEquals(pages.get(0).range().start(), whole.range().start());
        assertEquals(1, manager.statistics().reservations());
    }

    /**
     * Three allocations deallocated in one batch, the middle one with a dealloc action (JIT'd code) that returns
     * non-zero: its range is withheld, the other two are reused by the next allocations.
     */
    @Test
    void failedDeallocWithholdsOnlyThatAllocationsRange()
    {
        final SlabMemoryManager manager = manager(16 * page, Long.MAX_VALUE);
        final InFlightAllocation code = manager.allocate(List.of(SegmentRequest.of(64, MemoryProtection.READ_EXEC)))
            .toCompletableFuture().join();
        try (WorkingMemoryLease memory = code.lease())
        {
            memory.put(0, 0, MachineCode.returnValue(7));
        }
        final FinalizedAllocation failing = MemoryMapper.await(code.finalizeAllocation(List.of()));
        final FinalizedAllocation a = finalized(manager, page);
        final InFlightAllocation inFlight = allocate(manager, page);
        final FinalizedAllocation b = MemoryMapper.await(inFlight.finalizeAllocation(
            List.of(new ActionPair(ActionCall.NONE, ActionCall.of(failing.segmentAddress(0))))));
        final FinalizedAllocation c = finalized(manager, page);

        final MemoryMapperException failure = assertThrows(MemoryMapperException.class,
            () -> MemoryMapper.await(manager.deallocate(List.of(a, b, c))));
        assertEquals(b.key().value(), failure.address(), failure.getMessage());
        assertEquals(0, failure.getSuppressed().length, "only the failed key is reported");

        assertEquals(page, manager.statistics().burnedBytes(), "the failed allocation's range is withheld");
        for (final ExecutorAddressRange free : manager.freeRanges())
        {
            assertFalse(free.overlaps(b.range()), "withheld range is not free: " + free);
        }
        final List<ExecutorAddressRange> reused = List.of(finalized(manager, page).range(),
            finalized(manager, page).range());
        assertEquals(List.of(a.range(), c.range()), reused, "the other two ranges are reused");
        MemoryMapper.await(failing.deallocate());
    }

    /**
     * A finalize-lifetime segment's pages go back to the free list once the allocation is finalized: the next
     * allocation gets them, while the standard segment's code still runs.
     */
    @Test
    void finalizeLifetimePagesAreReusedOnceFinalized()
    {
        final SlabMemoryManager manager = manager(16 * page, Long.MAX_VALUE);
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
            SegmentRequest.of(64, MemoryProtection.READ_EXEC),
            new SegmentRequest(page, 0, MemoryProtection.READ_WRITE, MemoryLifetime.FINALIZE, 16))));
        assertEquals(2 * page, inFlight.range().size());
        final long value = System.nanoTime();
        try (WorkingMemoryLease memory = inFlight.lease())
        {
            memory.put(0, 0, MachineCode.returnConstant(value));
            memory.put(1, 0, new byte[] {1});
        }
        final FinalizedAllocation finalized = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));

        assertEquals(ExecutorAddressRange.of(inFlight.range().start().value(), page), finalized.range());
        assertEquals(page, manager.statistics().usedBytes(), "only the standard page stays in use");
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(inFlight.segmentAddress(1).value(), page),
            "the finalize page's protection is reset");
        final FinalizedAllocation next = finalized(manager, page);
        assertEquals(inFlight.segmentAddress(1), next.range().start(), "the finalize page is reused at once");
        assertEquals(value, (long)MemoryMapper.await(finalized.call(0, new byte[0])));
        MemoryMapper.await(manager.deallocate(List.of(finalized, next)));
        assertEquals(0, manager.statistics().usedBytes());
    }

    /** W^X is the mapper's to check: a refused finalize applied nothing, so the range is free again, not withheld. */
    @Test
    void writeExecuteRefusedAtFinalizeReturnsTheRange()
    {
        final SlabMemoryManager manager = manager(16 * page, Long.MAX_VALUE);
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(
            List.of(SegmentRequest.of(64, MemoryProtection.READ_WRITE_EXEC))));
        final InvalidRequestException refused = assertThrows(InvalidRequestException.class,
            () -> MemoryMapper.await(inFlight.finalizeAllocation(List.of())));
        assertTrue(refused.reason().contains("W^X"), refused.getMessage());
        assertEquals(0, manager.statistics().burnedBytes());
        assertEquals(0, manager.statistics().usedBytes());
        assertEquals(inFlight.range(), finalized(manager, page).range(), "the refused range is reused");
    }

    @Test
    void emptyReservationsBeyondKeepFreeAreReleased()
    {
        final SlabMemoryManager manager = manager(4 * page, 4 * page);
        final FinalizedAllocation a = finalized(manager, 4 * page);
        final FinalizedAllocation b = finalized(manager, 4 * page);
        final FinalizedAllocation c = finalized(manager, 4 * page);
        assertEquals(3, manager.statistics().reservations());

        MemoryMapper.await(manager.deallocate(List.of(a, b, c)));

        final SlabStatistics stats = manager.statistics();
        assertEquals(1, stats.reservations(), "one empty reservation is kept for reuse");
        assertEquals(4 * page, stats.freeBytes());
        final List<ExecutorAddressRange> kept = manager.reservations();
        for (final FinalizedAllocation released : List.of(a, b, c))
        {
            if (!kept.get(0).equals(released.range()))
            {
                assertTrue(ProcMaps.self().isUnmapped(released.range().start().value(), released.range().size()),
                    "released reservation is unmapped: " + released.range());
            }
        }
    }

    @Test
    void statisticsReturnToZeroAfterEverythingIsFreed()
    {
        final SlabMemoryManager manager = manager(8 * page, 0);
        final List<FinalizedAllocation> live = new ArrayList<>();
        for (int i = 1; i <= 10; i++)
        {
            live.add(finalized(manager, i * page / 2 + 1));
        }
        final InFlightAllocation abandoned = allocate(manager, page);
        assertTrue(manager.statistics().usedBytes() > 0);

        MemoryMapper.await(abandoned.abandon());
        MemoryMapper.await(manager.deallocate(live));

        assertEquals(new SlabStatistics(mapper.type(), page, 0, 0, 0, 0, 0, 0), manager.statistics());
    }

    @Test
    void useAfterCloseIsRevoked()
    {
        final SlabMemoryManager manager = manager(4 * page, 0);
        final FinalizedAllocation live = finalized(manager, page);
        MemoryMapper.await(manager.close());
        assertThrows(MemoryRevokedException.class, () -> MemoryMapper.await(live.deallocate()));
        assertThrows(MemoryRevokedException.class, () -> allocate(manager, page));
    }

    @Test
    void manyThreadsAllocateFinalizeAndDeallocateAtOnce() throws Exception
    {
        final SlabMemoryManager manager = manager(16 * page, 16 * page);
        final int threads = 8;
        final int rounds = 400;
        final ConcurrentSkipListMap<Long, ExecutorAddressRange> live = new ConcurrentSkipListMap<>(Long::compareUnsigned);
        final CountDownLatch start = new CountDownLatch(1);
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final long seed = t;
                results.add(pool.submit(() ->
                {
                    start.await();
                    churn(manager, new Random(seed), rounds, live);
                    return null;
                }));
            }
            start.countDown();
            for (final Future<?> result : results)
            {
                result.get(120, TimeUnit.SECONDS);
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        final SlabStatistics stats = manager.statistics();
        assertEquals(0, stats.usedBytes());
        assertEquals(0, stats.allocations());
        assertEquals(manager.reservations(), manager.freeRanges(), "every reservation coalesced back to one free range");
    }

    private void churn(final SlabMemoryManager manager, final Random random, final int rounds,
        final ConcurrentSkipListMap<Long, ExecutorAddressRange> live)
    {
        final List<FinalizedAllocation> mine = new ArrayList<>();
        for (int round = 0; round < rounds; round++)
        {
            final long value = random.nextLong();
            final int dataSize = 1 + random.nextInt((int)(3 * page));
            final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
                SegmentRequest.of(dataSize, MemoryProtection.READ_WRITE),
                SegmentRequest.of(32, MemoryProtection.READ_EXEC))));
            claim(live, inFlight.range());
            try (WorkingMemoryLease memory = inFlight.lease())
            {
                for (int offset = 0; offset <= dataSize - Long.BYTES; offset += Long.BYTES)
                {
                    memory.putLong(0, offset, value);
                }
                memory.put(1, 0, MachineCode.returnConstant(value));
            }
            if (random.nextInt(4) == 0)
            {
                live.remove(inFlight.range().start().value());
                MemoryMapper.await(inFlight.abandon());
            }
            else
            {
                final FinalizedAllocation done = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
                if (random.nextInt(8) == 0)
                {
                    assertEquals(value, (long)MemoryMapper.await(mapper.call(ActionCall.of(done.segmentAddress(1)))));
                }
                mine.add(done);
            }
            if (mine.size() > 6 || (!mine.isEmpty() && random.nextBoolean()))
            {
                final FinalizedAllocation victim = mine.remove(random.nextInt(mine.size()));
                live.remove(victim.range().start().value());
                MemoryMapper.await(victim.deallocate());
            }
        }
        mine.forEach(done -> live.remove(done.range().start().value()));
        MemoryMapper.await(manager.deallocate(mine));
    }

    private static void claim(final ConcurrentSkipListMap<Long, ExecutorAddressRange> live,
        final ExecutorAddressRange range)
    {
        synchronized (live)
        {
            final Map.Entry<Long, ExecutorAddressRange> below = live.floorEntry(range.start().value());
            final Map.Entry<Long, ExecutorAddressRange> above = live.ceilingEntry(range.start().value());
            assertTrue(below == null || !below.getValue().overlaps(range), () -> range + " overlaps " + below);
            assertTrue(above == null || !above.getValue().overlaps(range), () -> range + " overlaps " + above);
            live.put(range.start().value(), range);
        }
    }

    private SlabMemoryManager manager(final long granularity, final long keepFree)
    {
        final SlabMemoryManager manager = new SlabMemoryManager(mapper, new SlabSettings(granularity, keepFree));
        managers.add(manager);
        return manager;
    }

    private static InFlightAllocation allocate(final SlabMemoryManager manager, final long bytes)
    {
        return MemoryMapper.await(manager.allocate(List.of(SegmentRequest.of(bytes, MemoryProtection.READ_WRITE))));
    }

    private static FinalizedAllocation finalized(final SlabMemoryManager manager, final long bytes)
    {
        final InFlightAllocation inFlight = allocate(manager, bytes);
        try (WorkingMemoryLease memory = inFlight.lease())
        {
            memory.put(0, 0, new byte[] {1});
        }
        return MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
    }

    private static void assertInsideOneReservation(final List<ExecutorAddressRange> reservations,
        final ExecutorAddressRange range)
    {
        assertNotNull(reservations.stream().filter(reservation -> reservation.contains(range)).findFirst()
            .orElse(null), () -> range + " lies inside no single reservation of " + reservations);
    }
}
