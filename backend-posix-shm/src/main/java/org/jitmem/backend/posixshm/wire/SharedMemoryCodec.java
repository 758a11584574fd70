package org.jitmem.backend.posixshm.wire;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;

/**
 * The messages of the shared-memory backend, carried as argument and result blocks of executor functions. This
 * class is their only description and their only encoder and decoder; the controller and the executor both use it.
 * Numbers are big-endian; {@code bytes} is an {@code int32} count followed by that many bytes; {@code string} is
 * {@code bytes} in UTF-8. A message must be consumed exactly: short or trailing bytes make it malformed.
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
 * allocInfo = int64 mappingBase, int32 segmentCount, segmentCount * segment,
 *             int32 actionCount, actionCount * (call finalize, call dealloc)
 * segment   = int64 offset, int64 contentSize, int64 zeroFillSize, uint8 protection bits (1 r, 2 w, 4 x),
 *             uint8 lifetime (0 standard, 1 finalize)
 * call      = int64 function (0 for none), bytes argument
 * addresses = int32 count, count * int64
 * </pre>
 *
 * Segment content never travels: the controller writes it into pages both processes map.
 */
public final class SharedMemoryCodec
{
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

    private static final byte[] EMPTY = new byte[0];
    private static final int SEGMENT_BYTES = 26;
    private static final int CALL_MIN_BYTES = 12;
    private static final MemoryLifetime[] LIFETIMES = MemoryLifetime.values();

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
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    /**
     * @param operation the operation the message belongs to
     * @param message   an encoded {@code int64}
     * @return the value
     */
    public static long decodeLong(final MapperOperation operation, final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        return finish(operation, in, () -> in.getLong());
    }

    /** @return the empty result */
    public static byte[] empty()
    {
        return EMPTY;
    }

    /**
     * @param operation the operation the message belongs to
     * @param message   a result that must be empty
     */
    public static void decodeEmpty(final MapperOperation operation, final byte[] message)
    {
        finish(operation, ByteBuffer.wrap(message), () -> null);
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
        return finish(MapperOperation.RESERVE, in, () ->
        {
            final long start = in.getLong();
            final long size = in.getLong();
            final int backing = in.get();
            if (backing < 1 || backing > Backing.values().length)
            {
                throw malformed(MapperOperation.RESERVE, "unknown backing " + backing);
            }
            return new SharedReservation(checkedRange(MapperOperation.RESERVE, start, size),
                Backing.values()[backing - 1], in.getLong(), in.getInt(),
                new String(getBytes(MapperOperation.RESERVE, in), StandardCharsets.UTF_8));
        });
    }

    /**
     * @param allowWriteExecute whether the controller is configured to accept writable and executable segments
     * @param info              the allocation
     * @return the initialize request, without segment content
     */
    public static byte[] encodeInitialize(final boolean allowWriteExecute, final AllocInfo info)
    {
        int size = 1 + 8 + 4 + info.segments().size() * SEGMENT_BYTES + 4;
        for (final ActionPair pair : info.actions())
        {
            size += 2 * CALL_MIN_BYTES + pair.finalizeCall().argumentLength() + pair.deallocCall().argumentLength();
        }
        final ByteBuffer out = ByteBuffer.allocate(size);
        out.put((byte)(allowWriteExecute ? 1 : 0));
        out.putLong(info.mappingBase().value()).putInt(info.segments().size());
        for (final Segment segment : info.segments())
        {
            out.putLong(segment.offset())
                .putLong(segment.contentSize())
                .putLong(segment.zeroFillSize())
                .put((byte)segment.protection().bits())
                .put((byte)segment.lifetime().ordinal());
        }
        out.putInt(info.actions().size());
        for (final ActionPair pair : info.actions())
        {
            putCall(out, pair.finalizeCall());
            putCall(out, pair.deallocCall());
        }
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
        return finish(operation, in, () ->
        {
            final byte allowWriteExecute = in.get();
            if (allowWriteExecute != 0 && allowWriteExecute != 1)
            {
                throw malformed(operation, "unknown write-execute flag " + allowWriteExecute);
            }
            final ExecutorAddress base = ExecutorAddress.of(in.getLong());
            final int segmentCount = getCount(operation, in, SEGMENT_BYTES);
            final List<Segment> segments = new ArrayList<>(segmentCount);
            for (int i = 0; i < segmentCount; i++)
            {
                final long offset = in.getLong();
                final long contentSize = in.getLong();
                final long zeroFillSize = in.getLong();
                final int protection = in.get();
                final int lifetime = in.get();
                if (lifetime < 0 || lifetime >= LIFETIMES.length)
                {
                    throw malformed(operation, "unknown lifetime " + lifetime);
                }
                try
                {
                    segments.add(new Segment(offset, contentSize, zeroFillSize, new MemoryProtection(protection),
                        LIFETIMES[lifetime]));
                }
                catch (final IllegalArgumentException ex)
                {
                    throw malformed(operation, ex.getMessage());
                }
            }
            final int actionCount = getCount(operation, in, 2 * CALL_MIN_BYTES);
            final List<ActionPair> actions = new ArrayList<>(actionCount);
            for (int i = 0; i < actionCount; i++)
            {
                actions.add(new ActionPair(getCall(operation, in), getCall(operation, in)));
            }
            return new InitializeRequest(allowWriteExecute == 1, new AllocInfo(base, segments, actions));
        });
    }

