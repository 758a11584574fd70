package org.jitmem.channel;

import java.time.Duration;
import java.util.Objects;

import javax.net.ssl.SSLContext;

import org.jitmem.api.InvalidRequestException;

/**
 * What the builders of both TCP option types set alike: TLS, or plaintext on loopback, and heartbeats.
 *
 * @param <B> the builder
 */
abstract class TcpBuilder<B extends TcpBuilder<B>>
{
    SSLContext tls;
    boolean plaintext;
    Duration heartbeatInterval = Heartbeat.DEFAULT_INTERVAL;
    Duration heartbeatTimeout = Heartbeat.DEFAULT_TIMEOUT;

    abstract B self();

    /**
     * @param context TLS 1.3 context, see {@link TlsStores#context}; the peer must present a certificate it trusts
     * @return this
     */
    public B tls(final SSLContext context)
    {
        this.tls = Objects.requireNonNull(context, "context");
        return self();
    }

    /**
     * Speaks plaintext, without authentication: for benchmarks on a loopback address only.
     *
     * @return this
     */
    public B plaintextOnLoopback()
    {
        this.plaintext = true;
        return self();
    }

    /**
     * @param interval how often to send a heartbeat
     * @param timeout  how long the peer may stay silent (or leave what was written unread) before it is given up
     * @return this
     */
    public B heartbeat(final Duration interval, final Duration timeout)
    {
        this.heartbeatInterval = Objects.requireNonNull(interval, "interval");
        this.heartbeatTimeout = Objects.requireNonNull(timeout, "timeout");
        return self();
    }

    /**
     * @param loopback whether the address is a loopback one
     * @param where    the address, for the message
     * @return the heartbeat settings
     * @throws InvalidRequestException unless exactly one of TLS and plaintext was asked for, plaintext on loopback,
     *                                 or when the heartbeat is out of range
     */
    Heartbeat checked(final boolean loopback, final String where)
    {
        if (tls == null && !plaintext)
        {
            throw TcpListenOptions.invalid("no TLS context: TCP channels speak mutual TLS only: " + where);
        }
        if (tls != null && plaintext)
        {
            throw TcpListenOptions.invalid("both TLS and plaintext asked for: " + where);
        }
        if (plaintext && !loopback)
        {
            throw TcpListenOptions.invalid("plaintext is allowed on a loopback address only: " + where);
        }
        return new Heartbeat(heartbeatInterval, heartbeatTimeout);
    }
}
