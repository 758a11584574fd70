package org.jitmem.backend.remote;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.Segment;
import org.jitmem.backend.remote.wire.RemoteCodec;
import org.jitmem.backend.remote.wire.RemoteCodec.Content;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.ChannelMemoryMapper;

/**
 * A {@link MemoryMapper} that copies: the executor is reached through an {@link ExecutorChannel} (possibly on
 * another host) and shares no memory with the controller. {@link #prepare} hands out the controller's own working
 * memory, a private anonymous copy of each reservation committed only as it is handed out; {@link #initialize} sends
 * each segment's content with the allocation in one logical request (content of up to
 * {@link RemoteCodec#MAX_CONTENT_BYTES} inside it, more streamed ahead of it in pieces of that size); deinitialize
 * gives the working memory of the allocation's segments back and release unmaps it. Reserved and committed bytes of
 * working memory are counted against this mapper's {@link MemoryLimits} before any round trip; the executor checks
 * its own. When the channel closes every operation fails at once with {@link ExecutorUnavailableException}; working
 * memory stays valid until its reservation is released, even past {@link #close}. After close operations fail with
 * {@link MemoryRevokedException}. No lock is held across a round trip. Thread-safe.
 */
public final class RemoteMemoryMapper extends ChannelMemoryMapper<ExecutorAddressRange, WorkingMemory>
{
    private static final Functions FUNCTIONS = new Functions(RemoteCodec.RESERVE, RemoteCodec.INITIALIZE,
        RemoteCodec.DEINITIALIZE, RemoteCodec.RELEASE, RemoteCodec.CALL);

    /** Working memory of each initialized allocation by key, given back when it is deinitialized; under the lock. */
    private final Map<Long, List<ExecutorAddressRange>> allocations = new HashMap<>();

    /**
     * @param channel           an open channel to an executor that hosts the {@code remote.} functions
     * @param allowWriteExecute accept segments that are both writable and executable; sent with every initialize,
     *                          the executor checks it
     * @param limits            the limits on this mapper's working memory: reserved and committed bytes
     */
    public RemoteMemoryMapper(final ExecutorChannel channel, final boolean allowWriteExecute,
        final MemoryLimits limits)
    {
        super(channel, allowWriteExecute, limits, FUNCTIONS, "remote mapper");
    }

    @Override
    public String type()
    {
        return MapperProperties.TYPE_REMOTE;
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
            inline = ContentStream.send(content, range -> channel().call(RemoteCodec.WRITE,
                RemoteCodec.encodeContent(read(range)))).thenApply(written -> List.of());
        }
        return inline.thenCompose(contents -> sendInitialize(info,
            RemoteCodec.encodeInitialize(new RemoteCodec.InitializeRequest(allowWriteExecute(), info, contents))));
    }

    @Override
    protected ExecutorAddressRange decodeReservation(final byte[] reply)
    {
        return RemoteCodec.decodeRange(reply);
    }

    @Override
    protected ExecutorAddressRange reservedRange(final ExecutorAddressRange reservation)
    {
        return reservation;
    }

    @Override
    protected WorkingMemory map(final ExecutorAddressRange reservation)
    {
        return WorkingMemory.map(reservation, limits());
    }

    @Override
    protected ByteBuffer view(final WorkingMemory memory, final long start, final int length)
    {
        return memory.view(start, length);
    }

    /** Records the working memory an initialized allocation holds until it is deinitialized. */
    @Override
    protected void initialized(final AllocInfo info, final ExecutorAddress key)
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
        writeLocked(() -> allocations.put(key.value(), standard));
    }

    /** Gives back the working memory of deinitialized allocations, whatever the executor replied. */
    @Override
    protected void deinitialized(final List<ExecutorAddress> keys)
    {
        writeLocked(() ->
        {
            try
            {
                for (final ExecutorAddress key : keys)
                {
                    final List<ExecutorAddressRange> ranges = allocations.remove(key.value());
                    for (final ExecutorAddressRange range : ranges == null ? List.<ExecutorAddressRange>of() : ranges)
                    {
                        final WorkingMemory memory = find(range.start().value(), range.size());
                        if (memory != null)
                        {
                            memory.decommit(range.start().value(), range.size());
                        }
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                System.getLogger(RemoteMemoryMapper.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot give back working memory", ex);
            }
        });
    }

    /** Forgets the allocations inside reservations taken out of the table: their working memory goes with them. */
    @Override
    protected void taken(final List<WorkingMemory> taken)
    {
        for (final WorkingMemory memory : taken)
        {
            allocations.keySet().removeIf(key -> memory.range().contains(ExecutorAddress.of(key)));
        }
    }

    /**
     * @return the executor ranges of the segments' content, each inside the reservation that holds the mapping base
     *     (the executor checks the rest)
     */
    private List<ExecutorAddressRange> contentRanges(final AllocInfo info)
    {
        final long base = info.mappingBase().value();
        return readLocked(() ->
        {
            final ExecutorAddressRange reservation = holding(MapperOperation.INITIALIZE,
                "mapping base is not inside a reservation", base, MemoryMapperException.UNKNOWN).range();
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
        });
    }

    /** @return the content of an executor range, read from working memory that is still mapped */
    private Content read(final ExecutorAddressRange range)
    {
        final long start = range.start().value();
        return readLocked(() -> new Content(range.start(), holding(MapperOperation.INITIALIZE,
            "the reservation was released during initialize", start, range.size()).read(start, (int)range.size())));
    }
}
