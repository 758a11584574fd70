package org.jitmem.backend.remote;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.api.Segment;
import org.jitmem.backend.remote.wire.RemoteCodec;
import org.jitmem.backend.remote.wire.RemoteCodec.Content;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.ChannelMapping;
import org.jitmem.memory.wire.MapperCodec;

/**
 * A {@link MemoryMapper} that copies: the executor is reached through an {@link ExecutorChannel} (possibly on
 * another host) and shares no memory with the controller. {@link #prepare} hands out the controller's own working
 * memory, a private anonymous copy of each reservation committed only as it is handed out; {@link #initialize} sends
 * each segment's content with the allocation in one logical request (content of up to
 * {@link RemoteCodec#MAX_CONTENT_BYTES} inside it, more streamed ahead of it in pieces of that size); deinitialize
 * gives the working memory of the allocation's segments back and release unmaps it. Reserved and committed bytes of
 * working memory are counted against this mapper's {@link MemoryLimits} before any round trip; the executor checks
 * its own. When the channel closes every operation fails at once with {@link ExecutorUnavailableException}; working
 * memory stays valid until released. After {@link #close} operations fail with {@link MemoryRevokedException}. No
 * lock is held across a round trip. Thread-safe.
 */
public final class RemoteMemoryMapper implements MemoryMapper
{
    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;

    private final ExecutorChannel channel;
    private final ExecutorInfo executor;
    private final boolean allowWriteExecute;
    private final MemoryLimits limits;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<Long, WorkingMemory> reservations = new TreeMap<>();
    private final Map<Long, List<ExecutorAddressRange>> allocations = new HashMap<>();
    private RuntimeException ending;
    private boolean executorGone;

    /**
     * @param channel           an open channel to an executor that hosts the {@code remote.} functions
     * @param allowWriteExecute accept segments that are both writable and executable; sent with every initialize,
     *                          the executor checks it
     * @param limits            the limits on this mapper's working memory: reserved and committed bytes
     */
    public RemoteMemoryMapper(final ExecutorChannel channel, final boolean allowWriteExecute,
        final MemoryLimits limits)
    {
        this.channel = channel;
        this.executor = channel.executor();
        this.allowWriteExecute = allowWriteExecute;
        this.limits = limits;
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
        return MapperProperties.TYPE_REMOTE;
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
            ExecutorMemory.checkReservationSize(numBytes);
            size = (numBytes + executor.pageSize() - 1) & -executor.pageSize();
            throwIfEnded(MapperOperation.RESERVE);
            limits.reserve(MapperOperation.RESERVE, size);
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        return ChannelMapping.reserved(send(MapperOperation.RESERVE, RemoteCodec.RESERVE,
            MapperCodec.encodeLong(size), RemoteCodec::decodeRange), limits, size,
            range -> mapWorkingMemory(range, size));
    }

