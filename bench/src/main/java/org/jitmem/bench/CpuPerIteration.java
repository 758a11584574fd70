package org.jitmem.bench;

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

    /** Starts the iteration's window. */
    @Setup(Level.Iteration)
    public void beginIteration()
    {
        operations = 0;
        CpuPerOperation.begin(executorPid());
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
