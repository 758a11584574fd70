package org.jitmem.memory;

import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;

/**
 * One segment of an allocation at its executor address, with the pages it touches: what {@link AllocationCheck} plans
 * and what {@link ExecutorMemory} records while the allocation is initialized. Pure: it makes no system call.
 */
final class PlannedSegment
{
    final long allocationKey;
    final long start;
    final long size;
    final long contentSize;
    final long zeroFillSize;
    final MemoryProtection protection;
    final MemoryLifetime lifetime;
    final long pageStart;
    final long pageEnd;
    /** Set when initialize found the pages with this segment's protection already and left them alone. */
    boolean alreadyProtected;

    /**
     * @param allocationKey the key of the allocation it belongs to
     * @param start         its executor address
     * @param segment       what the request says of it
     * @param pageSize      the executor's page size, a power of two
     */
    PlannedSegment(final long allocationKey, final long start, final Segment segment, final long pageSize)
    {
        this.allocationKey = allocationKey;
        this.start = start;
        this.size = segment.totalSize();
        this.contentSize = segment.contentSize();
        this.zeroFillSize = segment.zeroFillSize();
        this.protection = segment.protection();
        this.lifetime = segment.lifetime();
        this.pageStart = start & -pageSize;
        this.pageEnd = (start + size + pageSize - 1) & -pageSize;
    }

    long end()
    {
        return start + size;
    }

    /** @return true when both have a byte in a common page */
    boolean sharesPagesWith(final PlannedSegment other)
    {
        return size > 0 && other.size > 0 && pageStart < other.pageEnd && other.pageStart < pageEnd;
    }

    boolean contains(final long address)
    {
        return address >= start && address - start < size;
    }
}
