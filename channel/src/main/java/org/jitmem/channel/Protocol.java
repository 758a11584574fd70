package org.jitmem.channel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.jitmem.api.ActionFailedException;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.api.UnsupportedPlatformException;

/**
 * The wire protocol between controller and executor, version {@value #VERSION}; this class is its only description
 * and its only encoder and decoder. All numbers are big-endian; a string is an {@code int32} byte count followed by
 * that many UTF-8 bytes.
 *
 * <pre>
 * frame    = int32  length      bytes after this field: 9 + payload size; 4 + length is at most the maximum frame size
 *            uint8  type        one of the types below
 *            int64  requestId   chosen by the controller in CALL, echoed in RESULT and ERROR; 0 otherwise
 *            byte[] payload     length - 9 bytes, laid out by type
 *
 * HELLO    executor to controller, the first frame of every connection (magic and version lead in every version):
 *            int32 magic 0x4A4D4558 ("JMEX"), int32 version, int64 pid, int64 pageSize, int32 maxFrameSize,
 *            string architecture (os.arch), string os (os.name)
 * CALL     controller to executor: string function, then the argument as the rest of the payload
 * RESULT   executor to controller: the result is the whole payload
 * ERROR    executor to controller: one error; requestId 0 means the connection itself failed and is being closed
 *            error = uint8 kind, string operation (a MapperOperation name), int64 address, int64 length, int32 errno,
 *                    int32 actionIndex, int64 result, string reason, uint16 suppressedCount,
 *                    then suppressedCount errors whose own suppressedCount is 0
 *            kinds: 0 MemoryMapperException, 1 InvalidRequestException, 2 ActionFailedException,
 *                   3 ExecutorUnavailableException, 4 MemoryRevokedException, 5 UnsupportedPlatformException,
 *                   6 MemoryLimitException, whose reason is followed by uint8 limit (0 reserved, 1 committed),
 *                   int64 used, int64 maximum (length is the bytes requested)
 * GOODBYE  controller to executor: the controller is closing normally; empty payload
 * HEARTBEAT either way, over TCP only: sent every heartbeat interval, requestId 0, empty payload; a peer from which
 *            no frame at all has come for the heartbeat timeout is given up
 * </pre>
 *
 * Over TCP the frames run inside TLS 1.3 with both ends' certificates checked (or in plaintext on loopback, for
 * benchmarks); there is no lane, and lane functions do not exist.
 *
 * A frame whose length is out of range is answered with ERROR (requestId 0) and the connection is closed; so is a
 * connection that ends inside a frame. An unknown type or a malformed payload is answered with ERROR for its
 * requestId and the connection goes on. Nothing is allocated before the length has been checked.
 */
public final class Protocol
{
    /** Protocol version spoken by this implementation. */
    public static final int VERSION = 2;
    /** First field of HELLO: {@code "JMEX"}. */
    public static final int MAGIC = 0x4A4D4558;
    /** Bytes before the payload: length, type and request id. */
    public static final int HEADER_SIZE = 13;
    /** Default maximum frame size, header included: 64 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 64 << 20;
    /**
     * Default maximum frame size of an executor listening on TCP, header included: 4 MiB. An authenticated peer can
     * make the executor hold one frame of this size per connection; the copying mapper sends content in pieces of
     * 1 MiB, so its frames stay far below.
     */
    public static final int DEFAULT_TCP_MAX_FRAME_SIZE = 4 << 20;
    /** Smallest maximum frame size either end accepts. */
    public static final int MIN_MAX_FRAME_SIZE = 4096;

    /** Executor to controller, first frame: who the executor is. */
    public static final byte HELLO = 1;
    /** Controller to executor: call a function. */
    public static final byte CALL = 2;
    /** Executor to controller: a call's result. */
    public static final byte RESULT = 3;
    /** Executor to controller: a call's failure, or the connection's with request id 0. */
    public static final byte ERROR = 4;
    /** Controller to executor: normal close. */
    public static final byte GOODBYE = 5;
    /** Either way, over TCP: the sender is alive. */
    public static final byte HEARTBEAT = 6;

    static final byte[] EMPTY = new byte[0];
    /** Built-in function: the executor creates a lane ({@link LaneLayout}) for the connection and offers it. */
    static final String OPEN_LANE = "channel.openLane";
    /** Built-in function: the controller has mapped the offered lane (argument 1) or gave up (0). */
    static final String LANE_MAPPED = "channel.laneMapped";

