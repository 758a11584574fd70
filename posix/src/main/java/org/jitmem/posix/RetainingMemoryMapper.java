package org.jitmem.posix;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import com.sun.jna.Native;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;

/**
 * Retained reservations: a {@link MemoryMapper} decorator that keeps released reservations for the next
 * {@link #reserve} of the same page-rounded size instead of unmapping them, which saves the delegate's mmap and
 * munmap work, and for a cross-process delegate the reserve and release round trips and the first-touch page faults.
 *
 * <p>{@link #release} retains a reservation that this decorator saw reserved and in which nothing is initialized: every
 * key its {@link #initialize} returned was deinitialized successfully, no initialize or deinitialize is in flight, and
 * no initialize or deinitialize of it ever failed. Such a reservation is zeroed through the delegate's working memory
 * ({@code prepare} and a native memset, which makes every page of it resident) and pooled by its exact size, last in
 * first out, while the pool's total stays within the bound; every other reservation goes to the delegate's release.
 * In the executor a retained reservation keeps the protection deinitialize left: the delegate's free protection (none
 * for the shared-memory backend, read-write in process). Working memory handed out before the release keeps pointing
 * at the range, which the next reserve of that size may hand out again.
 *
 * <p>{@link #reserve} of an invalid size goes to the delegate, which fails with its typed error; otherwise it takes a
 * pooled reservation of the rounded size when there is one (a completed stage, no round trip), else it asks the
 * delegate. Before handing out a pooled range it asks the delegate for an empty working-memory view of it: a delegate
 * that refuses (closed: {@link MemoryRevokedException}; executor gone: {@link ExecutorUnavailableException}) makes the
 * whole pool go back to the delegate, and the reserve goes to the delegate too, which fails with that typed error. An
 * executor that died while its channel has not noticed yet passes that check; the range's next round trip, its
 * initialize, then fails with {@link ExecutorUnavailableException}.
 *
 * <p>{@link #close} or {@link #dropRetained} gives every pooled reservation back to the delegate; close it before the
 * delegate. Everything else passes through. Only what goes through this decorator is seen: a reservation must not be
 * initialized through the delegate directly. Thread-safe: one lock, never held while the delegate is called.
 */
public final class RetainingMemoryMapper implements MemoryMapper
{
    /** Default bound of the pool, in bytes: 16 MiB. */
    public static final long DEFAULT_RETAINED_BYTES = 16L << 20;

    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;
    private static final long ZERO_CHUNK = 1L << 30;
    private static final System.Logger LOG = System.getLogger(RetainingMemoryMapper.class.getName());

    private final MemoryMapper delegate;
    private final long limit;
    private final long pageSize;
    private final ReentrantLock lock = new ReentrantLock();
    /** Reservations seen reserved and not released, by start. */
    private final TreeMap<Long, Tracked> reservations = new TreeMap<>();
    /** Initialized allocations in tracked reservations, by key. */
    private final TreeMap<Long, Tracked> allocations = new TreeMap<>();
    /** Pooled reservations by size, the last released on top. */
    private final Map<Long, ArrayDeque<ExecutorAddressRange>> pool = new HashMap<>();
    /** Starts that belong to this decorator: pooled, or being zeroed for the pool. */
    private final Set<Long> held = new HashSet<>();
    private long pooledBytes;
    private int pooledCount;
    private boolean closed;

    /**
     * @param delegate      the mapper whose reservations are retained
     * @param retainedBytes bound of the pool's total size in bytes; 0 retains nothing
     * @throws IllegalArgumentException when {@code retainedBytes} is negative
     */
    public RetainingMemoryMapper(final MemoryMapper delegate, final long retainedBytes)
    {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.limit = checkRetainedBytes(retainedBytes);
        this.pageSize = delegate.pageSize();
    }

    /**
     * Checks a configured bound, before there is a mapper to wrap: a backend registers the bare mapper for 0.
     *
     * @param retainedBytes bound of the pool's total size in bytes
     * @return {@code retainedBytes}
     * @throws IllegalArgumentException when it is negative
     */
    public static long checkRetainedBytes(final long retainedBytes)
    {
        if (retainedBytes < 0)
        {
            throw new IllegalArgumentException("retainedBytes must not be negative: retainedBytes=" + retainedBytes);
        }
        return retainedBytes;
    }

