package org.jitmem.channel;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The byte stream under one connection, either end: a Unix domain socket, or a TCP socket with TLS on it (or, for
 * loopback benchmarks, without). A TCP transport reads with a timeout, so a peer silent for longer than the
 * heartbeat timeout fails the read with {@link SocketTimeoutException}; it has no lane.
 */
final class Transport
{
    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    private final AutoCloseable orderly;
    private final AutoCloseable hard;
    private final String peer;
    private final boolean local;

    private Transport(final ReadableByteChannel in, final WritableByteChannel out, final AutoCloseable orderly,
        final AutoCloseable hard, final String peer, final boolean local)
    {
        this.in = in;
        this.out = out;
        this.orderly = orderly;
        this.hard = hard;
        this.peer = peer;
        this.local = local;
    }

    /** @return a transport over a connected Unix domain socket */
    static Transport unix(final SocketChannel socket, final String peer)
    {
        return new Transport(socket, socket, socket, socket, peer, true);
    }

    /**
     * @param stream the socket bytes go through: the TLS socket layered over {@code raw}, or {@code raw} itself
     * @param raw    the TCP socket, closed at once by {@link #close()} whatever a writer is doing
     * @param peer   the peer's address, for messages
     * @return a transport over a connected TCP socket whose handshake, if any, is done
     * @throws IOException when the socket's streams cannot be had
     */
    static Transport tcp(final Socket stream, final Socket raw, final String peer) throws IOException
    {
        return new Transport(Channels.newChannel(stream.getInputStream()), Channels.newChannel(
            stream.getOutputStream()), stream, raw, peer, false);
    }

    ReadableByteChannel in()
    {
        return in;
    }

    WritableByteChannel out()
    {
        return out;
    }

    /** @return the peer, for messages */
    String peer()
    {
        return peer;
    }

    /** @return true for a Unix domain socket, where lanes and same-user checks apply */
    boolean isLocal()
    {
        return local;
    }

    /** Closes the connection at once, unblocking any reader or writer; idempotent. */
    void close()
    {
        Closeables.closeQuietly(hard);
        Closeables.closeQuietly(orderly);
    }
}