    private static final int MAX_SUPPRESSED = 64;
    private static final byte KIND_MAPPER = 0;
    private static final byte KIND_INVALID_REQUEST = 1;
    private static final byte KIND_ACTION_FAILED = 2;
    private static final byte KIND_EXECUTOR_UNAVAILABLE = 3;
    private static final byte KIND_MEMORY_REVOKED = 4;
    private static final byte KIND_UNSUPPORTED_PLATFORM = 5;
    private static final byte KIND_MEMORY_LIMIT = 6;

    private Protocol()
    {
    }

    /** A decoded HELLO. */
    record Hello(ExecutorInfo executor, int maxFrameSize)
    {
    }

    /** What a controller asks for with {@link #OPEN_LANE}. */
    record LaneRequest(int slotCount, int slotSize)
    {
    }

    /** What an executor answers to {@link #OPEN_LANE}: its descriptor of the lane file, and the lane's length. */
    record LaneOffer(int descriptor, long length)
    {
    }

    /** A decoded CALL. */
    record Call(String function, byte[] argument)
    {
    }

    static byte[] encodeHello(final ExecutorInfo executor, final int maxFrameSize)
    {
        return new Encoder(64)
            .putInt(MAGIC)
            .putInt(executor.protocolVersion())
            .putLong(executor.pid())
            .putLong(executor.pageSize())
            .putInt(maxFrameSize)
            .putString(executor.architecture())
            .putString(executor.os())
            .toBytes();
    }

    /**
     * @throws ExecutorUnavailableException when the peer is no executor or speaks another version
     * @throws InvalidRequestException      when the payload is malformed
     */
    static Hello decodeHello(final byte[] payload)
    {
        final Decoder decoder = new Decoder(HELLO, payload);
        final int magic = decoder.getInt();
        if (magic != MAGIC)
        {
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL,
                "peer is not a jitmem executor: magic=0x" + Integer.toHexString(magic), MemoryMapperException.UNKNOWN,
                MemoryMapperException.UNKNOWN);
        }
        final int version = decoder.getInt();
        if (version != VERSION)
        {
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL,
                "protocol version mismatch: executor=" + version + " controller=" + VERSION,
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        final long pid = decoder.getLong();
        final long pageSize = decoder.getLong();
        final int maxFrameSize = decoder.getInt();
        final String architecture = decoder.getString();
        final String os = decoder.getString();
        decoder.expectEnd();
        if (pageSize <= 0 || maxFrameSize < MIN_MAX_FRAME_SIZE)
        {
            throw decoder.malformed("pageSize=" + pageSize + " maxFrameSize=" + maxFrameSize);
        }
        return new Hello(new ExecutorInfo(version, pid, pageSize, architecture, os), maxFrameSize);
    }

    static byte[] encodeLaneRequest(final LaneRequest request)
    {
        return new Encoder(8).putInt(request.slotCount()).putInt(request.slotSize()).toBytes();
    }

    /** @throws InvalidRequestException when the payload is malformed */
    static LaneRequest decodeLaneRequest(final byte[] payload)
    {
        final Decoder decoder = new Decoder(CALL, payload);
        final LaneRequest request = new LaneRequest(decoder.getInt(), decoder.getInt());
        decoder.expectEnd();
        return request;
    }

    static byte[] encodeLaneOffer(final LaneOffer offer)
    {
        return new Encoder(12).putInt(offer.descriptor()).putLong(offer.length()).toBytes();
    }

    /** @throws InvalidRequestException when the payload is malformed */
    static LaneOffer decodeLaneOffer(final byte[] payload)
    {
        final Decoder decoder = new Decoder(RESULT, payload);
        final LaneOffer offer = new LaneOffer(decoder.getInt(), decoder.getLong());
        decoder.expectEnd();
        return offer;
    }

    /** @return the head of a CALL payload: the encoded function name */
    static byte[] encodeFunction(final String function)
    {
        final byte[] name = function.getBytes(StandardCharsets.UTF_8);
        return new Encoder(4 + name.length).putBytes(name).toBytes();
    }

