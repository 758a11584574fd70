package org.jitmem.backend.posixshm.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.memory.wire.MapperCodec;

/**
 * The messages of the shared-memory backend, carried as argument and result blocks of executor functions. This
 * class is their only description and their only encoder and decoder; the controller and the executor both use it.
 * Numbers are big-endian; {@code bytes} is an {@code int32} count followed by that many bytes; {@code string} is
 * {@code bytes} in UTF-8. A message must be consumed exactly: short or trailing bytes make it malformed. The parts
 * every executor-channel backend shares ({@code allocInfo}, {@code call}, {@code addresses}) are
 * {@link MapperCodec}'s.
 *
 * <pre>
 * posixshm.reserve      argument: int64 numBytes
 *                       result:   int64 start, int64 size, uint8 backing (1 memfd, 2 named), int64 executorPid,
 *                                 int32 fd (the executor's descriptor of a memfd, -1 for named),
 *                                 string name (the shm_open name of a named object, empty for a memfd)
 * posixshm.initialize   argument: uint8 allowWriteExecute (the controller's W^X setting: 0 refuse, 1 accept),
 *                                 allocInfo          result: int64 key
 * posixshm.deinitialize argument: addresses          result: empty
 * posixshm.release      argument: addresses          result: empty
 * posixshm.call         argument: call               result: int64 value returned by the function
 *
 * </pre>
 *
 * Segment content never travels: the controller writes it into pages both processes map.
 */
public final class SharedMemoryCodec
{
    /** Prefix of every function name of the shared-memory backend. */
    public static final String PREFIX = "posixshm.";
    /** Reserves address space backed by a shared memory object. */
    public static final String RESERVE = "posixshm.reserve";
    /** Applies protections and runs finalize actions. */
    public static final String INITIALIZE = "posixshm.initialize";
    /** Runs dealloc actions and resets protections. */
    public static final String DEINITIALIZE = "posixshm.deinitialize";
    /** Deinitializes what is left and unmaps. */
    public static final String RELEASE = "posixshm.release";
    /** Calls a function in the executor. */
    public static final String CALL = "posixshm.call";

    /** What backs a reservation, and so how the controller opens it. */
    public enum Backing
    {
        /** A Linux memfd, opened through {@code /proc/<executorPid>/fd/<fd>}. */
        MEMFD,
        /** A named POSIX shared memory object, opened with {@code shm_open(name)} and unlinked by the controller. */
        NAMED
    }

    /**
     * A reservation and what the controller needs to map the same pages.
     *
     * @param range       the reserved executor range
     * @param backing     what backs it
     * @param executorPid the executor's process id
     * @param fd          the executor's descriptor of a memfd, -1 for a named object
     * @param name        the name of a named object, empty for a memfd
     */
    public record SharedReservation(ExecutorAddressRange range, Backing backing, long executorPid, int fd,
        String name)
    {
    }

    /**
     * What initialize asks of the executor.
     *
     * @param allowWriteExecute whether the controller is configured to accept writable and executable segments
     * @param info              the allocation
     */
    public record InitializeRequest(boolean allowWriteExecute, AllocInfo info)
    {
    }

    private SharedMemoryCodec()
    {
    }

    /**
     * @param value an {@code int64}
     * @return its encoding
     */
    public static byte[] encodeLong(final long value)
    {
        return MapperCodec.encodeLong(value);
    }

    /**
     * @param operation the operation the message belongs to
     * @param message   an encoded {@code int64}
     * @return the value
     */
    public static long decodeLong(final MapperOperation operation, final byte[] message)
    {
        return MapperCodec.decodeLong(operation, message);
    }

    /** @return the empty result */
    public static byte[] empty()
    {
        return MapperCodec.empty();
    }

    /**
     * @param operation the operation the message belongs to
     * @param message   a result that must be empty
     */
    public static void decodeEmpty(final MapperOperation operation, final byte[] message)
    {
        MapperCodec.decodeEmpty(operation, message);
    }

    /**
     * @param reservation the reservation
     * @return its encoding
     */
    public static byte[] encodeReservation(final SharedReservation reservation)
    {
        final byte[] name = reservation.name().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + 8 + 1 + 8 + 4 + 4 + name.length)
            .putLong(reservation.range().start().value())
            .putLong(reservation.range().size())
            .put((byte)(reservation.backing().ordinal() + 1))
            .putLong(reservation.executorPid())
            .putInt(reservation.fd())
            .putInt(name.length)
            .put(name)
            .array();
    }

    /**
     * @param message an encoded reservation
     * @return the reservation
     */
    public static SharedReservation decodeReservation(final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        return MapperCodec.finish(MapperOperation.RESERVE, in, () ->
        {
            final long start = in.getLong();
            final long size = in.getLong();
            final int backing = in.get();
            if (backing < 1 || backing > Backing.values().length)
            {
                throw MapperCodec.malformed(MapperOperation.RESERVE, "unknown backing " + backing);
            }
            return new SharedReservation(MapperCodec.checkedRange(MapperOperation.RESERVE, start, size),
                Backing.values()[backing - 1], in.getLong(), in.getInt(),
                new String(MapperCodec.getBytes(MapperOperation.RESERVE, in), StandardCharsets.UTF_8));
        });
    }

    /**
     * @param allowWriteExecute whether the controller is configured to accept writable and executable segments
     * @param info              the allocation
     * @return the initialize request, without segment content
     */
    public static byte[] encodeInitialize(final boolean allowWriteExecute, final AllocInfo info)
    {
        final ByteBuffer out = ByteBuffer.allocate(1 + MapperCodec.allocInfoBytes(info));
        out.put((byte)(allowWriteExecute ? 1 : 0));
        MapperCodec.putAllocInfo(out, info);
        return out.array();
    }

    /**
     * @param message an encoded initialize request
     * @return the request
     */
    public static InitializeRequest decodeInitialize(final byte[] message)
    {
        final MapperOperation operation = MapperOperation.INITIALIZE;
        final ByteBuffer in = ByteBuffer.wrap(message);
        return MapperCodec.finish(operation, in, () -> new InitializeRequest(
            MapperCodec.getFlag(operation, in, "write-execute"), MapperCodec.getAllocInfo(operation, in)));
    }

    /**
     * @param addresses allocation keys or reservation starts
     * @return their encoding
     */
    public static byte[] encodeAddresses(final List<ExecutorAddress> addresses)
    {
        return MapperCodec.encodeAddresses(addresses);
    }

    /**
     * @param operation the operation the message belongs to
     * @param message   encoded addresses
     * @return the addresses
     */
    public static List<ExecutorAddress> decodeAddresses(final MapperOperation operation, final byte[] message)
    {
        return MapperCodec.decodeAddresses(operation, message);
    }

    /**
     * @param call a function and its argument block
     * @return its encoding
     */
    public static byte[] encodeCall(final ActionCall call)
    {
        return MapperCodec.encodeCall(call);
    }

    /**
     * @param message an encoded call
     * @return the call
     */
    public static ActionCall decodeCall(final byte[] message)
    {
        return MapperCodec.decodeCall(message);
    }
}
