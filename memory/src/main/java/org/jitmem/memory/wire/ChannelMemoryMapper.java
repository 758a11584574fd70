package org.jitmem.memory.wire;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;

/**
 * A {@link MemoryMapper} whose executor is reached through an {@link ExecutorChannel} and whose working memory is a
 * table of {@code W} by reservation start. Reserve counts against the {@link MemoryLimits} before the round trip and
 * maps working memory for what the executor reserved; prepare is a bounds-checked view of it; release takes it out of
 * the table before the round trip and unmaps it whatever the reply; {@link #close} releases everything within a
 * bound. When the channel closes every operation fails at once with {@link ExecutorUnavailableException}, after
 * {@link #close} with {@link MemoryRevokedException}. A backend names its executor functions, encodes initialize,
 * maps working memory and says what becomes of it when the executor goes. No lock is held across a round trip.
 * Thread-safe.
 *
 * @param <R> the executor's reply to reserve, decoded
 * @param <W> the working memory of one reservation
 */
public abstract class ChannelMemoryMapper<R, W extends ChannelMapping.WorkingRange> implements MemoryMapper
{
    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;

    private final ExecutorChannel channel;
    private final ExecutorInfo executor;
    private final boolean allowWriteExecute;
    private final MemoryLimits limits;
    private final Functions functions;
    private final String name;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<Long, W> table = new TreeMap<>();
    private Ending ending;
    private boolean detached;

    /**
     * A backend's executor functions. Each takes and returns {@link MapperCodec} messages, but for the argument of
     * initialize and the result of reserve, which the backend encodes and decodes.
     *
     * @param reserve      takes the size, returns what was reserved
     * @param initialize   takes the backend's initialize request, returns the allocation key
     * @param deinitialize takes allocation keys
     * @param release      takes reservation starts
     * @param call         takes a call, returns its result
     */
    public record Functions(String reserve, String initialize, String deinitialize, String release, String call)
    {
    }

    /**
     * @param channel           an open channel to an executor that hosts the {@code functions}
     * @param allowWriteExecute accept segments that are both writable and executable; the backend sends it with
     *                          every initialize, the executor checks it
     * @param limits            the limits on this mapper's working memory: reserved and committed bytes
     * @param functions         the executor functions
     * @param name              what the mapper is called in failures, e.g. {@code "remote mapper"}
     */
    protected ChannelMemoryMapper(final ExecutorChannel channel, final boolean allowWriteExecute,
        final MemoryLimits limits, final Functions functions, final String name)
    {
        this.channel = channel;
        this.executor = channel.executor();
        this.allowWriteExecute = allowWriteExecute;
        this.limits = limits;
        this.functions = functions;
        this.name = name;
        channel.closed().whenComplete((reason, failure) -> executorGone(reason != null ? reason : failure));
    }

    @Override
    public final long pageSize()
    {
        return executor.pageSize();
    }

    @Override
    public final boolean crossProcess()
    {
        return true;
    }

    @Override
    public final long executorPid()
    {
        return executor.pid();
    }

    @Override
    public final Optional<MemoryUsage> memoryUsage()
    {
        return Optional.of(limits.usage());
    }

