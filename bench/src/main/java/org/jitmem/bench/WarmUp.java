package org.jitmem.bench;

import java.util.concurrent.TimeUnit;

/**
 * Runs a benchmark's measured path on one-page content before the trial, so that the JIT has compiled the mapper's
 * code before the first sample. Without it a 16 MiB configuration, a few dozen invocations per second, is still
 * timing the interpreter after its warm-up iterations, and that, not the mapper, grew with the content size.
 */
final class WarmUp
{
    /** Invocations: past C2's thresholds for the methods on the path. */
    static final int CYCLES = 20_000;

    /** Bound for backends whose every operation is a round trip to another process. */
    static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(5);

    private WarmUp()
    {
    }

    /**
     * @param path one invocation of the measured path on one-page content, setup and teardown included
     */
    static void run(final Runnable path)
    {
        final long start = System.nanoTime();
        int cycles = 0;
        while (cycles < CYCLES && System.nanoTime() - start < MAX_NANOS)
        {
            path.run();
            cycles++;
        }
    }
}