    /**
     * @param addresses allocation keys or reservation starts
     * @return their encoding
     */
    public static byte[] encodeAddresses(final List<ExecutorAddress> addresses)
    {
        final ByteBuffer out = ByteBuffer.allocate(4 + 8 * addresses.size()).putInt(addresses.size());
        addresses.forEach(address -> out.putLong(address.value()));
        return out.array();
    }

    /**
     * @param operation the operation the message belongs to
     * @param message   encoded addresses
     * @return the addresses
     */
    public static List<ExecutorAddress> decodeAddresses(final MapperOperation operation, final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        return finish(operation, in, () ->
        {
            final int count = getCount(operation, in, Long.BYTES);
            final List<ExecutorAddress> addresses = new ArrayList<>(count);
            for (int i = 0; i < count; i++)
            {
                addresses.add(ExecutorAddress.of(in.getLong()));
            }
            return addresses;
        });
    }

    /**
     * @param call a function and its argument block
     * @return its encoding
     */
    public static byte[] encodeCall(final ActionCall call)
    {
        final ByteBuffer out = ByteBuffer.allocate(CALL_MIN_BYTES + call.argumentLength());
        putCall(out, call);
        return out.array();
    }

    /**
     * @param message an encoded call
     * @return the call
     */
    public static ActionCall decodeCall(final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        return finish(MapperOperation.CALL, in, () -> getCall(MapperOperation.CALL, in));
    }

    private static void putCall(final ByteBuffer out, final ActionCall call)
    {
        out.putLong(call.function().value()).putInt(call.argumentLength()).put(call.argument());
    }

    private static ActionCall getCall(final MapperOperation operation, final ByteBuffer in)
    {
        final long function = in.getLong();
        final byte[] argument = getBytes(operation, in);
        if (function == 0)
        {
            if (argument.length != 0)
            {
                throw malformed(operation, "the empty call carries an argument");
            }
            return ActionCall.NONE;
        }
        return ActionCall.of(ExecutorAddress.of(function), argument);
    }

    private static byte[] getBytes(final MapperOperation operation, final ByteBuffer in)
    {
        final byte[] bytes = new byte[getCount(operation, in, 1)];
        in.get(bytes);
        return bytes;
    }

    private static int getCount(final MapperOperation operation, final ByteBuffer in, final int elementBytes)
    {
        final int count = in.getInt();
        if (count < 0 || count > in.remaining() / elementBytes)
        {
            throw malformed(operation, "count " + count + " does not fit the remaining " + in.remaining() + " bytes");
        }
        return count;
    }

    private static ExecutorAddressRange checkedRange(final MapperOperation operation, final long start,
        final long size)
    {
        try
        {
            return ExecutorAddressRange.of(start, size);
        }
        catch (final IllegalArgumentException ex)
        {
            throw malformed(operation, ex.getMessage());
        }
    }

    private static <T> T finish(final MapperOperation operation, final ByteBuffer in, final Body<T> body)
    {
        final T value;
        try
        {
            value = body.read();
        }
        catch (final BufferUnderflowException ex)
        {
            throw malformed(operation, "message ends early: length=" + in.capacity());
        }
        if (in.hasRemaining())
        {
            throw malformed(operation, in.remaining() + " bytes left over: length=" + in.capacity());
        }
        return value;
    }

    private static InvalidRequestException malformed(final MapperOperation operation, final String reason)
    {
        return new InvalidRequestException(operation, "malformed shared-memory message: " + reason,
            MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
    }

    @FunctionalInterface
    private interface Body<T>
    {
        T read();
    }
}
