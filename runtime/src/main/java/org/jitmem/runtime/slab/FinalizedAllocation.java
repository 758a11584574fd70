package org.jitmem.runtime.slab;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;

/** An initialized allocation; it stays with the slab manager, and so the mapper, that made it. Thread-safe. */
public final class FinalizedAllocation
{
    private final SlabMemoryManager owner;
    private final ExecutorAddress key;
    private final ExecutorAddressRange range;
    private final long[] offsets;
    private final AtomicBoolean deallocating = new AtomicBoolean();

    FinalizedAllocation(final SlabMemoryManager owner, final ExecutorAddress key, final ExecutorAddressRange range,
        final long[] offsets)
    {
        this.owner = owner;
        this.key = key;
        this.range = range;
        this.offsets = offsets;
    }

    /** @return the allocation key the mapper returned */
    public ExecutorAddress key()
    {
        return key;
    }

    /** @return the executor range the allocation covers */
    public ExecutorAddressRange range()
    {
        return range;
    }

    /**
     * @param index a segment, in request order
     * @return the executor address of the segment
     */
    public ExecutorAddress segmentAddress(final int index)
    {
        return range.start().add(offsets[index]);
    }

    /** @return the slab manager that made this allocation */
    public SlabMemoryManager owner()
    {
        return owner;
    }

    /**
     * Deinitializes the allocation and returns its range for reuse.
     *
     * @return completes when the range is free again
     */
    public CompletionStage<Void> deallocate()
    {
        return owner.deallocate(List.of(this));
    }

    boolean claimForDeallocation()
    {
        return deallocating.compareAndSet(false, true);
    }

    void unclaim()
    {
        deallocating.set(false);
    }

    @Override
    public String toString()
    {
        return "FinalizedAllocation(key=" + key + ", range=" + range + ")";
    }
}