    /** @throws InvalidRequestException when the payload is malformed */
    static Call decodeCall(final byte[] payload)
    {
        final Decoder decoder = new Decoder(CALL, payload);
        final String function = decoder.getString();
        return new Call(function, decoder.rest());
    }

    /**
     * @param error    what a function threw, or a channel failure
     * @param function the function that failed, named in the reason when the error is not a mapper exception
     * @return the ERROR payload
     */
    static byte[] encodeError(final Throwable error, final String function)
    {
        final Encoder encoder = new Encoder(256);
        putError(encoder, error, function);
        final Throwable[] suppressed = error.getSuppressed();
        final int count = Math.min(suppressed.length, MAX_SUPPRESSED);
        encoder.putShort(count);
        for (int i = 0; i < count; i++)
        {
            putError(encoder, suppressed[i], function);
            encoder.putShort(0);
        }
        return encoder.toBytes();
    }

    /**
     * @return the typed exception an ERROR payload describes, suppressed errors attached
     * @throws InvalidRequestException when the payload is malformed
     */
    static MemoryMapperException decodeError(final byte[] payload)
    {
        final Decoder decoder = new Decoder(ERROR, payload);
        final MemoryMapperException error = getError(decoder);
        final int count = decoder.getShort();
        for (int i = 0; i < count; i++)
        {
            final MemoryMapperException suppressed = getError(decoder);
            decoder.getShort();
            error.addSuppressed(suppressed);
        }
        decoder.expectEnd();
        return error;
    }

    private static void putError(final Encoder encoder, final Throwable error, final String function)
    {
        if (error instanceof MemoryMapperException mapper)
        {
            final ActionFailedException action = mapper instanceof ActionFailedException failed ? failed : null;
            encoder.putByte(kindOf(mapper))
                .putString(mapper.operation().name())
                .putLong(mapper.address())
                .putLong(mapper.length())
                .putInt(mapper.errno())
                .putInt(action == null ? 0 : action.actionIndex())
                .putLong(action == null ? 0 : action.result())
                .putString(mapper.reason());
            if (mapper instanceof MemoryLimitException limit)
            {
                encoder.putByte((byte)limit.limit().ordinal())
                    .putLong(limit.used())
                    .putLong(limit.maximum());
            }
        }
        else
        {
            encoder.putByte(KIND_MAPPER)
                .putString(MapperOperation.CALL.name())
                .putLong(MemoryMapperException.UNKNOWN)
                .putLong(MemoryMapperException.UNKNOWN)
                .putInt(0)
                .putInt(0)
                .putLong(0)
                .putString("executor function failed: function=" + function + " exception=" + error);
        }
    }

    private static byte kindOf(final MemoryMapperException error)
    {
        if (error instanceof InvalidRequestException)
        {
            return KIND_INVALID_REQUEST;
        }
        if (error instanceof ActionFailedException)
        {
            return KIND_ACTION_FAILED;
        }
        if (error instanceof ExecutorUnavailableException)
        {
            return KIND_EXECUTOR_UNAVAILABLE;
        }
        if (error instanceof MemoryRevokedException)
        {
            return KIND_MEMORY_REVOKED;
        }
        if (error instanceof UnsupportedPlatformException)
        {
            return KIND_UNSUPPORTED_PLATFORM;
        }
        if (error instanceof MemoryLimitException)
        {
            return KIND_MEMORY_LIMIT;
        }
        return KIND_MAPPER;
    }

    private static MemoryMapperException getError(final Decoder decoder)
    {
        final byte kind = decoder.getByte();
        final MapperOperation operation = operation(decoder.getString());
        final long address = decoder.getLong();
        final long length = decoder.getLong();
        final int errno = decoder.getInt();
        final int actionIndex = decoder.getInt();
        final long result = decoder.getLong();
        final String reason = decoder.getString();
        return switch (kind)
        {
            case KIND_INVALID_REQUEST -> new InvalidRequestException(operation, reason, address, length);
            case KIND_ACTION_FAILED -> new ActionFailedException(operation, actionIndex, address, result);
            case KIND_EXECUTOR_UNAVAILABLE -> new ExecutorUnavailableException(operation, reason, address, length);
            case KIND_MEMORY_REVOKED -> new MemoryRevokedException(operation, reason, address, length);
            case KIND_UNSUPPORTED_PLATFORM -> new UnsupportedPlatformException(operation, reason, address, length);
            case KIND_MEMORY_LIMIT -> memoryLimit(decoder, operation, address, length);
            default -> new MemoryMapperException(operation, reason, address, length, errno);
        };
    }

