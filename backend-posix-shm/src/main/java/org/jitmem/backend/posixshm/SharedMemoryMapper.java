package org.jitmem.backend.posixshm;

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
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.api.UnsupportedPlatformException;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.SharedReservation;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.ChannelMapping;
import org.jitmem.memory.wire.MapperCodec;
import org.jitmem.posix.PageSize;

/**
 * A {@link MemoryMapper} whose executor is another process reached through an {@link ExecutorChannel}: the same
 * pages are mapped in both processes, so initialize sends protections and actions, never content. Every operation
 * but {@link #prepare} is one round trip; prepare is a bounds-checked view of the controller's own mapping, committed
 * as it is handed out. Reserved and committed bytes are counted against this mapper's {@link MemoryLimits} before
 * any round trip or system call. When the channel closes, every operation fails at once with
 * {@link ExecutorUnavailableException} and each working mapping is replaced in place with anonymous memory: a thread
 * still writing it keeps writing harmlessly, and it stays mapped until its reservation is released. After
 * {@link #close} operations fail with {@link MemoryRevokedException}. No lock is held across a round trip.
 * Thread-safe.
 */
public final class SharedMemoryMapper implements MemoryMapper
{
    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;

    private final ExecutorChannel channel;
    private final ExecutorInfo executor;
    private final boolean allowWriteExecute;
    private final MemoryLimits limits;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<Long, WorkingMapping> mappings = new TreeMap<>();
    private Ending ending;
    private boolean detached;

    /**
     * @param channel           an open channel to an executor that hosts the {@code posixshm.} functions
     * @param allowWriteExecute accept segments that are both writable and executable; sent with every initialize,
     *                          the executor checks it
     * @throws UnsupportedPlatformException when the executor's page size differs from this process's
     */
    public SharedMemoryMapper(final ExecutorChannel channel, final boolean allowWriteExecute)
    {
        this(channel, allowWriteExecute, MemoryLimits.machineDefaults());
    }

    /**
     * @param channel           an open channel to an executor that hosts the {@code posixshm.} functions
     * @param allowWriteExecute accept segments that are both writable and executable (the executor must as well)
     * @param limits            this executor's limits on reserved and committed bytes, as the controller counts them
     * @throws UnsupportedPlatformException when the executor's page size differs from this process's
     */
    public SharedMemoryMapper(final ExecutorChannel channel, final boolean allowWriteExecute,
        final MemoryLimits limits)
    {
        this.channel = channel;
        this.executor = channel.executor();
        this.allowWriteExecute = allowWriteExecute;
        this.limits = limits;
        if (executor.pageSize() != PageSize.get())
        {
            throw new UnsupportedPlatformException(MapperOperation.CHANNEL, "executor page size differs from the " +
                "controller's: executorPageSize=" + executor.pageSize() + " pageSize=" + PageSize.get(), UNKNOWN,
                UNKNOWN);
        }
        channel.closed().whenComplete((reason, failure) -> executorGone(reason != null ? reason : failure));
    }

    @Override
    public long pageSize()
    {
        return executor.pageSize();
    }

    @Override
    public String type()
    {
        return MapperProperties.TYPE_POSIX_SHM;
    }

    @Override
    public boolean crossProcess()
    {
        return true;
    }

    @Override
    public long executorPid()
    {
        return executor.pid();
    }

    @Override
    public Optional<MemoryUsage> memoryUsage()
    {
        return Optional.of(limits.usage());
    }

