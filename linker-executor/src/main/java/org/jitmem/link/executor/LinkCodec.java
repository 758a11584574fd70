package org.jitmem.link.executor;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/**
 * The messages of the linker's executor functions; the controller and the executor both use this class. Numbers are
 * big-endian; {@code string} is an {@code int32} byte count and that many bytes of UTF-8. A message must be consumed
 * exactly.
 *
 * <pre>
 * link.lookup  argument: int32 count, count * string name     result: count * int64 address (0: not found)
 * link.dlopen  argument: string path                          result: int64 handle
 * link.shareStandardStreams argument: int64 controller pid      result: empty
 * </pre>
 */
public final class LinkCodec
{
    /** Looks names up among every object loaded into the executor, in one round trip. */
    public static final String LOOKUP = "link.lookup";
    /** Loads a shared library into the executor. */
    public static final String DLOPEN = "link.dlopen";
    /** Points the executor's standard output and error at the controller's. */
    public static final String SHARE_STANDARD_STREAMS = "link.shareStandardStreams";

    private LinkCodec()
    {
    }

    /**
     * @param names symbol names
     * @return the argument of {@link #LOOKUP}
     */
    public static byte[] encodeNames(final List<String> names)
    {
        final List<byte[]> encoded = new ArrayList<>(names.size());
        int size = Integer.BYTES;
        for (final String name : names)
        {
            final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            encoded.add(bytes);
            size += Integer.BYTES + bytes.length;
        }
        final ByteBuffer out = ByteBuffer.allocate(size).putInt(names.size());
        encoded.forEach(bytes -> out.putInt(bytes.length).put(bytes));
        return out.array();
    }

    /**
     * @param message the argument of {@link #LOOKUP}
     * @return the names
     */
    public static List<String> decodeNames(final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        try
        {
            final int count = in.getInt();
            if (count < 0 || count > in.remaining() / Integer.BYTES)
            {
                throw malformed("name count out of range: count=" + count, message.length);
            }
            final List<String> names = new ArrayList<>(count);
            for (int i = 0; i < count; i++)
            {
                names.add(string(in, message.length));
            }
            return finished(in, names, message.length);
        }
        catch (final BufferUnderflowException ex)
        {
            throw malformed("message too short", message.length);
        }
    }

    /**
     * @param addresses one address per name
     * @return the result of {@link #LOOKUP}
     */
    public static byte[] encodeAddresses(final long[] addresses)
    {
        final ByteBuffer out = ByteBuffer.allocate(addresses.length * Long.BYTES);
        for (final long address : addresses)
        {
            out.putLong(address);
        }
        return out.array();
    }

    /**
     * @param message the result of {@link #LOOKUP}
     * @param count   how many names were asked for
     * @return one address per name
     */
    public static long[] decodeAddresses(final byte[] message, final int count)
    {
        if (message.length != count * Long.BYTES)
        {
            throw malformed("lookup result does not match the names: names=" + count, message.length);
        }
        final ByteBuffer in = ByteBuffer.wrap(message);
        final long[] addresses = new long[count];
        for (int i = 0; i < count; i++)
        {
            addresses[i] = in.getLong();
        }
        return addresses;
    }

    /**
     * @param path a library path
     * @return the argument of {@link #DLOPEN}
     */
    public static byte[] encodePath(final String path)
    {
        final byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(Integer.BYTES + bytes.length).putInt(bytes.length).put(bytes).array();
    }

    /**
     * @param message the argument of {@link #DLOPEN}
     * @return the path
     */
    public static String decodePath(final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        try
        {
            return finished(in, string(in, message.length), message.length);
        }
        catch (final BufferUnderflowException ex)
        {
            throw malformed("message too short", message.length);
        }
    }

    /**
     * @param handle a library handle
     * @return the result of {@link #DLOPEN}
     */
    public static byte[] encodeHandle(final long handle)
    {
        return ByteBuffer.allocate(Long.BYTES).putLong(handle).array();
    }

    /**
     * @param message the result of {@link #DLOPEN}
     * @return the handle
     */
    public static long decodeHandle(final byte[] message)
    {
        return decodeAddresses(message, 1)[0];
    }

    private static String string(final ByteBuffer in, final int length)
    {
        final int size = in.getInt();
        if (size < 0 || size > in.remaining())
        {
            throw malformed("string length out of range: stringLength=" + size, length);
        }
        final byte[] bytes = new byte[size];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static <T> T finished(final ByteBuffer in, final T value, final int length)
    {
        if (in.hasRemaining())
        {
            throw malformed("trailing bytes: trailing=" + in.remaining(), length);
        }
        return value;
    }

    private static InvalidRequestException malformed(final String reason, final int length)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, "malformed link message: " + reason,
            MemoryMapperException.UNKNOWN, length);
    }
}
