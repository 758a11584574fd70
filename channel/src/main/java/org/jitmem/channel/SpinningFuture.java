package org.jitmem.channel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A future for a reply that usually arrives within microseconds: a thread that waits for it first spins briefly,
 * so that a quick reply costs the waiter no sleep and wake-up, and only then parks as usual. Dependents are of the
 * same kind, so that waiting on a stage derived from a reply spins as well.
 *
 * @param <T> the result type
 */
final class SpinningFuture<T> extends CompletableFuture<T>
{
    /** About one round trip of an empty call: longer waits are not worth a core. */
    static final long SPIN_NANOS = 50_000;

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture()
    {
        return new SpinningFuture<>();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException
    {
        spin(SPIN_NANOS);
        return super.get();
    }

    @Override
    public T get(final long timeout, final TimeUnit unit) throws InterruptedException, ExecutionException,
        TimeoutException
    {
        final long nanos = unit.toNanos(timeout);
        final long spun = spin(Math.min(nanos, SPIN_NANOS));
        return super.get(Math.max(0, nanos - spun), TimeUnit.NANOSECONDS);
    }

    @Override
    public T join()
    {
        spin(SPIN_NANOS);
        return super.join();
    }

    /** @return nanoseconds spent */
    private long spin(final long nanos)
    {
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