    @Override
    public CompletionStage<ExecutorAddressRange> reserve(final long numBytes)
    {
        final long size;
        try
        {
            size = ExecutorMemory.checkReservationSize(numBytes);
            final RuntimeException refused = refusal(MapperOperation.RESERVE);
            if (refused != null)
            {
                throw refused;
            }
            limits.reserve(MapperOperation.RESERVE, size);
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        return ChannelMapping.reserved(send(MapperOperation.RESERVE, SharedMemoryCodec.RESERVE,
            SharedMemoryCodec.encodeLong(size), SharedMemoryCodec::decodeReservation), limits, size,
            reservation -> mapWorkingMemory(reservation, size));
    }

    @Override
    public ByteBuffer prepare(final ExecutorAddress address, final long contentSize)
    {
        final long start = address.value();
        ChannelMapping.checkWorkingSize(start, contentSize);
        final RuntimeException refused = refusal(MapperOperation.PREPARE);
        if (refused != null)
        {
            throw refused;
        }
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            final Map.Entry<Long, WorkingMapping> entry = mappings.floorEntry(start);
            final ExecutorAddressRange range = entry == null ? null : entry.getValue().range();
            if (range == null || !range.contains(ExecutorAddressRange.of(start, contentSize)) ||
                !range.contains(address))
            {
                throw new InvalidRequestException(MapperOperation.PREPARE, "range is not inside one reservation",
                    start, contentSize);
            }
            return entry.getValue().view(start, (int)contentSize);
        }
        finally
        {
            read.unlock();
        }
    }

    @Override
    public CompletionStage<ExecutorAddress> initialize(final AllocInfo info)
    {
        return send(MapperOperation.INITIALIZE, SharedMemoryCodec.INITIALIZE,
            SharedMemoryCodec.encodeInitialize(allowWriteExecute, info),
            reply -> ExecutorAddress.of(SharedMemoryCodec.decodeLong(MapperOperation.INITIALIZE, reply)));
    }

    @Override
    public CompletionStage<Void> deinitialize(final List<ExecutorAddress> allocations)
    {
        return send(MapperOperation.DEINITIALIZE, SharedMemoryCodec.DEINITIALIZE,
            SharedMemoryCodec.encodeAddresses(allocations), MapperCodec.emptyResult(MapperOperation.DEINITIALIZE));
    }

    @Override
    public CompletionStage<Void> release(final List<ExecutorAddress> reservations)
    {
        // Out of the table before the executor can hand the addresses out again, and unmapped whatever it replies.
        final List<RuntimeException> unmapFailures = ChannelMapping.unmap(take(reservations));
        return ChannelMapping.released(send(MapperOperation.RELEASE, SharedMemoryCodec.RELEASE,
            SharedMemoryCodec.encodeAddresses(reservations), MapperCodec.emptyResult(MapperOperation.RELEASE)),
            unmapFailures);
    }

    @Override
    public CompletionStage<Long> call(final ActionCall call)
    {
        return send(MapperOperation.CALL, SharedMemoryCodec.CALL, SharedMemoryCodec.encodeCall(call),
            reply -> SharedMemoryCodec.decodeLong(MapperOperation.CALL, reply));
    }

