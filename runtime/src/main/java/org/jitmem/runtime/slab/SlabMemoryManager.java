package org.jitmem.runtime.slab;

import java.nio.ByteBuffer;
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
 */
public final class SlabMemoryManager
{
    private final MemoryMapper mapper;
    private final SlabSettings settings;
    private final long pageSize;
    private final long granularity;
    private final ReentrantLock lock = new ReentrantLock();
    private final RangeAllocator allocator = new RangeAllocator();
    private CompletableFuture<Void> growth;
    private boolean closed;

    /**
     * @param mapper   the mapper that owns the memory
     * @param settings granularity, free space kept and W^X policy
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
     * @return the allocation, ready to be written and then finalized or abandoned
     */
    public CompletionStage<InFlightAllocation> allocate(final List<SegmentRequest> requests)
    {
        final SlabLayout layout;
        try
        {
            layout = SlabLayout.of(requests, pageSize, settings.allowWriteExecute());
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        return carve(layout.totalSize()).thenApply(start -> prepare(layout, start));
    }

    /**
     * Deallocates finalized allocations: one deinitialize for all of them, then their ranges go back to the free
     * list. A range the mapper failed to deinitialize is withheld for good.
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
        final MemoryRevokedException revoked = revokedIfClosed(MapperOperation.DEINITIALIZE);
        if (revoked != null)
        {
            return CompletableFuture.failedFuture(revoked);
        }
        final List<ExecutorAddress> keys = new ArrayList<>(claimed.size());
        claimed.forEach(allocation -> keys.add(allocation.key()));
        return callMapper(() -> mapper.deinitialize(keys))
            .handle((ignored, error) -> returnDeallocated(claimed, error == null ? null : unwrap(error)))
            .thenCompose(released -> released);
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
     * Releases every reservation; the mapper deinitializes what is still initialized in them. Later use of this
     * manager's allocations fails with {@link MemoryRevokedException}.
     *
     * @return completes when every reservation has been released
     */
    public CompletionStage<Void> close()
    {
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
        return release(reservations);
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

    MemoryRevokedException revokedIfClosed(final MapperOperation operation)
    {
        lock.lock();
        try
        {
            return closed ? new MemoryRevokedException(operation, "slab manager is closed: type=" + mapper.type(),
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN) : null;
        }
        finally
        {
            lock.unlock();
        }
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
                return CompletableFuture.failedFuture(new MemoryRevokedException(MapperOperation.RESERVE,
                    "slab manager is closed: type=" + mapper.type(), MemoryMapperException.UNKNOWN, size));
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
                    failure = new MemoryRevokedException(MapperOperation.RESERVE, "slab manager closed while reserving: " +
                        "type=" + mapper.type(), range.start().value(), range.size());
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
        final Set<Long> failedAddresses = failure == null ? Set.of() : failedAddresses(failure);
        final boolean allFailed = failedAddresses.contains(MemoryMapperException.UNKNOWN);
        final List<ExecutorAddressRange> empty;
        lock.lock();
        try
        {
            if (closed)
            {
                return CompletableFuture.failedFuture(failure != null ? failure : new MemoryRevokedException(
                    MapperOperation.DEINITIALIZE, "slab manager closed while deallocating: type=" + mapper.type(),
                    MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN));
            }
            for (final FinalizedAllocation allocation : allocations)
            {
                final ExecutorAddressRange range = allocation.range();
                if (allFailed || failedAddresses.contains(allocation.key().value()))
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

    private static Set<Long> failedAddresses(final RuntimeException failure)
    {
        final Set<Long> addresses = new HashSet<>();
        addresses.add(failure instanceof MemoryMapperException mapperFailure ?
            mapperFailure.address() : MemoryMapperException.UNKNOWN);
        for (final Throwable suppressed : failure.getSuppressed())
        {
            addresses.add(suppressed instanceof MemoryMapperException mapperFailure ?
                mapperFailure.address() : MemoryMapperException.UNKNOWN);
        }
        return addresses;
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
