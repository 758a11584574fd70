package org.jitmem.executor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on loopback that injects faults into the connections it forwards: a fixed latency each way (every chunk
 * is forwarded its delay after it was read, chunks in flight overlap, so the delay does not limit the throughput),
 * dropping every byte (read and discarded), or a half-open connection (nothing read or forwarded any more, nothing
 * closed), switchable while connections are open. Both of its sockets of a connection set TCP_NODELAY; a target that
 * does not listen yet is retried for a few seconds, as a client retries one that starts. Closing it
 * closes everything it holds. Also a program, for benchmarks:
 * {@code FaultProxy --port <listen port, 0: any> --target <port on 127.0.0.1> --delay-ms <each way>}, which prints
 * {@code fault-proxy ready port=<port>} and forwards until killed.
 */
public final class FaultProxy implements AutoCloseable
{
    /** What happens to the bytes. */
    public enum Mode
    {
        /** Forwarded after the delay. */
        FORWARD,
        /** Read and thrown away. */
        DROP,
        /** Left unread: the sender's buffers fill, and neither end is told. */
        HALF_OPEN
    }

    private static final byte[] END = new byte[0];
    private static final long CONNECT_RETRY_MILLIS = 10_000;

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
    public FaultProxy(final InetSocketAddress target) throws IOException
    {
        this(target, 0);
    }

    /**
     * @param target where to forward
     * @param port   the port to listen on, 0 for any
     * @throws IOException when the port cannot be bound
     */
    public FaultProxy(final InetSocketAddress target, final int port) throws IOException
    {
        this.target = target;
        this.server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "fault-proxy-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Runs the proxy until killed.
     *
     * @param args {@code --port P --target P --delay-ms N}
     * @throws Exception when the port cannot be bound
     */
    public static void main(final String[] args) throws Exception
    {
        int port = 0;
        int targetPort = -1;
        long delayMillis = 0;
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            switch (args[i])
            {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--target" -> targetPort = Integer.parseInt(args[i + 1]);
                case "--delay-ms" -> delayMillis = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option: option=" + args[i]);
            }
        }
        if (targetPort <= 0 || args.length % 2 != 0)
        {
            throw new IllegalArgumentException("usage: FaultProxy [--port P] --target P [--delay-ms N]");
        }
        final FaultProxy proxy = new FaultProxy(new InetSocketAddress("127.0.0.1", targetPort), port);
        proxy.delayMillis(delayMillis);
        System.out.println("fault-proxy ready port=" + proxy.port() + " target=" + targetPort + " delayMs=" +
            delayMillis);
        System.out.flush();
        new CountDownLatch(1).await();
    }

    /** @return the port to connect to instead of the target's */
    public int port()
    {
        return server.getLocalPort();
    }

    /** @param next what happens to bytes from now on */
    public void mode(final Mode next)
    {
        this.mode = next;
    }

    /** @param millis delay added to each chunk forwarded, each way */
    public void delayMillis(final long millis)
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
                client.setTcpNoDelay(true);
                final Socket upstream = connectUpstream();
                if (upstream == null)
                {
                    closeQuietly(client); // the target never listened: the client sees its connection end
                    continue;
                }
                sockets.add(upstream);
                pump(client, upstream, "up");
                pump(upstream, client, "down");
            }
            catch (final IOException ex)
            {
                // closed
            }
        }
    }

    /** @return a connection to the target, retried while it starts listening (a few seconds), or null */
    private Socket connectUpstream()
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_RETRY_MILLIS);
        while (!server.isClosed())
        {
            final Socket upstream = new Socket();
            try
            {
                upstream.setTcpNoDelay(true);
                upstream.connect(target, (int)CONNECT_RETRY_MILLIS);
                return upstream;
            }
            catch (final IOException ex)
            {
                closeQuietly(upstream);
                if (System.nanoTime() - deadline > 0)
                {
                    return null;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        return null;
    }

    /** One direction: a reader stamps each chunk with when it is due, a writer forwards it then. */
    private void pump(final Socket from, final Socket to, final String direction)
    {
        final BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        start("fault-proxy-" + direction + "-read", () ->
        {
            final byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream())
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
                    if (mode == Mode.FORWARD)
                    {
                        queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, read)));
                    }
                }
            }
            catch (final IOException | InterruptedException ex)
            {
                // one side closed: the writer closes both
            }
            finally
            {
                queue.add(new Chunk(0, END));
            }
        });
        start("fault-proxy-" + direction + "-write", () ->
        {
            try (OutputStream out = to.getOutputStream())
            {
                while (true)
                {
                    final Chunk chunk = queue.take();
                    if (chunk.bytes == END)
                    {
                        break;
                    }
                    for (long wait = chunk.dueNanos - System.nanoTime(); wait > 0;
                        wait = chunk.dueNanos - System.nanoTime())
                    {
                        LockSupport.parkNanos(wait);
                    }
                    out.write(chunk.bytes);
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
        });
    }

    private static void start(final String name, final Runnable body)
    {
        final Thread thread = new Thread(body, name);
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

    private record Chunk(long dueNanos, byte[] bytes)
    {
    }
}
