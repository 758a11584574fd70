package org.jitmem.runtime.slab;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;

/**
 * Carves many small allocations out of few reservations of one {@link MemoryMapper}. An allocation is laid out by
 * protection group on page boundaries, handed to the caller as working memory, finalized with the mapper's
 * initialize and deallocated with its deinitialize, after which its range is reused. No allocation ever spans two
 * reservations. Empty reservations beyond the configured free space are released. Thread-safe; the lock guards
 * bookkeeping only and is never held while the mapper is called.
 * <p>
 * Every operation on the memory runs under a lease (see {@link InFlightAllocation#lease()}), so that a backend that
 * goes away can {@link #drain} first: new allocations are refused, open leases are waited for (bounded), then the
 * memory is revoked and released once the last lease has ended. Later use of a revoked allocation fails with
 * {@link MemoryRevokedException}.
 */
public final class SlabMemoryManager
{
    private final MemoryMapper mapper;
    private final SlabSettings settings;
    private final long pageSize;
    private final long granularity;
    private final ReentrantLock lock = new ReentrantLock();
    private final RangeAllocator allocator = new RangeAllocator();
    private final LeaseGate gate;
    private CompletableFuture<Void> growth;
    private boolean closed;

    /**
     * @param mapper   the mapper that owns the memory
     * @param settings granularity and free space kept
     */
    public SlabMemoryManager(final MemoryMapper mapper, final SlabSettings settings)
    {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.pageSize = mapper.pageSize();
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1)
        {
            throw new IllegalArgumentException("mapper page size is not a power of two: pageSize=" + pageSize);
        }
        this.granularity = SlabLayout.alignUp(settings.granularity(), pageSize);
        this.gate = new LeaseGate("type=" + mapper.type());
    }

    /** @return the mapper this manager allocates from */
    public MemoryMapper mapper()
    {
        return mapper;
    }

    /** @return the settings this manager was made with */
    public SlabSettings settings()
    {
        return settings;
    }

    /**
     * Lays the segments out, carves a range for them (reserving more address space when none is free) and prepares
     * working memory for each.
     *
     * @param requests the segments, at least one with a size
     * @return the allocation, ready to be written and then finalized or abandoned; fails with
     *     {@link MemoryRevokedException} once the manager drains
     */
    public CompletionStage<InFlightAllocation> allocate(final List<SegmentRequest> requests)
    {
        final SlabLayout layout;
        final LeaseGate.Lease lease;
        try
        {
            layout = SlabLayout.of(requests, pageSize);
            lease = gate.acquire(MapperOperation.RESERVE, true);
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        return carve(layout.totalSize()).thenApply(start -> prepare(layout, start))
            .whenComplete((allocation, error) -> lease.close());
    }

    /**
     * Deallocates finalized allocations: one deinitialize for all of them, then their ranges go back to the free
     * list. A range whose key the mapper reports as failed (the joined failures carry one per failed key, addressed
     * by the key) is withheld for good, since something may still be registered there; when a failure names no key
     * of the batch (the executor went away, the channel failed) every range of the batch is withheld.
     *
     * @param allocations allocations finalized by this manager and not yet deallocated
     * @return completes when every range is back, failing with the joined errors
     */
    public CompletionStage<Void> deallocate(final List<FinalizedAllocation> allocations)
    {
        final List<FinalizedAllocation> claimed = new ArrayList<>(allocations.size());
        for (final FinalizedAllocation allocation : allocations)
        {
            if (allocation.owner() != this || !allocation.claimForDeallocation())
            {
                claimed.forEach(FinalizedAllocation::unclaim);
                return CompletableFuture.failedFuture(new InvalidRequestException(MapperOperation.DEINITIALIZE,
                    "allocation is not a live allocation of this slab manager", allocation.key().value(),
                    allocation.range().size()));
            }
            claimed.add(allocation);
        }
        if (claimed.isEmpty())
        {
            return CompletableFuture.completedFuture(null);
        }
        final List<ExecutorAddress> keys = new ArrayList<>(claimed.size());
        claimed.forEach(allocation -> keys.add(allocation.key()));
        return underLease(MapperOperation.DEINITIALIZE, () -> mapper.deinitialize(keys)
            .handle((ignored, error) -> returnDeallocated(claimed, error == null ? null : unwrap(error)))
            .thenCompose(released -> released));
    }

    /** @return a snapshot of this manager's memory */
    public SlabStatistics statistics()
    {
        lock.lock();
        try
        {
            return new SlabStatistics(mapper.type(), pageSize, allocator.reservedBytes(), allocator.usedBytes(),
                allocator.freeBytes(), allocator.burnedBytes(), allocator.reservationCount(), allocator.allocations());
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Revokes at once: {@link #drain} with no wait for open leases.
     *
     * @return completes when every reservation has been released
     */
    public CompletionStage<Void> close()
    {
        return drain(Duration.ZERO);
    }

    /**
     * Drains and revokes this manager's memory: new allocations are refused at once, then the calling thread waits up
     * to {@code timeout} for open leases (writes of working memory, finalizes, calls, deallocations) to end. Then every
     * allocation is revoked: later use fails with {@link MemoryRevokedException} and the statistics drop to zero.
     * The reservations are released (the mapper deinitializes what is still initialized in them) once the last lease
     * has ended: at once when the drain succeeded, otherwise when the late lease holders finish, so memory is never
     * unmapped under an operation still running through this manager.
     *
     * @param timeout how long to wait for open leases
     * @return completes when every reservation has been released
     */
    public CompletionStage<Void> drain(final Duration timeout)
    {
        gate.drainAndRevoke(timeout);
        final List<ExecutorAddressRange> reservations;
        lock.lock();
        try
        {
            closed = true;
            reservations = allocator.takeAllReservations();
        }
        finally
        {
            lock.unlock();
        }
        return gate.lastLeaseEnded().thenCompose(ignored -> release(reservations));
    }

    /** @return whether this manager refuses new allocations because it drains or is revoked */
    public boolean isDraining()
    {
        return gate.isDraining();
    }

    /** @return leases open now: operations running on this manager's memory */
    public long openLeases()
    {
        return gate.openLeases();
    }

    /** @return whether {@link #close} has been called */
    public boolean isClosed()
    {
        lock.lock();
        try
        {
            return closed;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return the reservations held, in address order */
    List<ExecutorAddressRange> reservations()
    {
        lock.lock();
        try
        {
            return allocator.reservations();
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return the free ranges, in address order */
    List<ExecutorAddressRange> freeRanges()
    {
        lock.lock();
        try
        {
            return allocator.freeRanges();
        }
        finally
        {
            lock.unlock();
        }
    }

    CompletionStage<Void> returnAbandoned(final ExecutorAddressRange range)
    {
        final List<ExecutorAddressRange> empty;
        lock.lock();
        try
        {
            if (closed)
            {
                return CompletableFuture.completedFuture(null);
            }
            allocator.free(range.start().value(), range.size());
            empty = allocator.takeEmptyReservations(settings.keepFreeBytes());
        }
        finally
        {
            lock.unlock();
        }
        return release(empty);
    }

    void burn(final ExecutorAddressRange range)
    {
        lock.lock();
        try
        {
            if (!closed)
            {
                allocator.burn(range.start().value(), range.size());
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    LeaseGate gate()
    {
        return gate;
    }

    /**
     * Runs a mapper operation on existing memory under a lease that ends when the operation completes.
     *
     * @param operation the operation
     * @param call      starts it
     * @param <T>       its result
     * @return its stage, or a stage failed with {@link MemoryRevokedException} once the memory is revoked
     */
    <T> CompletionStage<T> underLease(final MapperOperation operation, final Supplier<CompletionStage<T>> call)
    {
        final LeaseGate.Lease lease;
        try
        {
            lease = gate.acquire(operation, false);
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        return callMapper(call).whenComplete((result, error) -> lease.close());
    }

    static <T> CompletionStage<T> callMapper(final Supplier<CompletionStage<T>> call)
    {
        try
        {
            return call.get();
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    static RuntimeException unwrap(final Throwable error)
    {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null)
        {
            cause = cause.getCause();
        }
        final ErrorJoiner joiner = new ErrorJoiner();
        joiner.add(cause);
        return joiner.joined();
    }

    private CompletionStage<Long> carve(final long size)
    {
        final CompletableFuture<Void> pending;
        final CompletableFuture<Void> mine;
        lock.lock();
        try
        {
            if (closed)
            {
                return CompletableFuture.failedFuture(gate.refused(MapperOperation.RESERVE,
                    MemoryMapperException.UNKNOWN, size));
            }
            final long start = allocator.allocate(size);
            if (start != RangeAllocator.NO_RANGE)
            {
                return CompletableFuture.completedFuture(start);
            }
            pending = growth;
            mine = pending == null ? new CompletableFuture<>() : null;
            if (mine != null)
            {
                growth = mine;
            }
        }
        finally
        {
            lock.unlock();
        }
        if (mine == null)
        {
            return pending.thenCompose(ignored -> carve(size));
        }
        return grow(size, mine);
    }

    private CompletionStage<Long> grow(final long size, final CompletableFuture<Void> growthDone)
    {
        final long reserveSize = SlabLayout.alignUp(size, granularity);
        return callMapper(() -> mapper.reserve(reserveSize)).handle((range, error) ->
        {
            ExecutorAddressRange orphan = null;
            RuntimeException failure = null;
            long start = RangeAllocator.NO_RANGE;
            lock.lock();
            try
            {
                growth = null;
                if (error != null)
                {
                    failure = unwrap(error);
                }
                else if (closed)
                {
                    orphan = range;
                    failure = gate.refused(MapperOperation.RESERVE, range.start().value(), range.size());
                }
                else
                {
                    allocator.addReservation(range.start().value(), range.size());
                    start = allocator.allocateIn(range.start().value(), size);
                    if (start == RangeAllocator.NO_RANGE)
                    {
                        failure = new MemoryMapperException(MapperOperation.RESERVE, "mapper reserved less than asked: " +
                            "asked=" + reserveSize, range.start().value(), range.size(), 0);
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                orphan = range;
                failure = ex;
            }
            finally
            {
                lock.unlock();
            }
            growthDone.complete(null);
            return new Growth(start, orphan, failure);
        }).thenCompose(grown ->
        {
            if (grown.orphan != null)
            {
                release(List.of(grown.orphan));
            }
            if (grown.failure != null)
            {
                return CompletableFuture.failedFuture(grown.failure);
            }
            return CompletableFuture.completedFuture(grown.start);
        });
    }

    private InFlightAllocation prepare(final SlabLayout layout, final long start)
    {
        final ExecutorAddressRange range = ExecutorAddressRange.of(start, layout.totalSize());
        try
        {
            final List<ByteBuffer> workingMemory = new ArrayList<>(layout.requests().size());
            for (int i = 0; i < layout.requests().size(); i++)
            {
                final long contentSize = layout.requests().get(i).contentSize();
                workingMemory.add(contentSize == 0 ? ByteBuffer.allocate(0) :
                    mapper.prepare(range.start().add(layout.offsets()[i]), contentSize));
            }
            return new InFlightAllocation(this, range, layout, workingMemory);
        }
        catch (final RuntimeException ex)
        {
            returnAbandoned(range);
            throw ex;
        }
    }

    private CompletionStage<Void> returnDeallocated(final List<FinalizedAllocation> allocations,
        final RuntimeException failure)
    {
        final Set<Long> failedKeys = failure == null ? Set.of() : failedKeys(failure, allocations);
        final List<ExecutorAddressRange> empty;
        lock.lock();
        try
        {
            if (closed)
            {
                return CompletableFuture.failedFuture(failure != null ? failure : gate.refused(
                    MapperOperation.DEINITIALIZE, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN));
            }
            for (final FinalizedAllocation allocation : allocations)
            {
                final ExecutorAddressRange range = allocation.range();
                if (failedKeys.contains(allocation.key().value()))
                {
                    allocator.burn(range.start().value(), range.size());
                }
                else
                {
                    allocator.free(range.start().value(), range.size());
                }
            }
            empty = allocator.takeEmptyReservations(settings.keepFreeBytes());
        }
        finally
        {
            lock.unlock();
        }
        final CompletionStage<Void> released = release(empty);
        return failure == null ? released : released.handle((ignored, error) ->
        {
            if (error != null)
            {
                failure.addSuppressed(unwrap(error));
            }
            throw failure;
        });
    }

    /** @return the keys the joined failure names, or every key of the batch when any failure names none of them */
    private static Set<Long> failedKeys(final RuntimeException failure, final List<FinalizedAllocation> allocations)
    {
        final Set<Long> batch = new HashSet<>();
        allocations.forEach(allocation -> batch.add(allocation.key().value()));
        final Set<Long> failed = new HashSet<>();
        final List<Throwable> joined = new ArrayList<>(List.of(failure.getSuppressed()));
        joined.add(failure);
        for (final Throwable error : joined)
        {
            final long key = error instanceof MemoryMapperException mapperFailure ? mapperFailure.address() :
                MemoryMapperException.UNKNOWN;
            if (!batch.contains(key))
            {
                return batch;
            }
            failed.add(key);
        }
        return failed;
    }

    private CompletionStage<Void> release(final List<ExecutorAddressRange> reservations)
    {
        if (reservations.isEmpty())
        {
            return CompletableFuture.completedFuture(null);
        }
        final List<ExecutorAddress> starts = new ArrayList<>(reservations.size());
        reservations.forEach(range -> starts.add(range.start()));
        return callMapper(() -> mapper.release(starts));
    }

    private record Growth(long start, ExecutorAddressRange orphan, RuntimeException failure)
    {
    }
}