    @Override
    public ByteBuffer prepare(final ExecutorAddress address, final long contentSize)
    {
        final long start = address.value();
        ChannelMapping.checkWorkingSize(start, contentSize);
        throwIfEnded(MapperOperation.PREPARE);
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return holding(MapperOperation.PREPARE, "range is not inside one reservation", start, contentSize)
                .view(start, (int)contentSize);
        }
        finally
        {
            read.unlock();
        }
    }

    @Override
    public CompletionStage<ExecutorAddress> initialize(final AllocInfo info)
    {
        final List<ExecutorAddressRange> content;
        try
        {
            throwIfEnded(MapperOperation.INITIALIZE);
            content = contentRanges(info);
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        final long total = content.stream().mapToLong(ExecutorAddressRange::size).sum();
        final CompletionStage<List<Content>> inline;
        if (total <= RemoteCodec.MAX_CONTENT_BYTES)
        {
            final List<Content> contents = new ArrayList<>(content.size());
            try
            {
                content.forEach(range -> contents.add(read(range)));
            }
            catch (final RuntimeException ex)
            {
                return CompletableFuture.failedFuture(ex);
            }
            inline = CompletableFuture.completedFuture(contents);
        }
        else
        {
            inline = ContentStream.send(content, range -> channel.call(RemoteCodec.WRITE,
                RemoteCodec.encodeContent(read(range)))).thenApply(written -> List.of());
        }
        return inline.thenCompose(contents -> send(MapperOperation.INITIALIZE, RemoteCodec.INITIALIZE,
            RemoteCodec.encodeInitialize(new RemoteCodec.InitializeRequest(allowWriteExecute, info, contents)),
            reply -> remember(info, ExecutorAddress.of(MapperCodec.decodeLong(MapperOperation.INITIALIZE, reply)))));
    }

    @Override
    public CompletionStage<Void> deinitialize(final List<ExecutorAddress> keys)
    {
        return send(MapperOperation.DEINITIALIZE, RemoteCodec.DEINITIALIZE, MapperCodec.encodeAddresses(keys),
            MapperCodec.emptyResult(MapperOperation.DEINITIALIZE)).whenComplete((ignored, failure) -> forget(keys));
    }

    @Override
    public CompletionStage<Void> release(final List<ExecutorAddress> starts)
    {
        // Out of the table before the executor can hand the addresses out again, and unmapped whatever it replies.
        final List<RuntimeException> unmapFailures = ChannelMapping.unmap(take(starts));
        return ChannelMapping.released(send(MapperOperation.RELEASE, RemoteCodec.RELEASE,
            MapperCodec.encodeAddresses(starts), MapperCodec.emptyResult(MapperOperation.RELEASE)), unmapFailures);
    }

    @Override
    public CompletionStage<Long> call(final ActionCall call)
    {
        return send(MapperOperation.CALL, RemoteCodec.CALL, MapperCodec.encodeCall(call),
            reply -> MapperCodec.decodeLong(MapperOperation.CALL, reply));
    }

    /** @return how many reservations have working memory in this process */
    public int mappedReservationCount()
    {
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return reservations.size();
        }
        finally
        {
            read.unlock();
        }
    }

    /**
     * Refuses further operations, releases every reservation in the executor (waiting at most {@code timeout} for
     * its reply) and unmaps the working memory whatever the reply. Idempotent.
     *
     * @param timeout how long to wait for the executor
     * @throws MemoryMapperException the joined failures
     */
    public void close(final Duration timeout)
    {
        final List<WorkingMemory> taken;
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            if (ending == null)
            {
                ending = new MemoryRevokedException(MapperOperation.RELEASE, "the remote mapper is closed: pid=" +
                    executor.pid(), UNKNOWN, UNKNOWN);
            }
            taken = new ArrayList<>(reservations.values());
            reservations.clear();
            allocations.clear();
        }
        finally
        {
            write.unlock();
        }
        final ErrorJoiner errors = new ErrorJoiner();
        if (!taken.isEmpty() && !executorGone())
        {
            ChannelMapping.releaseWithin(channel, RemoteCodec.RELEASE, taken.stream()
                .map(memory -> memory.range().start()).toList(), timeout, errors);
        }
        ChannelMapping.unmap(taken).forEach(errors::add);
        errors.throwIfAny();
    }

    private <T> CompletionStage<T> send(final MapperOperation operation, final String function,
        final byte[] argument, final Function<byte[], T> decode)
    {
        RuntimeException refused = null;
        try
        {
            throwIfEnded(operation);
        }
        catch (final RuntimeException ex)
        {
            refused = ex;
        }
        return ChannelMapping.call(channel, refused, function, argument, decode);
    }

    /** Maps working memory for a reservation of {@code size} counted bytes, which it holds from then on. */
    private CompletionStage<ExecutorAddressRange> mapWorkingMemory(final ExecutorAddressRange range, final long size)
    {
        final WorkingMemory memory;
        try
        {
            if (range.size() != size)
            {
                throw new MemoryMapperException(MapperOperation.RESERVE, "the executor reserved another size than " +
                    "requested: requested=" + size, range.start().value(), range.size(), 0);
            }
            memory = WorkingMemory.map(range, limits);
        }
        catch (final RuntimeException ex)
        {
            limits.unreserve(size);
            return ChannelMapping.giveBack(channel, RemoteCodec.RELEASE, range, ex);
        }
        RuntimeException refused;
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            refused = ending;
            if (refused == null)
            {
                final WorkingMemory live = reservations.putIfAbsent(range.start().value(), memory);
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
        ChannelMapping.unmap(List.of(memory));
        return ChannelMapping.giveBack(channel, RemoteCodec.RELEASE, range, refused);
    }

    /**
     * @return the executor ranges of the segments' content, each inside the reservation that holds the mapping base
     *     (the executor checks the rest)
     */
    private List<ExecutorAddressRange> contentRanges(final AllocInfo info)
    {
        final long base = info.mappingBase().value();
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            final ExecutorAddressRange reservation = holding(MapperOperation.INITIALIZE,
                "mapping base is not inside a reservation", base, UNKNOWN).range();
            final List<ExecutorAddressRange> ranges = new ArrayList<>(info.segments().size());
            for (final Segment segment : info.segments())
            {
                final long start = base + segment.offset();
                if (segment.offset() < 0 || start < base || segment.contentSize() > reservation.end().value() - start)
                {
                    throw new InvalidRequestException(MapperOperation.INITIALIZE, "segment is not inside the " +
                        "reservation: offset=" + segment.offset() + " reservation=" + reservation, start,
                        segment.contentSize());
                }
                if (segment.contentSize() > 0)
                {
                    ranges.add(ExecutorAddressRange.of(start, segment.contentSize()));
                }
            }
            return ranges;
        }
        finally
        {
            read.unlock();
        }
    }

    /** @return the content of an executor range, read from working memory that is still mapped */
    private Content read(final ExecutorAddressRange range)
    {
        final long start = range.start().value();
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return new Content(range.start(), holding(MapperOperation.INITIALIZE,
                "the reservation was released during initialize", start, range.size())
                .read(start, (int)range.size()));
        }
        finally
        {
            read.unlock();
        }
    }

    /** Records the working memory an initialized allocation holds until it is deinitialized. */
    private ExecutorAddress remember(final AllocInfo info, final ExecutorAddress key)
    {
        final List<ExecutorAddressRange> standard = new ArrayList<>(info.segments().size());
        for (final Segment segment : info.segments())
        {
            // Finalize-lifetime pages are given back at once and may be prepared again before this key goes.
            if (segment.lifetime() == MemoryLifetime.STANDARD && segment.contentSize() > 0)
            {
                standard.add(ExecutorAddressRange.of(info.mappingBase().value() + segment.offset(),
                    segment.contentSize()));
            }
        }
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            allocations.put(key.value(), standard);
        }
        finally
        {
            write.unlock();
        }
        return key;
    }

    /** Gives back the working memory of deinitialized allocations, whatever the executor replied. */
    private void forget(final List<ExecutorAddress> keys)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            for (final ExecutorAddress key : keys)
            {
                final List<ExecutorAddressRange> ranges = allocations.remove(key.value());
                for (final ExecutorAddressRange range : ranges == null ? List.<ExecutorAddressRange>of() : ranges)
                {
                    final Map.Entry<Long, WorkingMemory> entry = reservations.floorEntry(range.start().value());
                    if (entry != null && entry.getValue().range().contains(range))
                    {
                        entry.getValue().decommit(range.start().value(), range.size());
                    }
                }
            }
        }
        catch (final RuntimeException ex)
        {
            System.getLogger(RemoteMemoryMapper.class.getName()).log(System.Logger.Level.WARNING,
                "cannot give back working memory", ex);
        }
        finally
        {
            write.unlock();
        }
    }

    /** @return the working memory holding {@code start .. start + size}; called under the lock */
    private WorkingMemory holding(final MapperOperation operation, final String reason, final long start,
        final long size)
    {
        final Map.Entry<Long, WorkingMemory> entry = reservations.floorEntry(start);
        final long length = Math.max(size, 0);
        if (entry == null || !entry.getValue().range().contains(ExecutorAddress.of(start)) ||
            length > entry.getValue().range().end().value() - start)
        {
            throw new InvalidRequestException(operation, reason, start, size);
        }
        return entry.getValue();
    }

    private List<WorkingMemory> take(final List<ExecutorAddress> starts)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            final List<WorkingMemory> taken = ChannelMapping.take(reservations, starts);
            for (final WorkingMemory memory : taken)
            {
                allocations.keySet().removeIf(key -> memory.range().contains(ExecutorAddress.of(key)));
            }
            return taken;
        }
        finally
        {
            write.unlock();
        }
    }

    /**
     * Throws the failure of an operation refused because the mapper has ended; a closed channel whose notification
     * has not arrived yet ends it here.
     */
    private void throwIfEnded(final MapperOperation operation)
    {
        if (!channel.isOpen())
        {
            executorGone(null);
        }
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            if (ending == null)
            {
                return;
            }
            if (executorGone)
            {
                throw new ExecutorUnavailableException(operation, "the executor is gone: pid=" + executor.pid(),
                    UNKNOWN, UNKNOWN, ending.getCause());
            }
            throw new MemoryRevokedException(operation, "the remote mapper is closed: pid=" + executor.pid(),
                UNKNOWN, UNKNOWN);
        }
        finally
        {
            read.unlock();
        }
    }

    private boolean executorGone()
    {
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return executorGone;
        }
        finally
        {
            read.unlock();
        }
    }

    /** Ends the mapper, if nothing has yet; working memory stays until its reservation is released. */
    private void executorGone(final Throwable reason)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            if (ending == null)
            {
                executorGone = true;
                ending = new ExecutorUnavailableException(MapperOperation.CHANNEL, "the executor is gone: pid=" +
                    executor.pid(), UNKNOWN, UNKNOWN, reason);
            }
        }
        finally
        {
            write.unlock();
        }
    }
}
