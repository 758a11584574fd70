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

    private TcpListenOptions(final Builder builder)
    {
        this.address = builder.address;
        this.tls = builder.tls;
        this.maxConnections = builder.maxConnections;
        this.handshakeTimeout = builder.handshakeTimeout;
        this.heartbeat = new Heartbeat(builder.heartbeatInterval, builder.heartbeatTimeout);
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
    public static final class Builder
    {
        private final InetSocketAddress address;
        private SSLContext tls;
        private boolean plaintext;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration heartbeatInterval = Heartbeat.DEFAULT_INTERVAL;
        private Duration heartbeatTimeout = Heartbeat.DEFAULT_TIMEOUT;
        private Duration releaseGrace = DEFAULT_RELEASE_GRACE;

        private Builder(final InetSocketAddress address)
        {
            this.address = Objects.requireNonNull(address, "address");
        }

        /**
         * @param context TLS 1.3 context, see {@link TlsStores#context}; controllers must present a certificate it
         *                trusts
         * @return this
         */
        public Builder tls(final SSLContext context)
        {
            this.tls = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * Speaks plaintext, without authentication: for benchmarks on a loopback address only.
         *
         * @return this
         */
        public Builder plaintextOnLoopback()
        {
            this.plaintext = true;
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
         * @param interval how often to send a heartbeat
         * @param timeout  how long a controller may stay silent before its connection is closed
         * @return this
         */
        public Builder heartbeat(final Duration interval, final Duration timeout)
        {
            this.heartbeatInterval = Objects.requireNonNull(interval, "interval");
            this.heartbeatTimeout = Objects.requireNonNull(timeout, "timeout");
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
            checkSecurity(tls, plaintext, host != null && host.isLoopbackAddress(), "address=" + address);
            if (maxConnections < 1 || handshakeTimeout.toMillis() < 1 || releaseGrace.isNegative())
            {
                throw invalid("listen option out of range: maxConnections=" + maxConnections + " handshakeTimeout=" +
                    handshakeTimeout + " releaseGrace=" + releaseGrace);
            }
            return new TcpListenOptions(this);
        }
    }

    /**
     * @param tls       the TLS context, or null
     * @param plaintext whether plaintext was asked for
     * @param loopback  whether the address is a loopback one
     * @param where     the address, for the message
     * @throws InvalidRequestException unless exactly one of TLS and plaintext was asked for, plaintext on loopback
     */
    static void checkSecurity(final SSLContext tls, final boolean plaintext, final boolean loopback,
        final String where)
    {
        if (tls == null && !plaintext)
        {
            throw invalid("no TLS context: TCP channels speak mutual TLS only: " + where);
        }
        if (tls != null && plaintext)
        {
            throw invalid("both TLS and plaintext asked for: " + where);
        }
        if (plaintext && !loopback)
        {
            throw invalid("plaintext is allowed on a loopback address only: " + where);
        }
    }

    static InvalidRequestException invalid(final String reason)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN);
    }
}