    private static MemoryLimitException memoryLimit(final Decoder decoder, final MapperOperation operation,
        final long address, final long requested)
    {
        final byte ordinal = decoder.getByte();
        final long used = decoder.getLong();
        final long maximum = decoder.getLong();
        final MemoryUsage.Limit[] limits = MemoryUsage.Limit.values();
        if (ordinal < 0 || ordinal >= limits.length)
        {
            throw decoder.malformed("unknown memory limit: ordinal=" + ordinal);
        }
        return new MemoryLimitException(operation, limits[ordinal], address, requested, used, maximum);
    }

    private static MapperOperation operation(final String name)
    {
        for (final MapperOperation operation : MapperOperation.values())
        {
            if (operation.name().equals(name))
            {
                return operation;
            }
        }
        return MapperOperation.CHANNEL;
    }

    /** @return the name of a frame type, or its number when unknown */
    static String typeName(final byte type)
    {
        return switch (type)
        {
            case HELLO -> "HELLO";
            case CALL -> "CALL";
            case RESULT -> "RESULT";
            case ERROR -> "ERROR";
            case GOODBYE -> "GOODBYE";
            case HEARTBEAT -> "HEARTBEAT";
            default -> Integer.toString(type & 0xFF);
        };
    }

    /** Builds a payload in a growing array. */
    private static final class Encoder
    {
        private byte[] bytes;
        private int size;

        Encoder(final int capacity)
        {
            bytes = new byte[capacity];
        }

        Encoder putByte(final int value)
        {
            ensure(1);
            bytes[size++] = (byte)value;
            return this;
        }

        Encoder putShort(final int value)
        {
            ensure(2);
            bytes[size++] = (byte)(value >>> 8);
            bytes[size++] = (byte)value;
            return this;
        }

        Encoder putInt(final int value)
        {
            putShort(value >>> 16);
            return putShort(value);
        }

        Encoder putLong(final long value)
        {
            putInt((int)(value >>> 32));
            return putInt((int)value);
        }

        Encoder putString(final String value)
        {
            return putBytes(value.getBytes(StandardCharsets.UTF_8));
        }

        Encoder putBytes(final byte[] value)
        {
            putInt(value.length);
            ensure(value.length);
            System.arraycopy(value, 0, bytes, size, value.length);
            size += value.length;
            return this;
        }

        byte[] toBytes()
        {
            return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
        }

        private void ensure(final int more)
        {
            if (size + more > bytes.length)
            {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }

    /** Reads a payload, every read bounds-checked. */
    private static final class Decoder
    {
        private final byte type;
        private final ByteBuffer buffer;

        Decoder(final byte type, final byte[] payload)
        {
            this.type = type;
            this.buffer = ByteBuffer.wrap(payload);
        }

        byte getByte()
        {
            need(1);
            return buffer.get();
        }

        int getShort()
        {
            need(2);
            return buffer.getShort() & 0xFFFF;
        }

        int getInt()
        {
            need(4);
            return buffer.getInt();
        }

        long getLong()
        {
            need(8);
            return buffer.getLong();
        }

        String getString()
        {
            final int length = getInt();
            if (length < 0)
            {
                throw malformed("string length=" + length);
            }
            need(length);
            final String value = new String(buffer.array(), buffer.position(), length, StandardCharsets.UTF_8);
            buffer.position(buffer.position() + length);
            return value;
        }

        byte[] rest()
        {
            final byte[] rest = new byte[buffer.remaining()];
            buffer.get(rest);
            return rest;
        }

        void expectEnd()
        {
            if (buffer.hasRemaining())
            {
                throw malformed("trailing bytes=" + buffer.remaining());
            }
        }

        private void need(final int count)
        {
            if (buffer.remaining() < count)
            {
                throw malformed("needed=" + count + " remaining=" + buffer.remaining());
            }
        }

        InvalidRequestException malformed(final String detail)
        {
            return new InvalidRequestException(MapperOperation.CHANNEL,
                "malformed frame payload: type=" + typeName(type) + " " + detail, MemoryMapperException.UNKNOWN,
                buffer.capacity());
        }
    }
}
