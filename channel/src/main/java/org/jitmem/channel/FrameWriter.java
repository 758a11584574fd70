package org.jitmem.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes whole frames through one reused direct buffer; concurrent writers are serialised, and the lock is held only
 * while bytes are being written, never while a reply is awaited.
 */
final class FrameWriter
{
    private final WritableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(FrameReader.BUFFER_SIZE);
    private final ReentrantLock lock = new ReentrantLock();
    /** When the write in progress started ({@link System#nanoTime()}), 0 while none is. */
    private volatile long writingSince;

    FrameWriter(final WritableByteChannel channel)
    {
        this.channel = channel;
    }

    /** @return the size of a frame whose payload is {@code head} followed by {@code body} */
    static long frameSize(final byte[] head, final byte[] body)
    {
        return (long)Protocol.HEADER_SIZE + head.length + body.length;
    }

    /**
     * Writes one frame whose payload is {@code head} followed by {@code body}; the caller has checked its size.
     */
    void write(final byte type, final long requestId, final byte[] head, final byte[] body) throws IOException
    {
        lock.lock();
        try
        {
            writeLocked(type, requestId, head, body);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Writes one frame unless another thread is writing.
     *
     * @return false when another thread was writing and nothing was written
     */
    boolean tryWrite(final byte type, final long requestId, final byte[] head, final byte[] body) throws IOException
    {
        if (!lock.tryLock())
        {
            return false;
        }
        try
        {
            writeLocked(type, requestId, head, body);
            return true;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @param nowNanos  the current {@link System#nanoTime()}
     * @param boundNanos how long a write may take
     * @return true when a write has been in progress for longer: the peer does not read
     */
    boolean isStuck(final long nowNanos, final long boundNanos)
    {
        final long since = writingSince;
        return since != 0 && nowNanos - since > boundNanos;
    }

    private void writeLocked(final byte type, final long requestId, final byte[] head, final byte[] body)
        throws IOException
    {
        final long now = System.nanoTime();
        writingSince = now == 0 ? 1 : now;
        try
        {
            buffer.clear();
            buffer.putInt((int)(frameSize(head, body) - Integer.BYTES)).put(type).putLong(requestId);
            put(head);
            put(body);
            flush();
        }
        finally
        {
            writingSince = 0;
        }
    }

    private void put(final byte[] bytes) throws IOException
    {
        int offset = 0;
        while (offset < bytes.length)
        {
            if (!buffer.hasRemaining())
            {
                flush();
            }
            final int count = Math.min(buffer.remaining(), bytes.length - offset);
            buffer.put(bytes, offset, count);
            offset += count;
        }
    }

    private void flush() throws IOException
    {
        buffer.flip();
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
        buffer.clear();
    }
}
