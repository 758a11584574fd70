package org.jitmem.runtime.slab;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.Segment;

/**
 * Where each requested segment lies in an allocation: segments of one lifetime and protection share a group, groups
 * start on page boundaries in (lifetime, protection) order, and the total is whole pages. The finalize-lifetime groups
 * come last, so that once finalized they are one tail of pages that goes back to the free list.
 *
 * @param requests     the requests, in the caller's order
 * @param offsets      offset of each request from the allocation start
 * @param standardSize bytes of the standard-lifetime groups at the start, a multiple of the page size
 * @param totalSize    the allocation size, a multiple of the page size
 */
record SlabLayout(List<SegmentRequest> requests, long[] offsets, long standardSize, long totalSize)
{
    private static final Comparator<SegmentRequest> GROUP_ORDER = Comparator
        .comparing(SegmentRequest::lifetime)
        .thenComparingInt((SegmentRequest request) -> request.protection().bits());

    /**
     * @param requests segments wanted, at least one with a size
     * @param pageSize the mapper's page size
     * @return the layout
     * @throws InvalidRequestException when a request cannot be laid out
     */
    static SlabLayout of(final List<SegmentRequest> requests, final long pageSize)
    {
        final List<SegmentRequest> copy = List.copyOf(requests);
        final List<Integer> order = new ArrayList<>(copy.size());
        for (int i = 0; i < copy.size(); i++)
        {
            final SegmentRequest request = copy.get(i);
            if (Long.compareUnsigned(request.alignment(), pageSize) > 0)
            {
                throw new InvalidRequestException(MapperOperation.RESERVE,
                    "segment alignment greater than the page size: index=" + i + " alignment=" + request.alignment() +
                    " pageSize=" + pageSize, MemoryMapperException.UNKNOWN, request.totalSize());
            }
            order.add(i);
        }
        order.sort(Comparator.comparing(copy::get, GROUP_ORDER));

        final long[] offsets = new long[copy.size()];
        long end = 0;
        long nonEmpty = 0;
        long standardSize = -1;
        SegmentRequest groupOf = null;
        for (final int index : order)
        {
            final SegmentRequest request = copy.get(index);
            if (groupOf == null || GROUP_ORDER.compare(groupOf, request) != 0)
            {
                end = alignUp(end, pageSize);
                groupOf = request;
            }
            if (standardSize < 0 && request.lifetime() == MemoryLifetime.FINALIZE && request.totalSize() > 0)
            {
                standardSize = end;
            }
            offsets[index] = alignUp(end, request.alignment());
            end = Math.addExact(offsets[index], request.totalSize());
            nonEmpty += request.totalSize() > 0 ? 1 : 0;
        }
        if (nonEmpty == 0)
        {
            throw new InvalidRequestException(MapperOperation.RESERVE, "allocation has no segment with a size: segments=" +
                copy.size(), MemoryMapperException.UNKNOWN, 0);
        }
        final long totalSize = alignUp(end, pageSize);
        return new SlabLayout(copy, offsets, standardSize < 0 ? totalSize : standardSize, totalSize);
    }

    /**
     * @return the segments to initialize, the empty ones left out
     */
    List<Segment> segments()
    {
        final List<Segment> segments = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++)
        {
            final SegmentRequest request = requests.get(i);
            if (request.totalSize() > 0)
            {
                segments.add(new Segment(offsets[i], request.contentSize(), request.zeroFillSize(),
                    request.protection(), request.lifetime()));
            }
        }
        return segments;
    }

    /**
     * @param value     a size or offset
     * @param alignment a power of two
     * @return {@code value} rounded up to a multiple of {@code alignment}
     */
    static long alignUp(final long value, final long alignment)
    {
        return Math.addExact(value, alignment - 1) & -alignment;
    }
}
