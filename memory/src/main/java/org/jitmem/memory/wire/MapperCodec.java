package org.jitmem.memory.wire;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

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
 * The parts of the executor-channel backends' messages that they share, carried as argument and result blocks of
 * executor functions; the only encoder and decoder of them, used by the controllers and the executor. Numbers are
 * big-endian; {@code bytes} is an {@code int32} count followed by that many bytes. A message must be consumed
 * exactly: short or trailing bytes make it malformed, an {@link InvalidRequestException}.
 *
 * <pre>
 * allocInfo = int64 mappingBase, int32 segmentCount, segmentCount * segment,
 *             int32 actionCount, actionCount * (call finalize, call dealloc)
 * segment   = int64 offset, int64 contentSize, int64 zeroFillSize, uint8 protection bits (1 r, 2 w, 4 x),
 *             uint8 lifetime (0 standard, 1 finalize)
 * call      = int64 function (0 for none), bytes argument
 * addresses = int32 count, count * int64
 * </pre>
 */
public final class MapperCodec
{
    /** Encoded bytes of one segment. */
    public static final int SEGMENT_BYTES = 26;
    /** Encoded bytes of a call without its argument. */
    public static final int CALL_MIN_BYTES = 12;

    private static final byte[] EMPTY = new byte[0];
    private static final MemoryLifetime[] LIFETIMES = MemoryLifetime.values();

    /**
     * Reads a message's body from a buffer.
     *
     * @param <T> what the body holds
     */
    @FunctionalInterface
    public interface Body<T>
    {
        /** @return what was read */
        T read();
    }

    private MapperCodec()
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
        return finish(operation, in, in::getLong);
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
     * @param operation the operation the result belongs to
     * @return a decoder of a result that must be empty
     */
    public static Function<byte[], Void> emptyResult(final MapperOperation operation)
    {
        return message ->
        {
            decodeEmpty(operation, message);
            return null;
        };
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

    /**
     * @param info an allocation
     * @return the bytes {@link #putAllocInfo} writes for it
     */
    public static int allocInfoBytes(final AllocInfo info)
    {
        int size = 8 + 4 + info.segments().size() * SEGMENT_BYTES + 4;
        for (final ActionPair pair : info.actions())
        {
            size += 2 * CALL_MIN_BYTES + pair.finalizeCall().argumentLength() + pair.deallocCall().argumentLength();
        }
        return size;
    }

    /**
     * @param out  where to write, with {@link #allocInfoBytes} remaining
     * @param info the allocation, without segment content
     */
    public static void putAllocInfo(final ByteBuffer out, final AllocInfo info)
    {
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
    }

    /**
     * @param operation the operation the message belongs to
     * @param in        positioned at an encoded allocation
     * @return the allocation
     */
    public static AllocInfo getAllocInfo(final MapperOperation operation, final ByteBuffer in)
    {
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
        return new AllocInfo(base, segments, actions);
    }

    /**
     * @param operation the operation the message belongs to
     * @param in        positioned at a {@code uint8} that must be 0 or 1
     * @param what      what the flag says, for the error
     * @return the flag
     */
    public static boolean getFlag(final MapperOperation operation, final ByteBuffer in, final String what)
    {
        final byte flag = in.get();
        if (flag != 0 && flag != 1)
        {
            throw malformed(operation, "unknown " + what + " flag " + flag);
        }
        return flag == 1;
    }

    /**
     * @param operation the operation the message belongs to
     * @param in        positioned at {@code bytes}
     * @return the bytes
     */
    public static byte[] getBytes(final MapperOperation operation, final ByteBuffer in)
    {
        final byte[] bytes = new byte[getCount(operation, in, 1)];
        in.get(bytes);
        return bytes;
    }

    /**
     * @param operation    the operation the message belongs to
     * @param in           positioned at an {@code int32} count
     * @param elementBytes the least bytes each counted element takes
     * @return the count, which the remaining bytes can hold
     */
    public static int getCount(final MapperOperation operation, final ByteBuffer in, final int elementBytes)
    {
        final int count = in.getInt();
        if (count < 0 || count > in.remaining() / elementBytes)
        {
            throw malformed(operation, "count " + count + " does not fit the remaining " + in.remaining() + " bytes");
        }
        return count;
    }

    /**
     * @param operation the operation the message belongs to
     * @param start     a range's start
     * @param size      its size
     * @return the range
     */
    public static ExecutorAddressRange checkedRange(final MapperOperation operation, final long start,
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

    /**
     * Reads a whole message.
     *
     * @param operation the operation the message belongs to
     * @param in        the message
     * @param body      reads it
     * @param <T>       what it holds
     * @return what the body read
     * @throws InvalidRequestException when the message ends early or has bytes left over
     */
    public static <T> T finish(final MapperOperation operation, final ByteBuffer in, final Body<T> body)
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

    /**
     * @param operation the operation the message belongs to
     * @param reason    what is wrong
     * @return the failure of a malformed message
     */
    public static InvalidRequestException malformed(final MapperOperation operation, final String reason)
    {
        return new InvalidRequestException(operation, "malformed message: " + reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN);
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
}
