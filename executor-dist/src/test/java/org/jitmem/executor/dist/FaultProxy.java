package org.jitmem.executor.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on loopback that injects faults into the connections it forwards: a delay on every chunk each way,
 * dropping every byte (read and discarded), or a half-open connection (nothing read or forwarded any more, nothing
 * closed), switchable while connections are open. Closing it closes everything it holds.
 */
final class FaultProxy implements AutoCloseable
{
    /** What happens to the bytes. */
    enum Mode
    {
        /** Forwarded after the delay. */
        FORWARD,
        /** Read and thrown away. */
        DROP,
        /** Left unread: the sender's buffers fill, and neither end is told. */
        HALF_OPEN
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile Mode mode = Mode.FORWARD;
    private volatile long delayNanos;

    /**
     * @param target where to forward
     * @throws IOException when no port can be bound
     */
    FaultProxy(final InetSocketAddress target) throws IOException
    {
        this.target = target;
        this.server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "fault-proxy-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** @return the port to connect to instead of the target's */
    int port()
    {
        return server.getLocalPort();
    }

    /** @param next what happens to bytes from now on */
    void mode(final Mode next)
    {
        this.mode = next;
    }

    /** @param millis delay added to each chunk forwarded, each way */
    void delayMillis(final long millis)
    {
        this.delayNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Override
    public void close() throws IOException
    {
        server.close();
        for (final Socket socket : sockets)
        {
            socket.close();
        }
    }

    private void accept()
    {
        while (!server.isClosed())
        {
            try
            {
                final Socket client = server.accept();
                sockets.add(client);
                final Socket upstream = new Socket();
                sockets.add(upstream);
                upstream.connect(target, 10_000);
                pump(client, upstream, "up");
                pump(upstream, client, "down");
            }
            catch (final IOException ex)
            {
                // closed, or the target refused: the client sees its connection end
            }
        }
    }

    private void pump(final Socket from, final Socket to, final String direction)
    {
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
            {
                while (true)
                {
                    while (mode == Mode.HALF_OPEN)
                    {
                        Thread.sleep(5);
                    }
                    final int read = in.read(buffer);
                    if (read < 0)
                    {
                        break;
                    }
                    final long delay = delayNanos;
                    if (delay > 0)
                    {
                        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(delay));
                    }
                    if (mode == Mode.FORWARD)
                    {
                        out.write(buffer, 0, read);
                        out.flush();
                    }
                }
            }
            catch (final IOException | InterruptedException ex)
            {
                // one side closed: the finally below closes the other
            }
            finally
            {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "fault-proxy-" + direction);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(final Socket socket)
    {
        try
        {
            socket.close();
        }
        catch (final IOException ex)
        {
            // already closed
        }
    }
}
