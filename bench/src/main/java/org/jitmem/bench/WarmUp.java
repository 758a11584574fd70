package org.jitmem.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

/**
 * Runs a benchmark's measured path before the trial until the JIT has compiled it: at least a given number of
 * invocations, then on until no compilation has finished for {@link #QUIET_NANOS} of running the path, or
 * {@link #MAX_NANOS} in all. Without it the compiler threads were still busy in the measured iterations: a 16 MiB
 * cycle, a few dozen invocations a second, timed the interpreter, and the slab's rounds took twice as long as settled
 * ones while the compiler held the second processor, which the processor time per operation counted.
 */
final class WarmUp
{
    /** Invocations of a cycle: past C2's thresholds for the methods on the path. */
    static final int CYCLES = 20_000;

    /** How long the path must run with no compilation finishing. */
    static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /**
     * Bound for paths that are slow, or a compiler that never goes quiet: 20 s, or the seconds of the system property
     * {@code jitmem.bench.warmUpSeconds} (for paths that wait on a network far more than they compute).
     */
    static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("jitmem.bench.warmUpSeconds", 20));

    private static final CompilationMXBean COMPILER = ManagementFactory.getCompilationMXBean();

    private WarmUp()
    {
    }

    /**
     * @param path           one invocation of the measured path, setup and teardown included
     * @param minInvocations invocations before the compiler's quiet is looked for
     */
    static void run(final Runnable path, final int minInvocations)
    {
        final boolean watchCompiler = COMPILER != null && COMPILER.isCompilationTimeMonitoringSupported();
        final long start = System.nanoTime();
        long quietSince = start;
        long compileMillis = watchCompiler ? COMPILER.getTotalCompilationTime() : 0;
        int invocations = 0;
        while (true)
        {
            path.run();
            invocations++;
            final long now = System.nanoTime();
            if (now - start >= MAX_NANOS)
            {
                return;
            }
            if (watchCompiler)
            {
                final long compiled = COMPILER.getTotalCompilationTime();
                if (compiled != compileMillis)
                {
                    compileMillis = compiled;
                    quietSince = now;
                }
            }
            if (invocations >= minInvocations && (!watchCompiler || now - quietSince >= QUIET_NANOS))
            {
                return;
            }
        }
    }
}
