package org.jitmem.channel;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLContext;

/**
 * How a controller connects to an executor listening on TCP ({@link #connect()}): host and port, the TLS context
 * whose key it presents and whose authorities the executor's certificate must chain to, whether the executor's
 * certificate must name the host, timeouts and heartbeats. Immutable; built with {@link #builder(String, int)}.
 */
public final class TcpConnectOptions
{
    /** Default bound on connecting, handshakes included. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final String host;
    private final int port;
    private final SSLContext tls;
    private final boolean verifyHost;
    private final Duration connectTimeout;
    private final Heartbeat heartbeat;
    private final int maxFrameSize;
    private final Executor completions;

    private TcpConnectOptions(final Builder builder, final Heartbeat heartbeat)
    {
        this.host = builder.host;
        this.port = builder.port;
        this.tls = builder.tls;
        this.verifyHost = builder.verifyHost;
        this.connectTimeout = builder.connectTimeout;
        this.heartbeat = heartbeat;
        this.maxFrameSize = builder.maxFrameSize;
        this.completions = builder.completions;
    }

    /**
     * @param host the executor's host name or address
     * @param port its port
     * @return a builder with the defaults
     */
    public static Builder builder(final String host, final int port)
    {
        return new Builder(host, port);
    }

    /**
     * Connects: TCP, the TLS 1.3 handshake with both certificates checked, then the executor's HELLO. The channel
     * has no lane; it sends heartbeats and closes itself, failing every pending call with
     * {@link org.jitmem.api.ExecutorUnavailableException}, when the executor stays silent for the heartbeat timeout.
     *
     * @return the open channel; its {@link SocketExecutorChannel#executor()} names the host
     * @throws org.jitmem.api.ExecutorUnavailableException when the executor cannot be reached or the handshake fails
     */
    public SocketExecutorChannel connect()
    {
        return SocketExecutorChannel.connect(this);
    }

    /** @return the executor's host */
    public String host()
    {
        return host;
    }

    /** @return the executor's port */
    public int port()
    {
        return port;
    }

    /** @return the TLS context, or null for plaintext on loopback */
    public SSLContext tls()
    {
        return tls;
    }

    /** @return true when the executor's certificate must name the host (subject alternative name) */
    public boolean verifyHost()
    {
        return verifyHost;
    }

    /** @return the bound on connecting */
    public Duration connectTimeout()
    {
        return connectTimeout;
    }

    /** @return how often the controller sends a heartbeat */
    public Duration heartbeatInterval()
    {
        return heartbeat.interval();
    }

    /** @return how long the executor may stay silent before the channel fails */
    public Duration heartbeatTimeout()
    {
        return heartbeat.timeout();
    }

    /** @return the largest frame sent or accepted, header included */
    public int maxFrameSize()
    {
        return maxFrameSize;
    }

    /** @return where call futures complete, or null for the reader thread */
    public Executor completions()
    {
        return completions;
    }

    Heartbeat heartbeat()
    {
        return heartbeat;
    }

    /** Builds {@link TcpConnectOptions}; not thread-safe. */
    public static final class Builder extends TcpBuilder<Builder>
    {
        private final String host;
        private final int port;
        private boolean verifyHost = true;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private int maxFrameSize = Protocol.DEFAULT_MAX_FRAME_SIZE;
        private Executor completions;

        private Builder(final String host, final int port)
        {
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
        }

        @Override
        Builder self()
        {
            return this;
        }

        /**
         * @param verify whether the executor's certificate must name the host it is reached by (on by default)
         * @return this
         */
        public Builder verifyHost(final boolean verify)
        {
            this.verifyHost = verify;
            return this;
        }

        /**
         * @param timeout bound on connecting, handshakes included
         * @return this
         */
        public Builder connectTimeout(final Duration timeout)
        {
            this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param size largest frame sent or accepted, header included
         * @return this
         */
        public Builder maxFrameSize(final int size)
        {
            this.maxFrameSize = size;
            return this;
        }

        /**
         * @param executor where call futures complete, or null for the reader thread
         * @return this
         */
        public Builder completions(final Executor executor)
        {
            this.completions = executor;
            return this;
        }

        /**
         * @return the options
         * @throws org.jitmem.api.InvalidRequestException when TLS is missing (plaintext is allowed to loopback only)
         *                                                or a setting is out of range
         */
        public TcpConnectOptions build()
        {
            final Heartbeat heartbeat = checked(plaintext && isLoopback(host), "host=" + host);
            if (port < 1 || port > 65535 || connectTimeout.toMillis() < 1 || maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE)
            {
                throw TcpListenOptions.invalid("connect option out of range: port=" + port + " connectTimeout=" +
                    connectTimeout + " maxFrameSize=" + maxFrameSize + " min=" + Protocol.MIN_MAX_FRAME_SIZE);
            }
            return new TcpConnectOptions(this, heartbeat);
        }

        private static boolean isLoopback(final String host)
        {
            try
            {
                for (final InetAddress address : InetAddress.getAllByName(host))
                {
                    if (!address.isLoopbackAddress())
                    {
                        return false;
                    }
                }
                return true;
            }
            catch (final UnknownHostException ex)
            {
                return false;
            }
        }
    }
}
