package org.jitmem.runtime.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.junit.jupiter.api.Test;

final class RangeAllocatorTest
{
    private static final long PAGE = 4096;
    private static final long BASE = 0x7f00_0000_0000L;

    private final RangeAllocator allocator = new RangeAllocator();

    @Test
    void neverSpansTwoAdjacentReservations()
    {
        allocator.addReservation(BASE, 4 * PAGE);
        allocator.addReservation(BASE + 4 * PAGE, 4 * PAGE);
        final long first = allocator.allocate(3 * PAGE);
        final long second = allocator.allocate(3 * PAGE);
        allocator.free(first, 3 * PAGE);
        allocator.free(second, 3 * PAGE);

        assertEquals(List.of(ExecutorAddressRange.of(BASE, 4 * PAGE), ExecutorAddressRange.of(BASE + 4 * PAGE, 4 * PAGE)),
            allocator.freeRanges(), "free space at the boundary of two reservations stays apart");
        assertEquals(RangeAllocator.NO_RANGE, allocator.allocate(5 * PAGE));
    }

    @Test
    void everyAllocationLiesInOneReservationUnderRandomChurn()
    {
        for (int i = 0; i < 4; i++)
        {
            allocator.addReservation(BASE + i * 16 * PAGE, 16 * PAGE);
        }
        final Random random = new Random(42);
        final List<long[]> live = new ArrayList<>();
        for (int round = 0; round < 5_000; round++)
        {
            if (live.isEmpty() || random.nextInt(3) != 0)
            {
                final long size = (1 + random.nextInt(9)) * PAGE;
                final long start = allocator.allocate(size);
                if (start != RangeAllocator.NO_RANGE)
                {
                    final ExecutorAddressRange range = ExecutorAddressRange.of(start, size);
                    final ExecutorAddressRange reservation = allocator.reservationOf(start);
                    assertTrue(reservation != null && reservation.contains(range), "range " + range + " spans reservations");
                    live.add(new long[] {start, size});
                }
            }
            else
            {
                final long[] freed = live.remove(random.nextInt(live.size()));
                allocator.free(freed[0], freed[1]);
            }
        }
        live.forEach(range -> allocator.free(range[0], range[1]));
        assertEquals(allocator.reservations(), allocator.freeRanges(), "everything coalesces back, per reservation");
        assertEquals(0, allocator.usedBytes());
    }

    @Test
    void firstFitTakesTheLowestRangeThatHolds()
    {
        allocator.addReservation(BASE, 16 * PAGE);
        final long a = allocator.allocate(2 * PAGE);
        final long b = allocator.allocate(PAGE);
        final long c = allocator.allocate(4 * PAGE);
        allocator.allocate(PAGE);
        allocator.free(a, 2 * PAGE);
        allocator.free(c, 4 * PAGE);

        assertEquals(c, allocator.allocate(3 * PAGE), "the first hole is too small, the second fits");
        assertEquals(a, allocator.allocate(PAGE), "the lowest hole that fits wins");
        assertNotEquals(b, a);
    }

    @Test
    void exactFitIsReused()
    {
        allocator.addReservation(BASE, 8 * PAGE);
        final long a = allocator.allocate(3 * PAGE);
        allocator.allocate(5 * PAGE);
        allocator.free(a, 3 * PAGE);

        assertEquals(a, allocator.allocate(3 * PAGE));
        assertEquals(0, allocator.freeBytes());
        assertEquals(List.of(), allocator.freeRanges());
    }

    @Test
    void coalescesNeighboursWithinAReservation()
    {
        allocator.addReservation(BASE, 4 * PAGE);
        final long a = allocator.allocate(PAGE);
        final long b = allocator.allocate(PAGE);
        final long c = allocator.allocate(PAGE);
        final long d = allocator.allocate(PAGE);
        allocator.free(a, PAGE);
        allocator.free(c, PAGE);
        assertEquals(2, allocator.freeRanges().size());
        allocator.free(b, PAGE);
        assertEquals(List.of(ExecutorAddressRange.of(BASE, 3 * PAGE)), allocator.freeRanges());
        allocator.free(d, PAGE);
        assertEquals(List.of(ExecutorAddressRange.of(BASE, 4 * PAGE)), allocator.freeRanges());
        assertEquals(3 * PAGE, allocator.allocate(3 * PAGE) + 3 * PAGE - BASE);
    }

    @Test
    void emptyReservationsBeyondKeepFreeAreTaken()
    {
        allocator.addReservation(BASE, 4 * PAGE);
        allocator.addReservation(BASE + 8 * PAGE, 4 * PAGE);
        allocator.addReservation(BASE + 16 * PAGE, 4 * PAGE);
        final long used = allocator.allocate(PAGE);

        final List<ExecutorAddressRange> taken = allocator.takeEmptyReservations(8 * PAGE);

        assertEquals(List.of(ExecutorAddressRange.of(BASE + 16 * PAGE, 4 * PAGE)), taken, "11 free pages, 8 kept");
        assertEquals(2, allocator.reservationCount());
        assertEquals(List.of(ExecutorAddressRange.of(BASE + 8 * PAGE, 4 * PAGE)), allocator.takeEmptyReservations(0),
            "the partly used one is never taken");
        allocator.addReservation(BASE + 8 * PAGE, 4 * PAGE);
        allocator.free(used, PAGE);
        assertEquals(1, allocator.takeEmptyReservations(4 * PAGE).size());
        assertEquals(1, allocator.reservationCount());
        assertEquals(1, allocator.takeEmptyReservations(0).size());
        assertEquals(0, allocator.reservedBytes());
    }

    @Test
    void burnedRangesStayOutOfTheFreeList()
    {
        allocator.addReservation(BASE, 4 * PAGE);
        final long a = allocator.allocate(PAGE);
        allocator.burn(a, PAGE);
        assertEquals(PAGE, allocator.burnedBytes());
        assertEquals(0, allocator.allocations());
        assertEquals(List.of(), allocator.takeEmptyReservations(0), "a burned range keeps its reservation");
        assertEquals(1, allocator.takeAllReservations().size());
        assertEquals(0, allocator.burnedBytes());
    }

    @Test
    void refusesDoubleFreeAndForeignRanges()
    {
        allocator.addReservation(BASE, 4 * PAGE);
        final long a = allocator.allocate(PAGE);
        allocator.free(a, PAGE);
        assertThrows(InvalidRequestException.class, () -> allocator.free(a, PAGE));
        assertThrows(InvalidRequestException.class, () -> allocator.free(BASE + 8 * PAGE, PAGE));
        assertThrows(InvalidRequestException.class, () -> allocator.addReservation(BASE + PAGE, PAGE));
    }
}
