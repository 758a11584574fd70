package org.jitmem.channel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A future for a reply that usually arrives within microseconds: a thread that waits for it may first spin briefly,
 * so that a quick reply costs the waiter no sleep and wake-up, and only then parks as usual. Dependents are of the
 * same kind, so that waiting on a stage derived from a reply spins as well.
 * <p>
 * The spin is off unless the system property {@value #SPIN_NANOS_PROPERTY} gives its length in nanoseconds: on a
 * machine with few cores the spinning waiter takes the core that the channel's reader thread and the executor
 * need for the reply, which made the shared-memory operations slower than the empty call it makes faster.
 *
 * @param <T> the result type
 */
final class SpinningFuture<T> extends CompletableFuture<T>
{
    /** The system property that sets {@link #SPIN_NANOS}. */
    static final String SPIN_NANOS_PROPERTY = "jitmem.channel.spinNanos";
    /** How long a waiter spins before it parks; about one empty round trip (50,000) when cores are to spare. */
    static final long SPIN_NANOS = Math.max(0, Long.getLong(SPIN_NANOS_PROPERTY, 0));

    private final long spinNanos;

    /** A future whose waiters spin for {@link #SPIN_NANOS}. */
    SpinningFuture()
    {
        this(SPIN_NANOS);
    }

    /** @param spinNanos how long its waiters, and those of its dependents, spin before they park */
    SpinningFuture(final long spinNanos)
    {
        this.spinNanos = spinNanos;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture()
    {
        return new SpinningFuture<>(spinNanos);
    }

    @Override
    public T get() throws InterruptedException, ExecutionException
    {
        spin(spinNanos);
        return super.get();
    }

    @Override
    public T get(final long timeout, final TimeUnit unit) throws InterruptedException, ExecutionException,
        TimeoutException
    {
        final long nanos = unit.toNanos(timeout);
        final long spun = spin(Math.min(nanos, spinNanos));
        return super.get(Math.max(0, nanos - spun), TimeUnit.NANOSECONDS);
    }

    @Override
    public T join()
    {
        spin(spinNanos);
        return super.join();
    }

    /** @return nanoseconds spent */
    private long spin(final long nanos)
    {
        if (nanos <= 0 || isDone())
        {
            return 0;
        }
        final long start = System.nanoTime();
        long spent = 0;
        while (!isDone() && spent < nanos)
        {
            Thread.onSpinWait();
            spent = System.nanoTime() - start;
        }
        return spent;
    }
}
