package org.jitmem.memory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.Segment;

/**
 * Validates an allocation before {@link ExecutorMemory} applies anything of it: the mapping base in a reservation, a
 * key not initialized yet, every segment inside that reservation, the W^X policy (the one place it is checked, for
 * every backend), no overlap, no page shared by segments of different protections or lifetimes or with an initialized
 * allocation, and every action's function where it may run. Pure: it reads the bookkeeping it is given and makes no
 * system call. Every failure is an {@link InvalidRequestException} of {@link MapperOperation#INITIALIZE}.
 */
final class AllocationCheck
{
    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;

    /** What the check reads of the executor memory's bookkeeping; called under its lock. */
    interface Bookkeeping
    {
        /**
         * @param address an executor address
         * @return the reservation holding it, or null
         */
        ExecutorAddressRange reservationAt(long address);

        /**
         * @param key an allocation key
         * @return true when an allocation is initialized at it
         */
        boolean isInitialized(long key);

        /**
         * @param address an executor address
         * @return the initialized segment holding it, or null
         */
        PlannedSegment liveSegmentAt(long address);

        /**
         * @param address an executor address
         * @return the initialized segment with the highest start at or below it, or null
         */
        PlannedSegment liveSegmentStartingAtOrBelow(long address);
    }

    private AllocationCheck()
    {
    }

    /**
     * @param info              segments and actions
     * @param allowWriteExecute whether the controller is configured to accept writable and executable segments
     * @param pageSize          the executor's page size
     * @param bookkeeping       the executor memory's reservations and initialized allocations
     * @return the segments at their executor addresses, in the order given
     * @throws InvalidRequestException naming what is wrong
     */
    static List<PlannedSegment> plan(final AllocInfo info, final boolean allowWriteExecute, final long pageSize,
        final Bookkeeping bookkeeping)
    {
        final List<PlannedSegment> planned = planSegments(info, allowWriteExecute, pageSize, bookkeeping);
        checkActions(info, planned, bookkeeping);
        return planned;
    }

    private static List<PlannedSegment> planSegments(final AllocInfo info, final boolean allowWriteExecute,
        final long pageSize, final Bookkeeping bookkeeping)
    {
        final long base = info.mappingBase().value();
        if (info.segments().isEmpty())
        {
            throw new InvalidRequestException(MapperOperation.INITIALIZE, "an allocation needs a segment", base,
                UNKNOWN);
        }
        final ExecutorAddressRange reservation = bookkeeping.reservationAt(base);
        if (reservation == null)
        {
            throw new InvalidRequestException(MapperOperation.INITIALIZE, "mapping base is outside any reservation",
                base, UNKNOWN);
        }
        final long key = info.key().value();
        if (bookkeeping.isInitialized(key))
        {
            throw new InvalidRequestException(MapperOperation.INITIALIZE,
                "an allocation is already initialized at this key", key, UNKNOWN);
        }
        final List<PlannedSegment> planned = new ArrayList<>(info.segments().size());
        for (int i = 0; i < info.segments().size(); i++)
        {
            final Segment segment = info.segments().get(i);
            final long room = reservation.end().value() - base;
            if (segment.offset() > room || segment.totalSize() > room - segment.offset())
            {
                throw new InvalidRequestException(MapperOperation.INITIALIZE, "segment " + i +
                    " leaves its reservation: reservation=" + reservation, base + Math.min(segment.offset(), room),
                    segment.totalSize());
            }
            if (segment.protection().writableAndExecutable() && !allowWriteExecute)
            {
                throw new InvalidRequestException(MapperOperation.INITIALIZE, "segment " + i +
                    " is writable and executable, which the W^X policy refuses", base + segment.offset(),
                    segment.totalSize());
            }
            planned.add(new PlannedSegment(key, base + segment.offset(), segment, pageSize));
        }
        checkLayout(planned, pageSize, bookkeeping);
        return planned;
    }

    private static void checkLayout(final List<PlannedSegment> planned, final long pageSize,
        final Bookkeeping bookkeeping)
    {
        final List<PlannedSegment> sorted = new ArrayList<>(planned.size());
        for (final PlannedSegment segment : planned)
        {
            if (segment.size > 0)
            {
                sorted.add(segment);
            }
        }
        if (sorted.size() > 1)
        {
            sorted.sort(Comparator.comparingLong(s -> s.start));
        }
        PlannedSegment previous = null;
        for (final PlannedSegment segment : sorted)
        {
            if (previous != null)
            {
                if (segment.start < previous.end())
                {
                    throw new InvalidRequestException(MapperOperation.INITIALIZE,
                        "segments overlap: other=" + ExecutorAddress.hex(previous.start), segment.start,
                        segment.size);
                }
                if (segment.pageStart < previous.pageEnd && (!segment.protection.equals(previous.protection) ||
                    segment.lifetime != previous.lifetime))
                {
                    throw new InvalidRequestException(MapperOperation.INITIALIZE,
                        "segments with different protections or lifetimes share a page: other=" +
                        ExecutorAddress.hex(previous.start) + " pageSize=" + pageSize, segment.start, segment.size);
                }
            }
            final PlannedSegment live = bookkeeping.liveSegmentStartingAtOrBelow(segment.pageEnd - 1);
            if (live != null && live.pageEnd > segment.pageStart)
            {
                throw new InvalidRequestException(MapperOperation.INITIALIZE,
                    "segment shares a page with the initialized allocation " + ExecutorAddress.hex(live.allocationKey),
                    segment.start, segment.size);
            }
            previous = segment;
        }
    }

    private static void checkActions(final AllocInfo info, final List<PlannedSegment> planned,
        final Bookkeeping bookkeeping)
    {
        for (int i = 0; i < info.actions().size(); i++)
        {
            final ActionPair pair = info.actions().get(i);
            for (final ActionCall call : List.of(pair.finalizeCall(), pair.deallocCall()))
            {
                if (call.isNone())
                {
                    continue;
                }
                final long function = call.function().value();
                if (bookkeeping.reservationAt(function) != null && !isExecutable(function, planned, bookkeeping))
                {
                    throw new InvalidRequestException(MapperOperation.INITIALIZE, "action " + i +
                        " function lies in a reservation but not in an executable segment", function, UNKNOWN);
                }
                if (call == pair.deallocCall() && isInFinalizeSegment(function, planned))
                {
                    throw new InvalidRequestException(MapperOperation.INITIALIZE, "dealloc action " + i +
                        " function lies in a finalize-lifetime segment, which is gone by then", function, UNKNOWN);
                }
            }
        }
    }

    private static boolean isInFinalizeSegment(final long address, final List<PlannedSegment> planned)
    {
        for (final PlannedSegment segment : planned)
        {
            if (segment.lifetime == MemoryLifetime.FINALIZE && segment.contains(address))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isExecutable(final long address, final List<PlannedSegment> planned,
        final Bookkeeping bookkeeping)
    {
        for (final PlannedSegment segment : planned)
        {
            if (segment.protection.executable() && segment.contains(address))
            {
                return true;
            }
        }
        final PlannedSegment live = bookkeeping.liveSegmentAt(address);
        return live != null && live.protection.executable();
    }
}
