package org.jitmem.runtime.slab;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;

/**
 * First-fit allocator of address ranges carved from reservations. Free ranges coalesce only with neighbours of the
 * same reservation, so no range it hands out ever spans two reservations, even adjacent ones. Pure bookkeeping: it
 * never calls a mapper. Not thread-safe; the owner guards it.
 */
final class RangeAllocator
{
    /** Returned by {@link #allocate} when no free range is large enough. */
    static final long NO_RANGE = -1;

    private final TreeMap<Long, Reservation> reservations = new TreeMap<>(Long::compareUnsigned);
    private final TreeMap<Long, FreeRange> freeRanges = new TreeMap<>(Long::compareUnsigned);
    private long reservedBytes;
    private long freeBytes;
    private long burnedBytes;
    private long allocations;
    private int emptyReservations;

    /**
     * @param start first address of the reservation
     * @param size  its size in bytes, more than zero
     */
    void addReservation(final long start, final long size)
    {
        if (size <= 0)
        {
            throw new InvalidRequestException(MapperOperation.RESERVE, "reservation size must be positive", start, size);
        }
        final ExecutorAddressRange range = ExecutorAddressRange.of(start, size);
        final Map.Entry<Long, Reservation> below = reservations.floorEntry(start);
        final Map.Entry<Long, Reservation> above = reservations.ceilingEntry(start);
        if ((below != null && below.getValue().range.overlaps(range)) ||
            (above != null && above.getValue().range.overlaps(range)))
        {
            throw new InvalidRequestException(MapperOperation.RESERVE, "reservation overlaps a known one", start, size);
        }
        final Reservation reservation = new Reservation(range);
        reservations.put(start, reservation);
        freeRanges.put(start, new FreeRange(start, size, reservation));
        reservedBytes += size;
        freeBytes += size;
        emptyReservations++;
    }

    /**
     * Carves {@code size} bytes from the start of the lowest free range that holds them.
     *
     * @param size bytes wanted, more than zero
     * @return the start of the range, or {@link #NO_RANGE}
     */
    long allocate(final long size)
    {
        for (final FreeRange free : freeRanges.values())
        {
            if (Long.compareUnsigned(free.size, size) >= 0)
            {
                return carve(free, size);
            }
        }
        return NO_RANGE;
    }

    /**
     * Carves {@code size} bytes from the start of one reservation's lowest free range that holds them.
     *
     * @param reservationStart the reservation
     * @param size             bytes wanted
     * @return the start of the range, or {@link #NO_RANGE}
     */
    long allocateIn(final long reservationStart, final long size)
    {
        final Reservation reservation = reservations.get(reservationStart);
        if (reservation == null)
        {
            return NO_RANGE;
        }
        final long end = reservation.range.end().value();
        for (final FreeRange free : freeRanges.subMap(reservationStart, true, end, false).values())
        {
            if (Long.compareUnsigned(free.size, size) >= 0)
            {
                return carve(free, size);
            }
        }
        return NO_RANGE;
    }

    /**
     * Returns an allocated range to the free list, merging it with free neighbours of the same reservation.
     *
     * @param start start returned by {@link #allocate}
     * @param size  the size that was allocated
     * @throws InvalidRequestException when the range is not an allocated part of one reservation
     */
    void free(final long start, final long size)
    {
        final Reservation reservation = allocatedOwner(MapperOperation.DEINITIALIZE, start, size);
        long mergedStart = start;
        long mergedSize = size;
        final Map.Entry<Long, FreeRange> below = freeRanges.lowerEntry(start);
        if (below != null && below.getValue().reservation == reservation && below.getValue().end() == start)
        {
            mergedStart = below.getKey();
            mergedSize += below.getValue().size;
            freeRanges.remove(mergedStart);
        }
        final FreeRange above = freeRanges.get(start + size);
        if (above != null && above.reservation == reservation)
        {
            mergedSize += above.size;
            freeRanges.remove(above.start);
        }
        freeRanges.put(mergedStart, new FreeRange(mergedStart, mergedSize, reservation));
        freeBytes += size;
        allocations--;
        reservation.usedBytes -= size;
        if (reservation.usedBytes == 0)
        {
            emptyReservations++;
        }
    }

    /**
     * Keeps an allocated range out of the free list for good: its memory is in an unknown state. The reservation
     * holding it is handed back only by {@link #takeAllReservations}.
     *
     * @param start start returned by {@link #allocate}
     * @param size  the size that was allocated
     */
    void burn(final long start, final long size)
    {
        allocatedOwner(MapperOperation.DEINITIALIZE, start, size);
        allocations--;
        burnedBytes += size;
    }

