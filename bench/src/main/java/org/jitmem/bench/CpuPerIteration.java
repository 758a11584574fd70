package org.jitmem.bench;

import java.util.function.LongSupplier;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Base of the sampled benchmarks whose every iteration is one {@link CpuPerOperation} window, over the operations the
 * benchmark {@linkplain #counted() counts}. Not final: benchmarks extend it, and JMH their classes.
 */
public abstract class CpuPerIteration
{
    private long operations;

    /** @return the executor process, or 0 when the executor is this process */
    protected abstract long executorPid();

    /** @return the count of the calls made to the executor so far, or null when they are not counted */
    protected LongSupplier callCounter()
    {
        return null;
    }

    /** Starts the iteration's window. */
    @Setup(Level.Iteration)
    public void beginIteration()
    {
        operations = 0;
        CpuPerOperation.begin(executorPid(), callCounter());
    }

    /** Ends the iteration's window. */
    @TearDown(Level.Iteration)
    public void endIteration()
    {
        CpuPerOperation.end(operations);
    }

    /** Counts one operation done. */
    protected final void counted()
    {
        operations++;
    }
}
