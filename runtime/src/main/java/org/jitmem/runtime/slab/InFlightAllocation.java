package org.jitmem.runtime.slab;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryRevokedException;

/**
 * An allocation whose working memory the caller is writing. It ends exactly once: finalized (the mapper initializes
 * it) or abandoned (its range, and only its range, goes back to the free list). Thread-safe.
 * <p>
 * Working memory is written through a {@link #lease()}: while it is open the backend that owns the memory drains
 * rather than unmapping it, and each access is refused with {@link MemoryRevokedException} once the memory is
 * revoked, so a backend that goes away never leaves a writer touching unmapped memory.
 */
public final class InFlightAllocation
{
    private enum State
    {
        IN_FLIGHT, FINALIZING, FINALIZED, FAILED, ABANDONED
    }

    private final SlabMemoryManager owner;
    private final ExecutorAddressRange range;
    private final SlabLayout layout;
    private final List<ByteBuffer> workingMemory;
    private final AtomicReference<State> state = new AtomicReference<>(State.IN_FLIGHT);

    InFlightAllocation(final SlabMemoryManager owner, final ExecutorAddressRange range, final SlabLayout layout,
        final List<ByteBuffer> workingMemory)
    {
        this.owner = owner;
        this.range = range;
        this.layout = layout;
        this.workingMemory = List.copyOf(workingMemory);
    }

    /** @return the executor range the allocation covers, whole pages */
    public ExecutorAddressRange range()
    {
        return range;
    }

    /** @return how many segments were requested */
    public int segmentCount()
    {
        return workingMemory.size();
    }

    /**
     * @param index a segment, in request order
     * @return the executor address the segment will live at
     */
    public ExecutorAddress segmentAddress(final int index)
    {
        return range.start().add(layout.offsets()[index]);
    }

    /**
     * The raw working memory of a segment, unguarded: only a {@link WorkingMemoryLease} touches it, since it is
     * unmapped once the owning backend has gone away.
     *
     * @param index a segment, in request order
     * @return its working memory: positioned at zero, with its content size remaining
     */
    ByteBuffer workingMemory(final int index)
    {
        return workingMemory.get(index);
    }

    /**
     * Opens a lease for writing (and reading back) working memory: the owning backend, if it goes away, waits for
     * the lease to close before it unmaps, up to its drain timeout. Close it once written, then finalize.
     *
     * @return the lease, closed with try-with-resources
     * @throws MemoryRevokedException when the memory has been revoked
     * @throws InvalidRequestException when the allocation was abandoned
     */
    public WorkingMemoryLease lease()
    {
        if (state.get() == State.ABANDONED)
        {
            throw notInFlight(MapperOperation.PREPARE);
        }
        return new WorkingMemoryLease(owner.gate(), owner.gate().acquire(MapperOperation.PREPARE, false), this);
    }

    /**
     * Initializes the allocation: zero fill, protections, then the finalize actions in order. Then the pages of its
     * {@link MemoryLifetime#FINALIZE} segments go back to the free list, as the mapper has given them back (unless
     * every segment is finalize-lifetime: the range then holds the allocation's key until it is deallocated). When
     * initialize refuses the request ({@link InvalidRequestException}: nothing was applied) the range goes back to the
     * free list; when it fails otherwise the range is withheld for good, since its protections are unknown.
     *
     * @param actions finalize and dealloc call pairs, run in the executor
     * @return the finalized allocation
     */
    public CompletionStage<FinalizedAllocation> finalizeAllocation(final List<ActionPair> actions)
    {
        if (!state.compareAndSet(State.IN_FLIGHT, State.FINALIZING))
        {
            return CompletableFuture.failedFuture(notInFlight(MapperOperation.INITIALIZE));
        }
        final AllocInfo info = new AllocInfo(range.start(), layout.segments(), actions);
        return owner.underLease(MapperOperation.INITIALIZE, () -> owner.mapper().initialize(info)).handle((key, error) ->
        {
            if (error != null)
            {
                state.set(State.FAILED);
                final RuntimeException failure = SlabMemoryManager.unwrap(error);
                if (failure instanceof InvalidRequestException)
                {
                    owner.returnAbandoned(range);
                }
                else
                {
                    owner.burn(range);
                }
                throw failure;
            }
            state.set(State.FINALIZED);
            final long kept = layout.standardSize() > 0 ? layout.standardSize() : range.size();
            if (kept < range.size())
            {
                owner.returnAbandoned(ExecutorAddressRange.of(range.start().value() + kept, range.size() - kept));
            }
            return new FinalizedAllocation(owner, key, ExecutorAddressRange.of(range.start().value(), kept),
                layout.offsets());
        });
    }

    /**
     * Gives the range back without initializing it.
     *
     * @return completes when the range is free again (and any reservation it emptied is released)
     */
    public CompletionStage<Void> abandon()
    {
        if (!state.compareAndSet(State.IN_FLIGHT, State.ABANDONED))
        {
            return CompletableFuture.failedFuture(notInFlight(MapperOperation.RELEASE));
        }
        return owner.returnAbandoned(range);
    }

    private InvalidRequestException notInFlight(final MapperOperation operation)
    {
        return new InvalidRequestException(operation, "allocation is no longer in flight: state=" +
            state.get().name().toLowerCase(Locale.ROOT), range.start().value(), range.size());
    }

    @Override
    public String toString()
    {
        return "InFlightAllocation" + range;
    }
}
