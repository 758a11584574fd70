package org.jitmem.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.LongSupplier;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Processor time per operation of the controller (this JVM) and the executor process together, in µs/op, reported by
 * JMH as {@code cpu}, {@code cpu.controller} and {@code cpu.executor} when run with {@code -prof
 * org.jitmem.bench.CpuPerOperation}. The benchmark marks the window it times with {@link #begin} and {@link #end}, one
 * window an iteration (the profiler reports the last one and forgets it); without an executor process the executor's
 * share is 0 and the controller's holds everything. When the benchmark counts its calls to the executor, it also
 * reports {@code calls}: executor calls (round trips) per operation.
 */
public final class CpuPerOperation implements InternalProfiler
{
    private static final String UNIT = "us/op";
    private static final double NANOS_PER_MICRO = 1_000.0;
    private static final Object LOCK = new Object();

    private static long executorPid;
    private static long controllerStart;
    private static long executorStart;
    private static long controllerNanos;
    private static long executorNanos;
    private static long operations;
    private static LongSupplier callCounter;
    private static long callsStart;
    private static long calls;

    /** For JMH, which instantiates profilers by name. */
    public CpuPerOperation()
    {
    }

    /**
     * Starts a window, forgetting any earlier one.
     *
     * @param pid the executor process, or 0 when the executor is this process
     */
    static void begin(final long pid)
    {
        begin(pid, null);
    }

    /**
     * Starts a window, forgetting any earlier one.
     *
     * @param pid     the executor process, or 0 when the executor is this process
     * @param counter the count of executor calls made so far, or null when they are not counted
     */
    static void begin(final long pid, final LongSupplier counter)
    {
        synchronized (LOCK)
        {
            executorPid = pid;
            callCounter = counter;
            callsStart = counter != null ? counter.getAsLong() : 0;
            operations = 0;
            executorStart = pid != 0 ? ProcessCpu.processNanos(pid) : 0;
            controllerStart = ProcessCpu.thisProcessNanos();
        }
    }

    /**
     * Ends the window.
     *
     * @param count operations done in it
     */
    static void end(final long count)
    {
        synchronized (LOCK)
        {
            controllerNanos = ProcessCpu.thisProcessNanos() - controllerStart;
            executorNanos = executorPid != 0 ? ProcessCpu.processNanos(executorPid) - executorStart : 0;
            calls = callCounter != null ? callCounter.getAsLong() - callsStart : -1;
            operations = count;
        }
    }

    @Override
    public String getDescription()
    {
        return "processor time per operation, controller and executor process together";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams)
    {
    }

    @Override
    public Collection<ScalarResult> afterIteration(
        final BenchmarkParams benchmarkParams, final IterationParams iterationParams, final IterationResult result)
    {
        synchronized (LOCK)
        {
            if (operations == 0)
            {
                return List.of();
            }
            final double controller = controllerNanos / NANOS_PER_MICRO / operations;
            final double executor = executorNanos / NANOS_PER_MICRO / operations;
            final List<ScalarResult> results = new ArrayList<>(List.of(
                new ScalarResult("cpu", controller + executor, UNIT, AggregationPolicy.AVG),
                new ScalarResult("cpu.controller", controller, UNIT, AggregationPolicy.AVG),
                new ScalarResult("cpu.executor", executor, UNIT, AggregationPolicy.AVG)));
            if (calls >= 0)
            {
                results.add(new ScalarResult("calls", (double)calls / operations, "calls/op", AggregationPolicy.AVG));
            }
            operations = 0;
            return results;
        }
    }
}
