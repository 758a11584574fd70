package org.jitmem.channel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A future for a reply that usually arrives within microseconds. A thread that waits for it, or for a stage derived
 * from it, first lets the reply's {@link Helper} work for a bounded time (spin until it is done, or look for the
 * reply in the lane and complete it itself), so that a quick reply costs the waiter no sleep and wake-up; only then
 * does it park as usual.
 *
 * @param <T> the result type
 */
final class ReplyFuture<T> extends CompletableFuture<T>
{
    /** Brings the completion of a reply about on the waiting thread. */
    @FunctionalInterface
    interface Helper
    {
        /**
         * @param waiting the stage the thread waits for: the reply or one derived from it
         * @param nanos   how long to try at most
         * @return nanoseconds spent
         */
        long help(CompletableFuture<?> waiting, long nanos);
    }

    /** The system property that sets {@link #SOCKET_SPIN_NANOS}. */
    static final String SPIN_NANOS_PROPERTY = "jitmem.channel.spinNanos";
    /**
     * How long a thread waiting for a reply from the socket spins before it parks; off unless set, as on a machine
     * with few cores the spinning waiter takes the core that the channel's reader thread and the executor need.
     */
    static final long SOCKET_SPIN_NANOS = Math.max(0, Long.getLong(SPIN_NANOS_PROPERTY, 0));
    /** Spins until the waited-for stage is done. */
    static final Helper SPIN = ReplyFuture::spin;

    private final Helper helper;
    private final long helpNanos;

    /**
     * @param helper    what a waiting thread does first
     * @param helpNanos for how long at most
     */
    ReplyFuture(final Helper helper, final long helpNanos)
    {
        this.helper = helper;
        this.helpNanos = helpNanos;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture()
    {
        return new ReplyFuture<>(helper, helpNanos);
    }

    @Override
    public T get() throws InterruptedException, ExecutionException
    {
        help(helpNanos);
        return super.get();
    }

    @Override
    public T get(final long timeout, final TimeUnit unit) throws InterruptedException, ExecutionException,
        TimeoutException
    {
        final long nanos = unit.toNanos(timeout);
        final long spent = help(Math.min(nanos, helpNanos));
        return super.get(Math.max(0, nanos - spent), TimeUnit.NANOSECONDS);
    }

    @Override
    public T join()
    {
        help(helpNanos);
        return super.join();
    }

    private long help(final long nanos)
    {
        return nanos <= 0 || isDone() ? 0 : helper.help(this, nanos);
    }

    private static long spin(final CompletableFuture<?> waiting, final long nanos)
    {
        final long start = System.nanoTime();
        long spent = 0;
        while (!waiting.isDone() && spent < nanos)
        {
            Thread.onSpinWait();
            spent = System.nanoTime() - start;
        }
        return spent;
    }
}