    @Override
    public final CompletionStage<ExecutorAddressRange> reserve(final long numBytes)
    {
        final long size;
        try
        {
            ExecutorMemory.checkReservationSize(numBytes);
            // Whole pages of the executor, whose page size may differ from this process's where nothing is shared.
            size = (numBytes + executor.pageSize() - 1) & -executor.pageSize();
            throwIfEnded(MapperOperation.RESERVE);
            limits.reserve(MapperOperation.RESERVE, size);
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        return ChannelMapping.reserved(send(MapperOperation.RESERVE, functions.reserve(),
            MapperCodec.encodeLong(size), this::decodeReservation), limits, size, reply -> keep(reply, size));
    }

    @Override
    public final ByteBuffer prepare(final ExecutorAddress address, final long contentSize)
    {
        final long start = address.value();
        ChannelMapping.checkWorkingSize(start, contentSize);
        throwIfEnded(MapperOperation.PREPARE);
        return readLocked(() -> view(holding(MapperOperation.PREPARE, "range is not inside one reservation", start,
            contentSize), start, (int)contentSize));
    }

    @Override
    public final CompletionStage<Void> deinitialize(final List<ExecutorAddress> keys)
    {
        return send(MapperOperation.DEINITIALIZE, functions.deinitialize(), MapperCodec.encodeAddresses(keys),
            MapperCodec.emptyResult(MapperOperation.DEINITIALIZE))
            .whenComplete((ignored, failure) -> deinitialized(keys));
    }

    @Override
    public final CompletionStage<Void> release(final List<ExecutorAddress> starts)
    {
        // Out of the table before the executor can hand the addresses out again, and unmapped whatever it replies.
        final List<RuntimeException> unmapFailures = ChannelMapping.unmap(take(starts));
        return ChannelMapping.released(send(MapperOperation.RELEASE, functions.release(),
            MapperCodec.encodeAddresses(starts), MapperCodec.emptyResult(MapperOperation.RELEASE)), unmapFailures);
    }

    @Override
    public final CompletionStage<Long> call(final ActionCall call)
    {
        return send(MapperOperation.CALL, functions.call(), MapperCodec.encodeCall(call),
            reply -> MapperCodec.decodeLong(MapperOperation.CALL, reply));
    }

    /** @return how many reservations have working memory in this process */
    public final int mappedReservationCount()
    {
        return locked(lock.readLock(), table::size);
    }

    /**
     * Refuses further operations, releases every reservation in the executor (waiting at most {@code timeout} for
     * its reply) and unmaps the working memory whatever the reply. Working memory of an executor that is gone is left
     * as it is until its reservation is released: a thread may still be writing it (its lease outlived a drain), and
     * unmapping memory under a writer would crash this process. Idempotent.
     *
     * @param timeout how long to wait for the executor
     * @throws MemoryMapperException the joined failures
     */
    public final void close(final Duration timeout)
    {
        final List<W> taken = end();
        if (taken.isEmpty())
        {
            return;
        }
        final ErrorJoiner errors = new ErrorJoiner();
        if (!locked(lock.readLock(), () -> ending.executorGone))
        {
            ChannelMapping.releaseWithin(channel, functions.release(), taken.stream()
                .map(memory -> memory.range().start()).toList(), timeout, errors);
        }
        ChannelMapping.unmap(taken).forEach(errors::add);
        errors.throwIfAny();
    }

    /**
     * @param reply the executor's reply to reserve
     * @return the reply decoded; a failure fails the reserve
     */
    protected abstract R decodeReservation(byte[] reply);

    /**
     * @param reservation what the executor reserved
     * @return its executor range
     */
    protected abstract ExecutorAddressRange reservedRange(R reservation);

    /**
     * Maps working memory for what the executor reserved, which holds the range's reserved bytes of the
     * {@link #limits()} from then on; a failure leaves nothing mapped and the executor's reservation is given back.
     *
     * @param reservation what the executor reserved, of the size asked for
     * @return the working memory
     */
    protected abstract W map(R reservation);

    /**
     * Called under the lock.
     *
     * @param memory working memory
     * @param start  an executor address inside it
     * @param length bytes there, inside it
     * @return a view of the working memory of that executor range, committed
     */
    protected abstract ByteBuffer view(W memory, long start, int length);

    /**
     * Called once, under the lock, for each working memory in the table when the executor is gone. Does nothing by
     * default: the working memory stays as it is.
     *
     * @param memory working memory
     */
    protected void detach(final W memory)
    {
    }

    /**
     * Called under the lock with the working memory a release or {@link #close} takes out of the table; does nothing
     * by default.
     *
     * @param taken working memory out of the table
     */
    protected void taken(final List<W> taken)
    {
    }

    /**
     * Called when the executor has initialized an allocation; does nothing by default.
     *
     * @param info the allocation
     * @param key  its key
     */
    protected void initialized(final AllocInfo info, final ExecutorAddress key)
    {
    }

    /**
     * Called once a deinitialize has completed, whatever the executor replied; does nothing by default.
     *
     * @param keys the allocation keys
     */
    protected void deinitialized(final List<ExecutorAddress> keys)
    {
    }

    /** @return the channel */
    protected final ExecutorChannel channel()
    {
        return channel;
    }

    /** @return whether segments both writable and executable are accepted */
    protected final boolean allowWriteExecute()
    {
        return allowWriteExecute;
    }

    /** @return the limits on this mapper's working memory */
    protected final MemoryLimits limits()
    {
        return limits;
    }

    /**
     * Initializes an allocation; {@link #initialized} sees its key.
     *
     * @param info     the allocation
     * @param argument the backend's initialize request
     * @return the allocation key, or the failure (never thrown)
     */
    protected final CompletionStage<ExecutorAddress> sendInitialize(final AllocInfo info, final byte[] argument)
    {
        return send(MapperOperation.INITIALIZE, functions.initialize(), argument, reply ->
        {
            final ExecutorAddress key = ExecutorAddress.of(MapperCodec.decodeLong(MapperOperation.INITIALIZE, reply));
            initialized(info, key);
            return key;
        });
    }

    /**
     * Throws the failure of an operation refused because the mapper has ended; a closed channel whose notification
     * has not arrived yet ends it here, so nobody sees working memory of a dead executor.
     *
     * @param operation the operation
     */
    protected final void throwIfEnded(final MapperOperation operation)
    {
        final RuntimeException refused = refusal(operation);
        if (refused != null)
        {
            throw refused;
        }
    }

    /**
     * @param action what to do under the read lock
     * @param <T>    its result
     * @return its result
     */
    protected final <T> T readLocked(final Supplier<T> action)
    {
        return locked(lock.readLock(), action);
    }

    /** @param action what to do under the write lock */
    protected final void writeLocked(final Runnable action)
    {
        locked(lock.writeLock(), () ->
        {
            action.run();
            return null;
        });
    }

    /**
     * @param start an executor address
     * @param size  bytes from there
     * @return the working memory holding {@code start .. start + size}, or null; called under the lock
     */
    protected final W find(final long start, final long size)
    {
        final Map.Entry<Long, W> entry = table.floorEntry(start);
        if (entry == null || !entry.getValue().range().contains(ExecutorAddress.of(start)) ||
            Math.max(size, 0) > entry.getValue().range().end().value() - start)
        {
            return null;
        }
        return entry.getValue();
    }

    /**
     * @param operation the operation
     * @param reason    the failure's message when nothing holds the range
     * @param start     an executor address
     * @param size      bytes from there
     * @return the working memory holding {@code start .. start + size}; called under the lock
     * @throws InvalidRequestException when no working memory holds it
     */
    protected final W holding(final MapperOperation operation, final String reason, final long start,
        final long size)
    {
        final W memory = find(start, size);
        if (memory == null)
        {
            throw new InvalidRequestException(operation, reason, start, size);
        }
        return memory;
    }

    /**
     * @param operation the operation, refused if the mapper has ended
     * @param function  an executor function
     * @param argument  its argument
     * @param decode    decodes its result
     * @param <T>       the decoded result
     * @return the decoded result, or the failure (never thrown)
     */
    protected final <T> CompletionStage<T> send(final MapperOperation operation, final String function,
        final byte[] argument, final Function<byte[], T> decode)
    {
        return ChannelMapping.call(channel, refusal(operation), function, argument, decode);
    }

    /** Puts working memory for a reservation of {@code size} counted bytes into the table, or gives it all back. */
    private CompletionStage<ExecutorAddressRange> keep(final R reservation, final long size)
    {
        final ExecutorAddressRange range = reservedRange(reservation);
        final W memory;
        try
        {
            if (range.size() != size)
            {
                throw new MemoryMapperException(MapperOperation.RESERVE, "the executor reserved another size than " +
                    "requested: requested=" + size, range.start().value(), range.size(), 0);
            }
            memory = map(reservation);
        }
        catch (final RuntimeException ex)
        {
            limits.unreserve(size);
            return ChannelMapping.giveBack(channel, functions.release(), range, ex);
        }
        // The memory itself when the mapper has ended meanwhile, else what already held the start.
        final W live = locked(lock.writeLock(), () -> ending != null ? memory :
            table.putIfAbsent(range.start().value(), memory));
        if (live == null)
        {
            return CompletableFuture.completedFuture(range);
        }
        final RuntimeException failure = live == memory ? refusal(MapperOperation.RESERVE) :
            new MemoryMapperException(MapperOperation.RESERVE, "internal error: the executor handed out a " +
                "reservation whose working memory is still mapped: live=" + live.range(), range.start().value(),
                range.size(), 0);
        try
        {
            memory.unmap(MapperOperation.RESERVE);
        }
        catch (final RuntimeException ex)
        {
            System.getLogger(getClass().getName()).log(System.Logger.Level.ERROR,
                "cannot unmap working memory: range=" + memory.range(), ex);
        }
        return ChannelMapping.giveBack(channel, functions.release(), range, failure);
    }

    private List<W> take(final List<ExecutorAddress> starts)
    {
        return locked(lock.writeLock(), () ->
        {
            final List<W> taken = ChannelMapping.take(table, starts);
            taken(taken);
            return taken;
        });
    }

    /** Records that operations are refused from now on, the first time, and hands over the working memory. */
    private List<W> end()
    {
        return locked(lock.writeLock(), () ->
        {
            if (ending == null)
            {
                ending = new Ending(false, null);
            }
            if (ending.executorGone)
            {
                return List.of();
            }
            final List<W> taken = new ArrayList<>(table.values());
            table.clear();
            taken(taken);
            return taken;
        });
    }

    /** @return the failure of an operation refused because the mapper has ended, or null */
    private RuntimeException refusal(final MapperOperation operation)
    {
        if (!channel.isOpen())
        {
            executorGone(null);
        }
        return locked(lock.readLock(), () -> ending == null ? null : ending.failure(operation, executor, name));
    }

    /** Ends the mapper, if nothing has yet, and detaches the working memory once. */
    private void executorGone(final Throwable reason)
    {
        writeLocked(() ->
        {
            if (ending == null)
            {
                ending = new Ending(true, reason);
            }
            if (!detached)
            {
                detached = true;
                table.values().forEach(this::detach);
            }
        });
    }

    private static <T> T locked(final Lock lock, final Supplier<T> action)
    {
        lock.lock();
        try
        {
            return action.get();
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Why operations are refused: the executor went away, or the mapper was closed. */
    private record Ending(boolean executorGone, Throwable reason)
    {
        RuntimeException failure(final MapperOperation operation, final ExecutorInfo executor, final String name)
        {
            return executorGone ?
                new ExecutorUnavailableException(operation, "the executor is gone: pid=" + executor.pid(), UNKNOWN,
                    UNKNOWN, reason) :
                new MemoryRevokedException(operation, "the " + name + " is closed: pid=" + executor.pid(), UNKNOWN,
                    UNKNOWN);
        }
    }
}