    /**
     * Removes empty reservations while the free space exceeds {@code keepFreeBytes}, highest address first.
     *
     * @param keepFreeBytes free bytes to keep for reuse
     * @return the removed reservations, for the caller to release
     */
    List<ExecutorAddressRange> takeEmptyReservations(final long keepFreeBytes)
    {
        final List<ExecutorAddressRange> taken = new ArrayList<>();
        final Iterator<Reservation> descending = reservations.descendingMap().values().iterator();
        while (emptyReservations > 0 && freeBytes > keepFreeBytes && descending.hasNext())
        {
            final Reservation reservation = descending.next();
            if (reservation.usedBytes == 0)
            {
                descending.remove();
                freeRanges.remove(reservation.range.start().value());
                reservedBytes -= reservation.range.size();
                freeBytes -= reservation.range.size();
                emptyReservations--;
                taken.add(reservation.range);
            }
        }
        return taken;
    }

    /** @return every reservation, removed from the allocator, which is left empty */
    List<ExecutorAddressRange> takeAllReservations()
    {
        final List<ExecutorAddressRange> taken = new ArrayList<>(reservations.size());
        for (final Reservation reservation : reservations.values())
        {
            taken.add(reservation.range);
        }
        reservations.clear();
        freeRanges.clear();
        reservedBytes = 0;
        freeBytes = 0;
        burnedBytes = 0;
        allocations = 0;
        emptyReservations = 0;
        return taken;
    }

    /** @return bytes in all reservations */
    long reservedBytes()
    {
        return reservedBytes;
    }

    /** @return bytes in the free list */
    long freeBytes()
    {
        return freeBytes;
    }

    /** @return bytes handed out and not freed, burned ones included */
    long usedBytes()
    {
        return reservedBytes - freeBytes;
    }

    /** @return bytes kept out of the free list because their state is unknown */
    long burnedBytes()
    {
        return burnedBytes;
    }

    /** @return live allocated ranges */
    long allocations()
    {
        return allocations;
    }

    /** @return reservations held */
    int reservationCount()
    {
        return reservations.size();
    }

    /** @return free ranges, in address order, for inspection */
    List<ExecutorAddressRange> freeRanges()
    {
        final List<ExecutorAddressRange> ranges = new ArrayList<>(freeRanges.size());
        for (final FreeRange free : freeRanges.values())
        {
            ranges.add(ExecutorAddressRange.of(free.start, free.size));
        }
        return ranges;
    }

    /** @return reservations, in address order, for inspection */
    List<ExecutorAddressRange> reservations()
    {
        final List<ExecutorAddressRange> ranges = new ArrayList<>(reservations.size());
        for (final Reservation reservation : reservations.values())
        {
            ranges.add(reservation.range);
        }
        return ranges;
    }

    /**
     * @param start an address
     * @return the reservation holding it, or null
     */
    ExecutorAddressRange reservationOf(final long start)
    {
        final Map.Entry<Long, Reservation> entry = reservations.floorEntry(start);
        return entry != null && entry.getValue().range.contains(ExecutorAddress.of(start)) ?
            entry.getValue().range : null;
    }

    private long carve(final FreeRange free, final long size)
    {
        freeRanges.remove(free.start);
        if (free.size != size)
        {
            freeRanges.put(free.start + size, new FreeRange(free.start + size, free.size - size, free.reservation));
        }
        if (free.reservation.usedBytes == 0)
        {
            emptyReservations--;
        }
        free.reservation.usedBytes += size;
        freeBytes -= size;
        allocations++;
        return free.start;
    }

    private Reservation allocatedOwner(final MapperOperation operation, final long start, final long size)
    {
        final Map.Entry<Long, Reservation> entry = reservations.floorEntry(start);
        if (size <= 0 || entry == null || !entry.getValue().range.contains(ExecutorAddressRange.of(start, size)))
        {
            throw new InvalidRequestException(operation, "range is not inside one reservation", start, size);
        }
        final Map.Entry<Long, FreeRange> below = freeRanges.floorEntry(start);
        final Map.Entry<Long, FreeRange> above = freeRanges.ceilingEntry(start);
        if ((below != null && Long.compareUnsigned(below.getValue().end(), start) > 0) ||
            (above != null && Long.compareUnsigned(above.getKey(), start + size) < 0))
        {
            throw new InvalidRequestException(operation, "range is already free", start, size);
        }
        return entry.getValue();
    }

    private static final class Reservation
    {
        private final ExecutorAddressRange range;
        private long usedBytes;

        private Reservation(final ExecutorAddressRange range)
        {
            this.range = range;
        }
    }

    private record FreeRange(long start, long size, Reservation reservation)
    {
        long end()
        {
            return start + size;
        }
    }
}