    /** @return the decorated mapper */
    public MemoryMapper delegate()
    {
        return delegate;
    }

    /** @return the bound of the pool in bytes */
    public long retainedLimit()
    {
        return limit;
    }

    /** @return bytes of reservations pooled now */
    public long retainedBytes()
    {
        lock.lock();
        try
        {
            return pooledBytes;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return reservations pooled now */
    public int retainedCount()
    {
        lock.lock();
        try
        {
            return pooledCount;
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public long pageSize()
    {
        return pageSize;
    }

    @Override
    public String type()
    {
        return delegate.type();
    }

    @Override
    public boolean crossProcess()
    {
        return delegate.crossProcess();
    }

    @Override
    public long executorPid()
    {
        return delegate.executorPid();
    }

    @Override
    public CompletionStage<ExecutorAddressRange> reserve(final long numBytes)
    {
        if (numBytes > 0 && numBytes <= Long.MAX_VALUE - pageSize)
        {
            final long size = (numBytes + pageSize - 1) / pageSize * pageSize;
            final ExecutorAddressRange pooled = takePooled(size);
            if (pooled != null)
            {
                if (usable(pooled))
                {
                    return CompletableFuture.completedFuture(pooled);
                }
                giveBackAfterRefusal(pooled);
            }
        }
        return ofDelegate(() -> delegate.reserve(numBytes)).thenApply(range ->
        {
            lock.lock();
            try
            {
                reservations.put(range.start().value(), new Tracked(range));
            }
            finally
            {
                lock.unlock();
            }
            return range;
        });
    }

    @Override
    public ByteBuffer prepare(final ExecutorAddress address, final long contentSize)
    {
        return delegate.prepare(address, contentSize);
    }

    @Override
    public CompletionStage<ExecutorAddress> initialize(final AllocInfo info)
    {
        final Tracked owner;
        lock.lock();
        try
        {
            owner = containing(info.mappingBase().value());
            if (owner != null)
            {
                owner.pending++;
            }
        }
        finally
        {
            lock.unlock();
        }
        final CompletionStage<ExecutorAddress> initialized = ofDelegate(() -> delegate.initialize(info));
        if (owner == null)
        {
            return initialized;
        }
        return initialized.whenComplete((key, failure) ->
        {
            lock.lock();
            try
            {
                owner.pending--;
                if (failure != null)
                {
                    owner.retainable = false;
                }
                else
                {
                    allocations.put(key.value(), owner);
                    owner.live++;
                }
            }
            finally
            {
                lock.unlock();
            }
        });
    }

    @Override
    public CompletionStage<Void> deinitialize(final List<ExecutorAddress> keys)
    {
        final List<ExecutorAddress> trackedKeys = new ArrayList<>(keys.size());
        final List<Tracked> owners = new ArrayList<>(keys.size());
        lock.lock();
        try
        {
            for (final ExecutorAddress key : keys)
            {
                final Tracked owner = allocations.get(key.value());
                if (owner != null)
                {
                    owner.pending++;
                    trackedKeys.add(key);
                    owners.add(owner);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
        final CompletionStage<Void> deinitialized = ofDelegate(() -> delegate.deinitialize(keys));
        if (owners.isEmpty())
        {
            return deinitialized;
        }
        return deinitialized.whenComplete((ignored, failure) ->
        {
            lock.lock();
            try
            {
                for (int i = 0; i < owners.size(); i++)
                {
                    final Tracked owner = owners.get(i);
                    owner.pending--;
                    if (failure != null)
                    {
                        owner.retainable = false;
                    }
                    else if (allocations.remove(trackedKeys.get(i).value(), owner))
                    {
                        owner.live--;
                    }
                }
            }
            finally
            {
                lock.unlock();
            }
        });
    }

    @Override
    public CompletionStage<Void> release(final List<ExecutorAddress> starts)
    {
        final ErrorJoiner errors = new ErrorJoiner();
        final List<ExecutorAddress> released = new ArrayList<>(starts.size());
        final List<ExecutorAddressRange> candidates = new ArrayList<>(0);
        lock.lock();
        try
        {
            final Set<Long> seen = new HashSet<>();
            for (final ExecutorAddress start : starts)
            {
                if (!seen.add(start.value()) || held.contains(start.value()))
                {
                    errors.add(new InvalidRequestException(MapperOperation.RELEASE,
                        "no reservation starts at this address", start.value(), UNKNOWN));
                    continue;
                }
                final Tracked tracked = reservations.remove(start.value());
                if (tracked == null)
                {
                    released.add(start);
                    continue;
                }
                allocations.subMap(tracked.range.start().value(), tracked.range.end().value()).clear();
                if (!closed && tracked.retainable && tracked.live == 0 && tracked.pending == 0 &&
                    tracked.range.size() <= limit - pooledBytes)
                {
                    held.add(start.value());
                    candidates.add(tracked.range);
                }
                else
                {
                    released.add(start);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
        final List<ExecutorAddressRange> zeroed = new ArrayList<>(candidates.size());
        for (final ExecutorAddressRange range : candidates)
        {
            try
            {
                zero(range);
                zeroed.add(range);
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.DEBUG, "not retained, zeroing failed: range=" + range, ex);
                unhold(range);
                released.add(range.start());
            }
        }
        pool(zeroed, released);
        if (released.isEmpty())
        {
            return errors.isEmpty() ? CompletableFuture.completedFuture(null) :
                CompletableFuture.failedFuture(errors.joined());
        }
        return releaseThroughDelegate(released).handle((ignored, failure) ->
        {
            if (failure != null)
            {
                errors.add(unwrap(failure));
            }
            errors.throwIfAny();
            return null;
        });
    }

    @Override
    public CompletionStage<Long> call(final ActionCall call)
    {
        return delegate.call(call);
    }

    /**
     * Gives every pooled reservation back to the delegate; retaining goes on.
     *
     * @return completes when the delegate has released them
     */
    public CompletionStage<Void> dropRetained()
    {
        final List<ExecutorAddress> taken;
        lock.lock();
        try
        {
            taken = takePool();
        }
        finally
        {
            lock.unlock();
        }
        return taken.isEmpty() ? CompletableFuture.completedFuture(null) : releaseThroughDelegate(taken);
    }

    /**
     * Stops retaining (later releases go to the delegate) and gives every pooled reservation back to the delegate,
     * waiting at most {@code timeout}. A delegate that is closed or whose executor is gone already took that memory
     * with it, so its {@link MemoryRevokedException} or {@link ExecutorUnavailableException} is not a failure here.
     * Idempotent; the delegate stays open.
     *
     * @param timeout how long to wait for the delegate
     * @throws MemoryMapperException when the delegate failed to release them, or did not answer in time
     */
    public void close(final Duration timeout)
    {
        lock.lock();
        try
        {
            closed = true;
        }
        finally
        {
            lock.unlock();
        }
        try
        {
            dropRetained().toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new ExecutorUnavailableException(MapperOperation.RELEASE, "interrupted while releasing retained " +
                "reservations", UNKNOWN, UNKNOWN, ex);
        }
        catch (final TimeoutException ex)
        {
            throw new ExecutorUnavailableException(MapperOperation.RELEASE, "retained reservations not released " +
                "in time: timeout=" + timeout, UNKNOWN, UNKNOWN, ex);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = unwrap(ex.getCause());
            if (!(cause instanceof ExecutorUnavailableException) && !(cause instanceof MemoryRevokedException))
            {
                final ErrorJoiner errors = new ErrorJoiner();
                errors.add(cause);
                errors.throwIfAny();
            }
        }
    }

    @Override
    public String toString()
    {
        return "RetainingMemoryMapper[" + delegate.type() + " pid=" + delegate.executorPid() + " retainedBytes=" +
            retainedBytes() + " limit=" + limit + "]";
    }

    /** Takes a pooled reservation of exactly {@code size} and tracks it as reserved again, or returns null. */
    private ExecutorAddressRange takePooled(final long size)
    {
        lock.lock();
        try
        {
            final ArrayDeque<ExecutorAddressRange> ranges = pool.get(size);
            if (ranges == null)
            {
                return null;
            }
            final ExecutorAddressRange range = ranges.pop();
            if (ranges.isEmpty())
            {
                pool.remove(size);
            }
            pooledBytes -= size;
            pooledCount--;
            held.remove(range.start().value());
            reservations.put(range.start().value(), new Tracked(range));
            return range;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return true when the delegate still hands out working memory for the range */
    private boolean usable(final ExecutorAddressRange range)
    {
        try
        {
            delegate.prepare(range.start(), 0);
            return true;
        }
        catch (final RuntimeException refused)
        {
            LOG.log(System.Logger.Level.DEBUG, "pooled range refused by the delegate: range=" + range, refused);
            return false;
        }
    }

    /** A delegate that refused a pooled range refuses them all: every pooled range goes back to it. */
    private void giveBackAfterRefusal(final ExecutorAddressRange refused)
    {
        final List<ExecutorAddress> taken;
        lock.lock();
        try
        {
            reservations.remove(refused.start().value());
            taken = takePool();
        }
        finally
        {
            lock.unlock();
        }
        taken.add(refused.start());
        releaseThroughDelegate(taken).whenComplete((ignored, failure) ->
        {
            if (failure != null)
            {
                LOG.log(System.Logger.Level.DEBUG, "retained reservations of a refusing mapper: count=" +
                    taken.size(), unwrap(failure));
            }
        });
    }

    /** Under the lock: empties the pool. */
    private List<ExecutorAddress> takePool()
    {
        final List<ExecutorAddress> taken = new ArrayList<>(pooledCount + 1);
        for (final ArrayDeque<ExecutorAddressRange> ranges : pool.values())
        {
            for (final ExecutorAddressRange range : ranges)
            {
                taken.add(range.start());
                held.remove(range.start().value());
            }
        }
        pool.clear();
        pooledBytes = 0;
        pooledCount = 0;
        return taken;
    }

    /** Pools the zeroed ranges that still fit; the others join {@code released}. */
    private void pool(final List<ExecutorAddressRange> zeroed, final List<ExecutorAddress> released)
    {
        if (zeroed.isEmpty())
        {
            return;
        }
        lock.lock();
        try
        {
            for (final ExecutorAddressRange range : zeroed)
            {
                if (!closed && range.size() <= limit - pooledBytes)
                {
                    pool.computeIfAbsent(range.size(), ignored -> new ArrayDeque<>()).push(range);
                    pooledBytes += range.size();
                    pooledCount++;
                }
                else
                {
                    held.remove(range.start().value());
                    released.add(range.start());
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private void unhold(final ExecutorAddressRange range)
    {
        lock.lock();
        try
        {
            held.remove(range.start().value());
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Zeroes a range through the delegate's working memory, at most {@link #ZERO_CHUNK} bytes a view. */
    private void zero(final ExecutorAddressRange range)
    {
        for (long offset = 0; offset < range.size(); offset += ZERO_CHUNK)
        {
            final long length = Math.min(ZERO_CHUNK, range.size() - offset);
            final ByteBuffer view = delegate.prepare(range.start().add(offset), length);
            if (view.isDirect())
            {
                Native.getDirectBufferPointer(view).setMemory(0, length, (byte)0);
            }
            else
            {
                while (view.hasRemaining())
                {
                    view.put((byte)0);
                }
            }
        }
    }

    private CompletionStage<Void> releaseThroughDelegate(final List<ExecutorAddress> starts)
    {
        if (starts.isEmpty())
        {
            return CompletableFuture.completedFuture(null);
        }
        return ofDelegate(() -> delegate.release(starts));
    }

    /** @return what the delegate's operation returned, or a failed stage when it threw instead */
    private static <T> CompletionStage<T> ofDelegate(final Supplier<CompletionStage<T>> operation)
    {
        try
        {
            return operation.get();
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /** Under the lock: the tracked reservation holding {@code address}, or null. */
    private Tracked containing(final long address)
    {
        final Map.Entry<Long, Tracked> entry = reservations.floorEntry(address);
        return entry != null && entry.getValue().range.contains(ExecutorAddress.of(address)) ? entry.getValue() : null;
    }

    private static Throwable unwrap(final Throwable failure)
    {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** A reservation seen reserved; guarded by the lock. */
    private static final class Tracked
    {
        private final ExecutorAddressRange range;
        /** Allocations initialized and not yet deinitialized. */
        private int live;
        /** Initializes and deinitializes in flight. */
        private int pending;
        /** False once an initialize or deinitialize of it failed: what is left initialized is unknown. */
        private boolean retainable = true;

        Tracked(final ExecutorAddressRange range)
        {
            this.range = range;
        }
    }
}