    /** @return how many reservations have working memory mapped in this process */
    public int mappedReservationCount()
    {
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return mappings.size();
        }
        finally
        {
            read.unlock();
        }
    }

    /**
     * Refuses further operations, releases every reservation in the executor (waiting at most {@code timeout} for
     * its reply) and unmaps the working memory whatever the reply. Working memory of an executor that is gone is
     * left as it is, detached, until its reservation is released: a thread may still be writing it, and nothing
     * another process does may take memory from under it. Idempotent.
     *
     * @param timeout how long to wait for the executor
     * @throws MemoryMapperException the joined failures
     */
    public void close(final Duration timeout)
    {
        final List<WorkingMapping> taken = end(new Ending(false, null));
        if (taken.isEmpty())
        {
            return;
        }
        final ErrorJoiner errors = new ErrorJoiner();
        ChannelMapping.releaseWithin(channel, SharedMemoryCodec.RELEASE, taken.stream()
            .map(mapping -> mapping.range().start()).toList(), timeout, errors);
        ChannelMapping.unmap(taken).forEach(errors::add);
        errors.throwIfAny();
    }

    private <T> CompletionStage<T> send(final MapperOperation operation, final String function,
        final byte[] argument, final Function<byte[], T> decode)
    {
        return ChannelMapping.call(channel, refusal(operation), function, argument, decode);
    }

    /** Maps a reservation of {@code size} counted bytes, which the mapping holds from then on. */
    private CompletionStage<ExecutorAddressRange> mapWorkingMemory(final SharedReservation reservation,
        final long size)
    {
        final ExecutorAddressRange range = reservation.range();
        final WorkingMapping mapping;
        try
        {
            if (range.size() != size)
            {
                throw new MemoryMapperException(MapperOperation.RESERVE, "the executor reserved another size than " +
                    "requested: requested=" + size, range.start().value(), range.size(), 0);
            }
            mapping = WorkingMapping.map(reservation, limits);
        }
        catch (final RuntimeException ex)
        {
            limits.unreserve(size);
            return ChannelMapping.giveBack(channel, SharedMemoryCodec.RELEASE, range, ex);
        }
        RuntimeException refused = null;
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            if (ending == null)
            {
                final WorkingMapping live = mappings.putIfAbsent(range.start().value(), mapping);
                if (live == null)
                {
                    return CompletableFuture.completedFuture(range);
                }
                refused = new MemoryMapperException(MapperOperation.RESERVE, "internal error: the executor handed " +
                    "out a reservation whose working memory is still mapped: live=" + live.range(),
                    range.start().value(), range.size(), 0);
            }
        }
        finally
        {
            write.unlock();
        }
        final RuntimeException failure = refused != null ? refused : refusal(MapperOperation.RESERVE);
        unmapQuietly(mapping, MapperOperation.RESERVE);
        return ChannelMapping.giveBack(channel, SharedMemoryCodec.RELEASE, range, failure);
    }

    private List<WorkingMapping> take(final List<ExecutorAddress> starts)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            return ChannelMapping.take(mappings, starts);
        }
        finally
        {
            write.unlock();
        }
    }

    /**
     * Records why operations are refused from now on, the first time, and hands over every working mapping unless
     * the executor is gone, whose working memory stays, detached, until it is released.
     */
    private List<WorkingMapping> end(final Ending why)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            if (ending == null)
            {
                ending = why;
            }
            if (ending.executorGone)
            {
                return List.of();
            }
            final List<WorkingMapping> taken = new ArrayList<>(mappings.values());
            mappings.clear();
            return taken;
        }
        finally
        {
            write.unlock();
        }
    }

    /**
     * @return the failure of an operation refused because the mapper has ended, or null; a closed channel whose
     *     notification has not arrived yet ends the mapper here, so nobody sees working memory of a dead executor
     */
    private RuntimeException refusal(final MapperOperation operation)
    {
        if (!channel.isOpen())
        {
            executorGone(null);
        }
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return ending == null ? null : ending.failure(operation, executor);
        }
        finally
        {
            read.unlock();
        }
    }

    /**
     * Ends the mapper, if nothing has yet, and detaches every working mapping in place instead of unmapping it: the
     * executor's death must not take memory from under a thread writing it.
     */
    private void executorGone(final Throwable reason)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            if (ending == null)
            {
                ending = new Ending(true, reason);
            }
            if (detached)
            {
                return;
            }
            detached = true;
            for (final WorkingMapping mapping : mappings.values())
            {
                try
                {
                    mapping.detach(MapperOperation.CHANNEL);
                }
                catch (final RuntimeException ex)
                {
                    // Still mapped, shared: harmless to a writer, and the memory goes at release.
                    System.getLogger(SharedMemoryMapper.class.getName()).log(System.Logger.Level.WARNING,
                        "cannot detach working memory: range=" + mapping.range(), ex);
                }
            }
        }
        finally
        {
            write.unlock();
        }
    }

    private static void unmapQuietly(final WorkingMapping mapping, final MapperOperation operation)
    {
        try
        {
            mapping.unmap(operation);
        }
        catch (final RuntimeException ex)
        {
            System.getLogger(SharedMemoryMapper.class.getName()).log(System.Logger.Level.ERROR,
                "cannot unmap working memory: range=" + mapping.range(), ex);
        }
    }

    /** Why operations are refused: the executor went away, or the mapper was closed. */
    private record Ending(boolean executorGone, Throwable reason)
    {
        RuntimeException failure(final MapperOperation operation, final ExecutorInfo executor)
        {
            return executorGone ?
                new ExecutorUnavailableException(operation, "the executor is gone: pid=" + executor.pid(), UNKNOWN,
                    UNKNOWN, reason) :
                new MemoryRevokedException(operation, "the shared-memory mapper is closed: pid=" + executor.pid(),
                    UNKNOWN, UNKNOWN);
        }
    }
}
