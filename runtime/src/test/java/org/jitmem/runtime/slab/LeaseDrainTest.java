package org.jitmem.runtime.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.backend.inprocess.InProcessMemoryMapper;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Leases, drain and revocation over two real in-process mappers standing for two backends: the departing one and the
 * one that stays.
 */
final class LeaseDrainTest
{
    private static final Duration LONG_WAIT = Duration.ofSeconds(30);
    private static final SlabSettings SETTINGS = new SlabSettings(1L << 20, 0);

    private final InProcessMemoryMapper departingMapper = new InProcessMemoryMapper(false);
    private final InProcessMemoryMapper stayingMapper = new InProcessMemoryMapper(false);
    private final long page = departingMapper.pageSize();
    private final SlabMemoryManager departing = new SlabMemoryManager(departingMapper, SETTINGS);
    private final SlabMemoryManager staying = new SlabMemoryManager(stayingMapper, SETTINGS);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void closeEverything() throws InterruptedException
    {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(30, TimeUnit.SECONDS));
        MemoryMapper.await(departing.close());
        MemoryMapper.await(staying.close());
        departingMapper.close();
        stayingMapper.close();
    }

    @Test
    void drainRefusesNewAllocationsAndWaitsForTheOpenLease() throws Exception
    {
        final InFlightAllocation inFlight = allocate(departing);
        final WorkingMemoryLease lease = inFlight.lease();
        final ExecutorAddressRange reservation = departing.reservations().get(0);

        final Future<?> drained = threads.submit(() -> MemoryMapper.await(departing.drain(LONG_WAIT)));
        awaitTrue(departing::isDraining);

        final MemoryRevokedException refused = assertThrows(MemoryRevokedException.class, () -> allocate(departing));
        assertTrue(refused.getMessage().contains("draining"), refused.getMessage());
        MemoryMapper.await(allocate(staying).abandon());
        lease.put(0, 0, MachineCode.returnConstant(42));
        final FinalizedAllocation finalized = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
        assertEquals(42L, MemoryMapper.await(finalized.call(0, new byte[0])), "the lease holder finishes its work");
        assertFalse(drained.isDone(), "the drain waits for the lease");
        assertTrue(ProcMaps.self().isMapped(reservation.start().value(), reservation.size()));

        lease.close();
        drained.get(30, TimeUnit.SECONDS);

        assertEquals(0, departingMapper.reservationCount());
        assertTrue(ProcMaps.self().isUnmapped(reservation.start().value(), reservation.size()));
        assertEquals(new SlabStatistics(departingMapper.type(), page, 0, 0, 0, 0, 0, 0), departing.statistics());
        assertThrows(MemoryRevokedException.class, () -> MemoryMapper.await(finalized.call(0, new byte[0])));
        assertThrows(MemoryRevokedException.class, () -> MemoryMapper.await(finalized.deallocate()));
        assertThrows(MemoryRevokedException.class, inFlight::lease);
        assertThrows(InvalidRequestException.class, () -> lease.putLong(0, 0, 1), "a closed lease gives no access");
    }

    @Test
    void aLeaseOutlivingTheTimeoutIsRevokedAndTheMemoryWaitsForIt()
    {
        final InFlightAllocation inFlight = allocate(departing);
        final ExecutorAddressRange reservation = departing.reservations().get(0);
        final CompletableFuture<Void> released;
        try (WorkingMemoryLease lease = inFlight.lease())
        {
            lease.putLong(0, 0, 7);
            released = departing.drain(Duration.ofMillis(50)).toCompletableFuture();

            assertFalse(released.isDone(), "nothing is unmapped while the lease is open");
            assertTrue(ProcMaps.self().isMapped(reservation.start().value(), reservation.size()));
            final MemoryRevokedException revoked = assertThrows(MemoryRevokedException.class,
                () -> lease.putLong(0, 0, 8));
            assertTrue(revoked.getMessage().contains("memory revoked"), revoked.getMessage());
            assertThrows(MemoryRevokedException.class, () -> lease.getLong(0, 0));
            assertThrows(MemoryRevokedException.class,
                () -> MemoryMapper.await(inFlight.finalizeAllocation(List.of())));
            assertEquals(0, departing.statistics().reservations(), "the allocations are revoked at once");
        }
        MemoryMapper.await(released);
        assertEquals(0, departingMapper.reservationCount());
        assertTrue(ProcMaps.self().isUnmapped(reservation.start().value(), reservation.size()));
    }

    @Test
    void leaseAccessIsBoundsChecked()
    {
        final InFlightAllocation inFlight = allocate(departing);
        try (WorkingMemoryLease lease = inFlight.lease())
        {
            lease.put(0, 0, new byte[]{1, 2, 3});
            final byte[] back = new byte[3];
            lease.get(0, 0, back);
            assertEquals(List.of((byte)1, (byte)2, (byte)3), List.of(back[0], back[1], back[2]));
            assertThrows(InvalidRequestException.class, () -> lease.putLong(0, 60, 1));
            assertThrows(InvalidRequestException.class, () -> lease.putLong(0, -1, 1));
            assertThrows(InvalidRequestException.class, () -> lease.putLong(1, 0, 1));
        }
        MemoryMapper.await(inFlight.abandon());
        assertThrows(InvalidRequestException.class, inFlight::lease);
    }

    @Test
    void threadsWorkingThroughADrainEitherCompleteOrAreRevoked() throws Exception
    {
        final int workers = 6;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong revoked = new AtomicLong();
        final CountDownLatch warmedUp = new CountDownLatch(workers);
        final List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < workers; i++)
        {
            running.add(threads.submit(() ->
            {
                boolean counted = false;
                while (!stop.get())
                {
                    try
                    {
                        cycle(departing);
                        completed.incrementAndGet();
                    }
                    catch (final MemoryRevokedException ex)
                    {
                        revoked.incrementAndGet();
                    }
                    if (!counted)
                    {
                        warmedUp.countDown();
                        counted = true;
                    }
                }
                return null;
            }));
        }
        assertTrue(warmedUp.await(30, TimeUnit.SECONDS));

        MemoryMapper.await(departing.drain(LONG_WAIT));
        awaitTrue(() -> revoked.get() > 0);
        stop.set(true);
        for (final Future<?> worker : running)
        {
            worker.get(30, TimeUnit.SECONDS);
        }

        assertTrue(completed.get() > 0);
        assertEquals(0, departingMapper.reservationCount(), "everything the departing backend reserved is released");
        assertEquals(0, departingMapper.allocationCount());
        assertEquals(new SlabStatistics(departingMapper.type(), page, 0, 0, 0, 0, 0, 0), departing.statistics());
        assertEquals(0, departing.openLeases());
    }

    private static void cycle(final SlabMemoryManager manager)
    {
        final long value = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
            SegmentRequest.of(64, MemoryProtection.READ_EXEC), SegmentRequest.of(64, MemoryProtection.READ_WRITE))));
        try (WorkingMemoryLease lease = inFlight.lease())
        {
            lease.put(0, 0, MachineCode.returnConstant(value));
            lease.putLong(1, 0, value);
        }
        catch (final MemoryMapperException ex)
        {
            inFlight.abandon();
            throw ex;
        }
        final FinalizedAllocation finalized = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
        final long result = MemoryMapper.await(finalized.call(0, new byte[0]));
        if (result != value)
        {
            throw new AssertionError("JIT'd code returned " + result + " instead of " + value);
        }
        MemoryMapper.await(finalized.deallocate());
    }

    private static InFlightAllocation allocate(final SlabMemoryManager manager)
    {
        return MemoryMapper.await(manager.allocate(List.of(SegmentRequest.of(64, MemoryProtection.READ_EXEC))));
    }

    private static void awaitTrue(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + LONG_WAIT.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("condition not met within " + LONG_WAIT);
            }
            Thread.sleep(5);
        }
    }
}
