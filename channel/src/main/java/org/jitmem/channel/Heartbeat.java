package org.jitmem.channel;

import java.time.Duration;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/**
 * Heartbeats of a TCP channel: each end sends a HEARTBEAT frame every {@code interval}, and gives the connection up
 * when nothing at all has come from its peer for {@code timeout}.
 *
 * @param interval how often this end sends one
 * @param timeout  how long this end waits for any frame from its peer
 */
record Heartbeat(Duration interval, Duration timeout)
{
    /** Default interval: a quarter of the default timeout. */
    static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);
    /** Default timeout. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    static final Heartbeat DEFAULT = new Heartbeat(DEFAULT_INTERVAL, DEFAULT_TIMEOUT);

    Heartbeat
    {
        if (interval.toMillis() < 1 || timeout.toMillis() < 1 || timeout.compareTo(interval) <= 0 ||
            timeout.toMillis() > Integer.MAX_VALUE)
        {
            throw new InvalidRequestException(MapperOperation.CHANNEL, "heartbeat out of range: interval=" + interval +
                " timeout=" + timeout + " (both at least 1 ms, the timeout longer than the interval)",
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
    }

    int timeoutMillis()
    {
        return (int)timeout.toMillis();
    }
}
