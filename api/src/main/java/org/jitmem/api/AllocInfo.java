package org.jitmem.api;

import java.util.List;
import java.util.Objects;

/**
 * What initialize needs: where the allocation lies, its segments and its action pairs.
 *
 * @param mappingBase base address that segment offsets count from
 * @param segments    the segments, at least one
 * @param actions     finalize and dealloc calls
 */
public record AllocInfo(ExecutorAddress mappingBase, List<Segment> segments, List<ActionPair> actions)
{
    /**
     * @param mappingBase base address
     * @param segments    segments, copied
     * @param actions     action pairs, copied
     */
    public AllocInfo
    {
        Objects.requireNonNull(mappingBase, "mappingBase");
        segments = List.copyOf(segments);
        actions = List.copyOf(actions);
    }

    /**
     * @param mappingBase base address
     * @param segments    segments
     * @return an allocation with no actions
     */
    public static AllocInfo of(final ExecutorAddress mappingBase, final Segment... segments)
    {
        return new AllocInfo(mappingBase, List.of(segments), List.of());
    }

    /**
     * The allocation key initialize returns: the lowest segment address.
     *
     * @return the key, or the mapping base when there are no segments
     */
    public ExecutorAddress key()
    {
        long lowest = segments.isEmpty() ? 0 : Long.MAX_VALUE;
        for (final Segment segment : segments)
        {
            lowest = Math.min(lowest, segment.offset());
        }
        return mappingBase.add(lowest);
    }
}
