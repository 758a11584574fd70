package org.jitmem.backend.remote.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.memory.wire.MapperCodec;

/**
 * The messages of the copying backend, carried as argument and result blocks of executor functions; their only
 * description, encoder and decoder, used by the controller and the executor. Numbers are big-endian; the shared parts
 * ({@code allocInfo}, {@code addresses}, {@code call}, {@code bytes}) are {@link MapperCodec}'s.
 *
 * <pre>
 * remote.reserve      argument: int64 numBytes                        result: int64 start, int64 size
 * remote.write        argument: content                               result: empty
 * remote.initialize   argument: uint8 allowWriteExecute, allocInfo, int32 contentCount, contentCount * content
 *                     result:   int64 key
 * remote.deinitialize argument: addresses                             result: empty
 * remote.release      argument: addresses                             result: empty
 * remote.call         argument: call                                  result: int64 value returned by the function
 *
 * content = int64 address, bytes
 * </pre>
 *
 * One initialize is one logical request: content small enough travels inside it; larger content goes ahead of it in
 * {@code remote.write} messages of at most {@link #MAX_CONTENT_BYTES} bytes each, into free memory of the reservation.
 */
public final class RemoteCodec
{
    /** Prefix of every function name of the copying backend. */
    public static final String PREFIX = "remote.";
    /** Reserves address space. */
    public static final String RESERVE = PREFIX + "reserve";
    /** Copies content ahead of an initialize. */
    public static final String WRITE = PREFIX + "write";
    /** Copies content, applies protections and runs finalize actions. */
    public static final String INITIALIZE = PREFIX + "initialize";
    /** Runs dealloc actions and resets protections. */
    public static final String DEINITIALIZE = PREFIX + "deinitialize";
    /** Deinitializes what is left and unmaps. */
    public static final String RELEASE = PREFIX + "release";
    /** Calls a function in the executor. */
    public static final String CALL = PREFIX + "call";

    /** Most content bytes in one message: far below any channel's frame limit, and what memory one frame holds. */
    public static final int MAX_CONTENT_BYTES = 1 << 20;

    private static final int CONTENT_MIN_BYTES = 12;

    /**
     * Content for executor memory.
     *
     * @param address where it goes
     * @param bytes   the content
     */
    public record Content(ExecutorAddress address, byte[] bytes)
    {
    }

    /**
     * What initialize asks of the executor.
     *
     * @param allowWriteExecute whether the controller is configured to accept writable and executable segments
     * @param info              the allocation
     * @param contents          content to copy before the allocation is initialized
     */
    public record InitializeRequest(boolean allowWriteExecute, AllocInfo info, List<Content> contents)
    {
    }

    private RemoteCodec()
    {
    }

    /**
     * @param range a reservation
     * @return its encoding
     */
    public static byte[] encodeRange(final ExecutorAddressRange range)
    {
        return ByteBuffer.allocate(16).putLong(range.start().value()).putLong(range.size()).array();
    }

    /**
     * @param message an encoded reservation
     * @return the reservation
     */
    public static ExecutorAddressRange decodeRange(final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        return MapperCodec.finish(MapperOperation.RESERVE, in,
            () -> MapperCodec.checkedRange(MapperOperation.RESERVE, in.getLong(), in.getLong()));
    }

    /**
     * @param content content for executor memory
     * @return its encoding as the argument of {@link #WRITE}
     */
    public static byte[] encodeContent(final Content content)
    {
        final ByteBuffer out = ByteBuffer.allocate(CONTENT_MIN_BYTES + content.bytes().length);
        putContent(out, content);
        return out.array();
    }

    /**
     * @param message the argument of {@link #WRITE}
     * @return the content
     */
    public static Content decodeContent(final byte[] message)
    {
        final ByteBuffer in = ByteBuffer.wrap(message);
        return MapperCodec.finish(MapperOperation.INITIALIZE, in, () -> getContent(in));
    }

    /**
     * @param request what to initialize, with the content that travels inside the request
     * @return its encoding
     */
    public static byte[] encodeInitialize(final InitializeRequest request)
    {
        int size = 1 + MapperCodec.allocInfoBytes(request.info()) + 4;
        for (final Content content : request.contents())
        {
            size += CONTENT_MIN_BYTES + content.bytes().length;
        }
        final ByteBuffer out = ByteBuffer.allocate(size);
        out.put((byte)(request.allowWriteExecute() ? 1 : 0));
        MapperCodec.putAllocInfo(out, request.info());
        out.putInt(request.contents().size());
        request.contents().forEach(content -> putContent(out, content));
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
        return MapperCodec.finish(operation, in, () ->
        {
            final boolean allowWriteExecute = MapperCodec.getFlag(operation, in, "write-execute");
            final AllocInfo info = MapperCodec.getAllocInfo(operation, in);
            final int count = MapperCodec.getCount(operation, in, CONTENT_MIN_BYTES);
            final List<Content> contents = new ArrayList<>(count);
            for (int i = 0; i < count; i++)
            {
                contents.add(getContent(in));
            }
            return new InitializeRequest(allowWriteExecute, info, contents);
        });
    }

    private static void putContent(final ByteBuffer out, final Content content)
    {
        out.putLong(content.address().value()).putInt(content.bytes().length).put(content.bytes());
    }

    private static Content getContent(final ByteBuffer in)
    {
        final ExecutorAddress address = ExecutorAddress.of(in.getLong());
        return new Content(address, MapperCodec.getBytes(MapperOperation.INITIALIZE, in));
    }
}
