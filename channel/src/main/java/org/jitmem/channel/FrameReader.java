package org.jitmem.channel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads frames through one reused direct buffer, so that small frames cost one system call for many and large
 * payloads never make the JDK allocate a temporary direct buffer of their size. Used by one thread at a time.
 */
final class FrameReader
{
    static final int BUFFER_SIZE = 64 * 1024;

    private final ReadableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
    private final int maxFrameSize;

    FrameReader(final ReadableByteChannel channel, final int maxFrameSize)
    {
        this.channel = channel;
        this.maxFrameSize = maxFrameSize;
        buffer.flip();
    }

    /**
     * @return the next frame, or null when the stream ended cleanly between two frames
     * @throws FrameLengthException when the announced length is out of range
     * @throws EOFException         when the stream ended inside a frame
     */
    Frame read() throws IOException
    {
        if (!buffer.hasRemaining() && !fill())
        {
            return null;
        }
        require(Integer.BYTES);
        final int length = buffer.getInt();
        if (length < Protocol.HEADER_SIZE - Integer.BYTES || length > maxFrameSize - Integer.BYTES)
        {
            throw new FrameLengthException("frame length out of range: length=" + length + " max=" +
                (maxFrameSize - Integer.BYTES));
        }
        require(Protocol.HEADER_SIZE - Integer.BYTES);
        final byte type = buffer.get();
        final long requestId = buffer.getLong();
        final byte[] payload = length == Protocol.HEADER_SIZE - Integer.BYTES ? Protocol.EMPTY :
            new byte[length - (Protocol.HEADER_SIZE - Integer.BYTES)];
        int offset = 0;
        while (offset < payload.length)
        {
            if (!buffer.hasRemaining() && !fill())
            {
                throw truncated();
            }
            final int count = Math.min(buffer.remaining(), payload.length - offset);
            buffer.get(payload, offset, count);
            offset += count;
        }
        return new Frame(type, requestId, payload);
    }

    private void require(final int count) throws IOException
    {
        while (buffer.remaining() < count)
        {
            if (!fill())
            {
                throw truncated();
            }
        }
    }

    private boolean fill() throws IOException
    {
        buffer.compact();
        try
        {
            return channel.read(buffer) >= 0;
        }
        finally
        {
            buffer.flip();
        }
    }

    private static EOFException truncated()
    {
        return new EOFException("connection ended inside a frame");
    }
}
