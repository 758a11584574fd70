package org.jitmem.backend.posixshm;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.UnsupportedPlatformException;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.SharedReservation;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.ChannelMemoryMapper;
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
public final class SharedMemoryMapper extends ChannelMemoryMapper<SharedReservation, WorkingMapping>
{
    private static final Functions FUNCTIONS = new Functions(SharedMemoryCodec.RESERVE, SharedMemoryCodec.INITIALIZE,
        SharedMemoryCodec.DEINITIALIZE, SharedMemoryCodec.RELEASE, SharedMemoryCodec.CALL);

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
        super(samePageSize(channel), allowWriteExecute, limits, FUNCTIONS, "shared-memory mapper");
    }

    @Override
    public String type()
    {
        return MapperProperties.TYPE_POSIX_SHM;
    }

    @Override
    public CompletionStage<ExecutorAddress> initialize(final AllocInfo info)
    {
        return sendInitialize(info, SharedMemoryCodec.encodeInitialize(allowWriteExecute(), info));
    }

    @Override
    protected SharedReservation decodeReservation(final byte[] reply)
    {
        return SharedMemoryCodec.decodeReservation(reply);
    }

    @Override
    protected ExecutorAddressRange reservedRange(final SharedReservation reservation)
    {
        return reservation.range();
    }

    @Override
    protected WorkingMapping map(final SharedReservation reservation)
    {
        return WorkingMapping.map(reservation, limits());
    }

    @Override
    protected ByteBuffer view(final WorkingMapping mapping, final long start, final int length)
    {
        return mapping.view(start, length);
    }

    /**
     * Detaches the mapping in place instead of unmapping it: the executor's death must not take memory from under a
     * thread writing it.
     */
    @Override
    protected void detach(final WorkingMapping mapping)
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

    /** @return the channel, whose executor has this process's page size, which mapping the same pages needs */
    private static ExecutorChannel samePageSize(final ExecutorChannel channel)
    {
        final long pageSize = channel.executor().pageSize();
        if (pageSize != PageSize.get())
        {
            throw new UnsupportedPlatformException(MapperOperation.CHANNEL, "executor page size differs from the " +
                "controller's: executorPageSize=" + pageSize + " pageSize=" + PageSize.get(),
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        return channel;
    }
}
