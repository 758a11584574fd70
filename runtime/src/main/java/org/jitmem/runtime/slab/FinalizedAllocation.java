package org.jitmem.runtime.slab;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryRevokedException;

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

    /** @return the executor range the allocation still covers: its finalize-lifetime pages are gone */
    public ExecutorAddressRange range()
    {
        return range;
    }

    /**
     * @param index a segment, in request order
     * @return the executor address of the segment; a finalize-lifetime segment's is no longer the allocation's
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
     * Calls {@code int64_t fn(const void *arg, size_t len)} at the start of a segment, under a lease: the owning
     * backend, if it goes away meanwhile, waits for the call before it unmaps.
     *
     * @param index    an executable segment, in request order
     * @param argument the argument block
     * @return what the function returned; fails with {@link MemoryRevokedException} once the memory is revoked
     */
    public CompletionStage<Long> call(final int index, final byte[] argument)
    {
        final ActionCall call = ActionCall.of(segmentAddress(index), argument);
        return owner.underLease(MapperOperation.CALL, () -> owner.mapper().call(call));
    }

    /**
     * Calls {@code int64_t fn(const void *arg, size_t len)} anywhere inside the allocation, under a lease as
     * {@link #call(int, byte[])} does.
     *
     * @param function an address of executable code inside {@link #range()}
     * @param argument the argument block
     * @return what the function returned; fails with {@link InvalidRequestException} for an address outside the range
     */
    public CompletionStage<Long> call(final ExecutorAddress function, final byte[] argument)
    {
        if (!range.contains(function))
        {
            return CompletableFuture.failedFuture(new InvalidRequestException(MapperOperation.CALL,
                "function outside the allocation: range=" + range, function.value(), argument.length));
        }
        final ActionCall call = ActionCall.of(function, argument);
        return owner.underLease(MapperOperation.CALL, () -> owner.mapper().call(call));
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
