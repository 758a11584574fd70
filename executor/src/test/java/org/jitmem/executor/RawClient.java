package org.jitmem.executor;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jitmem.channel.Protocol;

/**
 * Speaks the wire format byte by byte, written from the layout documented in {@link Protocol}, to send what a
 * well-behaved client never would.
 */
final class RawClient implements AutoCloseable
{
    /** A frame as read. */
    record RawFrame(byte type, long requestId, ByteBuffer payload)
    {
        /** @return the reason text of an ERROR payload */
        String errorReason()
        {
            final ByteBuffer error = payload.duplicate();
            error.get();
            skipString(error);
            error.position(error.position() + 8 + 8 + 4 + 4 + 8);
            return string(error);
        }

        /** @return the kind of an ERROR payload */
        int errorKind()
        {
            return payload.get(0);
        }
    }

    private final SocketChannel socket;

    RawClient(final Path path) throws IOException
    {
        socket = SocketChannel.open(StandardProtocolFamily.UNIX);
        socket.connect(UnixDomainSocketAddress.of(path));
    }

    void send(final byte[] bytes) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining())
        {
            socket.write(buffer);
        }
    }

    /** Sends a frame whose length field is computed from the payload. */
    void sendFrame(final byte type, final long requestId, final byte[] payload) throws IOException
    {
        send(ByteBuffer.allocate(13 + payload.length).putInt(9 + payload.length).put(type).putLong(requestId)
            .put(payload).array());
    }

    /** Sends a CALL frame. */
    void sendCall(final long requestId, final String function, final byte[] argument) throws IOException
    {
        final byte[] name = function.getBytes(StandardCharsets.UTF_8);
        sendFrame(Protocol.CALL, requestId, ByteBuffer.allocate(4 + name.length + argument.length).putInt(name.length)
            .put(name).put(argument).array());
    }

    void shutdownOutput() throws IOException
    {
        socket.shutdownOutput();
    }

    /** @return the next frame, or null when the peer closed the connection; waits a bounded time */
    RawFrame read() throws Exception
    {
        final CompletableFuture<RawFrame> frame = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                final ByteBuffer length = ByteBuffer.allocate(4);
                if (!readFully(length))
                {
                    return null;
                }
                final ByteBuffer rest = ByteBuffer.allocate(length.flip().getInt());
                if (!readFully(rest))
                {
                    return null;
                }
                rest.flip();
                return new RawFrame(rest.get(), rest.getLong(), rest.slice());
            }
            catch (final IOException ex)
            {
                return null;
            }
        });
        return frame.get(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private boolean readFully(final ByteBuffer buffer) throws IOException
    {
        while (buffer.hasRemaining())
        {
            if (socket.read(buffer) < 0)
            {
                return false;
            }
        }
        return true;
    }

    private static void skipString(final ByteBuffer buffer)
    {
        final int length = buffer.getInt();
        buffer.position(buffer.position() + length);
    }

    private static String string(final ByteBuffer buffer)
    {
        final byte[] bytes = new byte[buffer.getInt()];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
