package org.jitmem.channel;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The calls one duty (reading a connection, or scanning a lane) runs inline on its own thread, watched by the
 * server's watchdog: when the same call is still running at two looks in a row, the watchdog hands the duty over to
 * another thread, and the thread running the long call leaves the duty once its call returns.
 */
final class InlineCalls
{
    /** While the duty's thread runs no call. */
    private static final long IDLE = 0;
    /** Once the duty was handed over and the new thread runs no call yet. */
    private static final long HANDED_OVER = -1;

    /** The number of the call running inline, or {@link #IDLE}, or {@link #HANDED_OVER}. */
    private final AtomicLong inlineCall = new AtomicLong(IDLE);
    /** Calls started so far; written by the duty's current thread only. */
    private volatile long callsStarted;
    /** What the watchdog saw at its last look; used by the watchdog only. */
    private long watchedCall;
    private long watchedStarts;

    /** @return the number of the call that starts now on the duty's thread */
    long begin()
    {
        final long number = callsStarted + 1;
        callsStarted = number;
        inlineCall.set(number);
        return number;
    }

    /**
     * @param number what {@link #begin} returned
     * @return true when the calling thread keeps the duty, false when the duty was handed over while the call ran
     */
    boolean end(final long number)
    {
        return inlineCall.compareAndSet(number, IDLE);
    }

    /** @return true while a call runs inline */
    boolean runsInline()
    {
        return inlineCall.get() > 0;
    }

    /**
     * Called by the watchdog once a tick.
     *
     * @param handOver starts the duty on another thread; called when the same call has run since the last look
     * @return true when calls ran or started since the last look
     */
    boolean watch(final Runnable handOver)
    {
        final long current = inlineCall.get();
        final long starts = callsStarted;
        final boolean active = current > 0 || starts != watchedStarts;
        if (current > 0 && current == watchedCall && inlineCall.compareAndSet(current, HANDED_OVER))
        {
            handOver.run();
        }
        watchedCall = current;
        watchedStarts = starts;
        return active;
    }
}
