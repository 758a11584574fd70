package org.jitmem.channel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

/**
 * A TCP port with TLS 1.3 and client certificates required: accepting takes no time; the handshake runs on the
 * connection's own thread, and the connection is closed when it has not finished within the handshake timeout, so a
 * client that says nothing holds neither the acceptor nor its slot for long.
 */
final class TcpListener implements Listener
{
    private static final int BACKLOG = 64;

    private final ServerSocket serverSocket;
    private final TcpListenOptions options;
    private final ScheduledExecutorService timers;

    private TcpListener(final ServerSocket serverSocket, final TcpListenOptions options,
        final ScheduledExecutorService timers)
    {
        this.serverSocket = serverSocket;
        this.options = options;
        this.timers = timers;
    }

    /**
     * @param options where and how to listen
     * @param timers  runs handshake deadlines
     * @return the bound listener
     * @throws IOException when the address cannot be bound
     */
    static TcpListener bind(final TcpListenOptions options, final ScheduledExecutorService timers) throws IOException
    {
        final ServerSocket serverSocket = new ServerSocket();
        try
        {
            serverSocket.setReuseAddress(true);
            serverSocket.bind(options.address(), BACKLOG);
            return new TcpListener(serverSocket, options, timers);
        }
        catch (final IOException | RuntimeException ex)
        {
            Closeables.closeQuietly(serverSocket);
            throw ex;
        }
    }

    @Override
    public Accepted accept() throws IOException
    {
        final Socket raw = serverSocket.accept();
        return new TcpAccepted(raw, String.valueOf(raw.getRemoteSocketAddress()));
    }

    @Override
    public boolean isOpen()
    {
        return !serverSocket.isClosed();
    }

    @Override
    public void close()
    {
        Closeables.closeQuietly(serverSocket);
    }

    @Override
    public void remove()
    {
    }

    @Override
    public SocketAddress localAddress()
    {
        return serverSocket.getLocalSocketAddress();
    }

    @Override
    public boolean isLocal()
    {
        return false;
    }

    @Override
    public String toString()
    {
        return "listen=" + format((InetSocketAddress)serverSocket.getLocalSocketAddress());
    }

    /** @return {@code host:port}, an IPv6 host in brackets */
    static String format(final InetSocketAddress address)
    {
        final String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private final class TcpAccepted implements Accepted
    {
        private final Socket raw;
        private final String peer;

        TcpAccepted(final Socket raw, final String peer)
        {
            this.raw = raw;
            this.peer = peer;
        }

        @Override
        public Transport open() throws IOException
        {
            final ScheduledFuture<?> deadline = timers.schedule(this::abort, options.handshakeTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
            try
            {
                raw.setTcpNoDelay(true);
                raw.setSoTimeout((int)Math.min(Integer.MAX_VALUE, options.handshakeTimeout().toMillis()));
                final Socket stream;
                String who = peer;
                if (options.tls() == null)
                {
                    stream = raw;
                }
                else
                {
                    final SSLSocket tls = (SSLSocket)options.tls().getSocketFactory().createSocket(raw, null, true);
                    tls.setEnabledProtocols(new String[] {TlsStores.PROTOCOL});
                    tls.setNeedClientAuth(true);
                    tls.startHandshake();
                    stream = tls;
                    who = peer + " subject=\"" + tls.getSession().getPeerPrincipal().getName() + "\"";
                }
                if (!deadline.cancel(false))
                {
                    throw new IOException("handshake timed out: timeout=" + options.handshakeTimeout());
                }
                stream.setSoTimeout(options.heartbeat().timeoutMillis());
                return Transport.tcp(stream, raw, who);
            }
            catch (final IOException | RuntimeException ex)
            {
                deadline.cancel(false);
                abort();
                throw ex;
            }
        }

        @Override
        public void abort()
        {
            Closeables.closeQuietly(raw);
        }

        @Override
        public String peer()
        {
            return peer;
        }
    }
}
