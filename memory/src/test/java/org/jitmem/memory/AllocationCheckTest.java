package org.jitmem.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.junit.jupiter.api.Test;

/**
 * The validation of an allocation on its own, over bookkeeping held in plain maps: nothing is mapped, which is what
 * keeping the check apart from applying it allows. Addresses are made up; a 16 KiB page shows that the page size is the
 * one given, not this machine's.
 */
final class AllocationCheckTest
{
    private static final long PAGE = 16 * 1024;
    private static final long BASE = 0x7000_0000_0000L;
    private static final ExecutorAddressRange RESERVATION = ExecutorAddressRange.of(BASE, 16 * PAGE);

    private final TreeMap<Long, PlannedSegment> live = new TreeMap<>();
    private final AllocationCheck.Bookkeeping bookkeeping = new AllocationCheck.Bookkeeping()
    {
        @Override
        public ExecutorAddressRange reservationAt(final long address)
        {
            return RESERVATION.contains(ExecutorAddress.of(address)) ? RESERVATION : null;
        }

        @Override
        public boolean isInitialized(final long key)
        {
            return live.values().stream().anyMatch(segment -> segment.allocationKey == key);
        }

        @Override
        public PlannedSegment liveSegmentAt(final long address)
        {
            final Map.Entry<Long, PlannedSegment> entry = live.floorEntry(address);
            return entry != null && entry.getValue().contains(address) ? entry.getValue() : null;
        }

        @Override
        public PlannedSegment liveSegmentStartingAtOrBelow(final long address)
        {
            final Map.Entry<Long, PlannedSegment> entry = live.floorEntry(address);
            return entry == null ? null : entry.getValue();
        }
    };

    @Test
    void plansSegmentsAtTheirAddressesWithTheGivenPageSize()
    {
        final List<PlannedSegment> planned = plan(AllocInfo.of(ExecutorAddress.of(BASE),
            Segment.of(0, 100, MemoryProtection.READ_EXEC), Segment.of(PAGE, 10, MemoryProtection.READ_WRITE)), false);
        assertEquals(2, planned.size());
        assertEquals(BASE, planned.get(0).start);
        assertEquals(BASE + PAGE, planned.get(0).pageEnd, "one 16 KiB page");
        assertEquals(BASE + PAGE, planned.get(1).pageStart);
        assertEquals(BASE, planned.get(1).allocationKey, "the key is the lowest segment address");
    }

    @Test
    void refusesWhatMustNotBeApplied()
    {
        assertRefused("mapping base is outside any reservation",
            AllocInfo.of(ExecutorAddress.of(BASE - PAGE), Segment.of(0, 8, MemoryProtection.READ)), false);
        assertRefused("leaves its reservation",
            AllocInfo.of(ExecutorAddress.of(BASE), Segment.of(15 * PAGE, 2 * PAGE, MemoryProtection.READ)), false);
        assertRefused("W^X policy refuses",
            AllocInfo.of(ExecutorAddress.of(BASE), Segment.of(0, 8, MemoryProtection.READ_WRITE_EXEC)), false);
        assertRefused("segments overlap", AllocInfo.of(ExecutorAddress.of(BASE),
            Segment.of(0, 64, MemoryProtection.READ), Segment.of(32, 64, MemoryProtection.READ)), false);
        assertRefused("different protections or lifetimes share a page", AllocInfo.of(ExecutorAddress.of(BASE),
            Segment.of(0, 64, MemoryProtection.READ_EXEC), Segment.of(128, 64, MemoryProtection.READ_WRITE)), false);
        final AllocInfo codeOutsideAnyExecutableSegment = new AllocInfo(ExecutorAddress.of(BASE),
            List.of(Segment.of(0, 64, MemoryProtection.READ_WRITE)),
            List.of(new ActionPair(ActionCall.of(ExecutorAddress.of(BASE + 8)), ActionCall.NONE)));
        assertRefused("lies in a reservation but not in an executable segment", codeOutsideAnyExecutableSegment,
            false);
    }

    @Test
    void writableAndExecutableIsPlannedWhereAllowed()
    {
        assertEquals(1, plan(AllocInfo.of(ExecutorAddress.of(BASE),
            Segment.of(0, 8, MemoryProtection.READ_WRITE_EXEC)), true).size());
    }

    @Test
    void refusesAKeyInitializedAlreadyAndAPageSharedWithAnInitializedAllocation()
    {
        final List<PlannedSegment> first = plan(AllocInfo.of(ExecutorAddress.of(BASE),
            Segment.of(0, 64, MemoryProtection.READ_EXEC)), false);
        first.forEach(segment -> live.put(segment.start, segment));

        assertRefused("already initialized at this key", AllocInfo.of(ExecutorAddress.of(BASE),
            Segment.of(0, 64, MemoryProtection.READ_EXEC)), false);
        assertRefused("shares a page with the initialized allocation", AllocInfo.of(ExecutorAddress.of(BASE + 128),
            Segment.of(0, 64, MemoryProtection.READ_EXEC)), false);
        assertEquals(1, plan(AllocInfo.of(ExecutorAddress.of(BASE + PAGE),
            Segment.of(0, 64, MemoryProtection.READ_EXEC)), false).size(), "the next page is free");
    }

    private List<PlannedSegment> plan(final AllocInfo info, final boolean allowWriteExecute)
    {
        return AllocationCheck.plan(info, allowWriteExecute, PAGE, bookkeeping);
    }

    private void assertRefused(final String reason, final AllocInfo info, final boolean allowWriteExecute)
    {
        final InvalidRequestException refused = assertThrows(InvalidRequestException.class,
            () -> plan(info, allowWriteExecute));
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
    }
}
