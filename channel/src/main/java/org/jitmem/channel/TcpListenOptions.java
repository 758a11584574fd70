package org.jitmem.channel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

import javax.net.ssl.SSLContext;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/**
 * How an executor listens on TCP ({@link ChannelServer#listen}): the address, the TLS context whose key it presents
 * and whose authorities a controller's certificate must chain to, and the bounds that keep any client from
 * exhausting it. Immutable; built with {@link #builder(InetSocketAddress)}.
 */
public final class TcpListenOptions
{
    /** Default bound on connections at once, those in their handshake included. */
    public static final int DEFAULT_MAX_CONNECTIONS = 16;
    /** Default bound on a handshake, TLS and HELLO together. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** Default heartbeat interval, both ends. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Heartbeat.DEFAULT_INTERVAL;
    /** Default heartbeat timeout, both ends. */
    public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Heartbeat.DEFAULT_TIMEOUT;
    /** Default delay before a vanished controller's executor state is released. */
    public static final Duration DEFAULT_RELEASE_GRACE = Duration.ofSeconds(5);

    private final InetSocketAddress address;
    private final SSLContext tls;
    private final int maxConnections;
    private final Duration handshakeTimeout;
    private final Heartbeat heartbeat;
    private final Duration releaseGrace;

    private TcpListenOptions(final Builder builder, final Heartbeat heartbeat)
    {
        this.address = builder.address;
        this.tls = builder.tls;
        this.maxConnections = builder.maxConnections;
        this.handshakeTimeout = builder.handshakeTimeout;
        this.heartbeat = heartbeat;
        this.releaseGrace = builder.releaseGrace;
    }

    /**
     * @param address where to listen; port 0 takes a free port ({@link ChannelServer#localAddress()} tells which)
     * @return a builder with the defaults
     */
    public static Builder builder(final InetSocketAddress address)
    {
        return new Builder(address);
    }

    /** @return where to listen */
    public InetSocketAddress address()
    {
        return address;
    }

    /** @return the TLS context, or null for plaintext on loopback */
    public SSLContext tls()
    {
        return tls;
    }

    /** @return most connections at once */
    public int maxConnections()
    {
        return maxConnections;
    }

    /** @return the bound on a handshake */
    public Duration handshakeTimeout()
    {
        return handshakeTimeout;
    }

    /** @return how often the executor sends a heartbeat */
    public Duration heartbeatInterval()
    {
        return heartbeat.interval();
    }

    /** @return how long a controller may stay silent before its connection is closed */
    public Duration heartbeatTimeout()
    {
        return heartbeat.timeout();
    }

    /** @return how long a closed connection's executor state is kept before it is released */
    public Duration releaseGrace()
    {
        return releaseGrace;
    }

    Heartbeat heartbeat()
    {
        return heartbeat;
    }

    /** Builds {@link TcpListenOptions}; not thread-safe. */
    public static final class Builder extends TcpBuilder<Builder>
    {
        private final InetSocketAddress address;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration releaseGrace = DEFAULT_RELEASE_GRACE;

        private Builder(final InetSocketAddress address)
        {
            this.address = Objects.requireNonNull(address, "address");
        }

        @Override
        Builder self()
        {
            return this;
        }

        /**
         * @param count most connections at once, those in their handshake included; more are closed at once
         * @return this
         */
        public Builder maxConnections(final int count)
        {
            this.maxConnections = count;
            return this;
        }

        /**
         * @param timeout bound on a connection's TLS handshake
         * @return this
         */
        public Builder handshakeTimeout(final Duration timeout)
        {
            this.handshakeTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param grace how long a closed connection's executor state (its reservations) is kept before release
         * @return this
         */
        public Builder releaseGrace(final Duration grace)
        {
            this.releaseGrace = Objects.requireNonNull(grace, "grace");
            return this;
        }

        /**
         * @return the options
         * @throws InvalidRequestException when TLS is missing (plaintext is allowed on loopback only) or a bound is
         *                                 out of range
         */
        public TcpListenOptions build()
        {
            final InetAddress host = address.getAddress();
            final Heartbeat heartbeat = checked(host != null && host.isLoopbackAddress(), "address=" + address);
            if (maxConnections < 1 || handshakeTimeout.toMillis() < 1 || releaseGrace.isNegative())
            {
                throw invalid("listen option out of range: maxConnections=" + maxConnections + " handshakeTimeout=" +
                    handshakeTimeout + " releaseGrace=" + releaseGrace);
            }
            return new TcpListenOptions(this, heartbeat);
        }
    }

    static InvalidRequestException invalid(final String reason)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN);
    }
}
