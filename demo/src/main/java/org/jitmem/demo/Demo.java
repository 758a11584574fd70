package org.jitmem.demo;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.launcher.ExecutorStatus.Phase;
import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.launcher.ExecutorSupervisor;
import org.jitmem.machine.MachineCode;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.Reports;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.WorkingMemoryLease;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * The demo, for a person to read: launches the executor and shows its progress, lists the backends and the one
 * selected, JITs small native functions, loads them through the selected backend's slab memory manager and runs them
 * in the executor, then hot-swaps: stops the shared-memory backend's bundle, runs the code again in-process, starts
 * the bundle again and runs it in the executor once more. Ends with statistics and a table of timings.
 */
final class Demo
{
    /** The shared-memory backend's bundle, stopped and started again by the hot swap. */
    static final String SHARED_MEMORY_BUNDLE = "org.jitmem.backend.posixshm";

    private static final long POLL_MILLIS = 50;
    private static final long PROGRESS_MILLIS = 1_000;
    private static final String GREETING = "hello from JIT'd code";

    private final PrintStream out;
    private final BackendSelector selector;
    private final ExecutorSupervisor supervisor;
    private final BundleContext context;
    private final List<Run> runs = new ArrayList<>();

    /**
     * @param out        where the demo writes
     * @param selector   the backend selector
     * @param supervisor the executor supervisor
     * @param context    a bundle context, to stop and start the shared-memory backend
     */
    Demo(final PrintStream out, final BackendSelector selector, final ExecutorSupervisor supervisor,
        final BundleContext context)
    {
        this.out = out;
        this.selector = selector;
        this.supervisor = supervisor;
        this.context = context;
    }

    /**
     * @param wait bound on each wait: for the executor, for a backend, for a bundle to stop or start
     * @return true when every run returned what was expected and the hot swap went both ways
     */
    boolean run(final Duration wait)
    {
        out.println("== jitmem demo ==");
        out.println("controller: this JVM, pid " + ProcessHandle.current().pid() + ", " +
            System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java " +
            System.getProperty("java.version"));
        try
        {
            final boolean executorUp = launchExecutor(wait);
            final String expected = executorUp ? MapperProperties.TYPE_POSIX_SHM : "";
            heading("2. backends");
            final String pinned = selector.pinnedType();
            if (!pinned.isEmpty() && (executorUp || !pinned.equals(MapperProperties.TYPE_INPROCESS)))
            {
                out.print(Reports.backends(selector));
                out.println("FAILED: the selection is pinned to " + pinned + ", and the demo selects backends itself " +
                    "(it hot-swaps posix-shm and inprocess); 'jitmem:pin none' undoes the pin");
                return false;
            }
            final Optional<SlabMemoryManager> selected = awaitSelected(expected, wait);
            out.print(Reports.backends(selector));
            if (selected.isEmpty())
            {
                out.println("FAILED: " + (expected.isEmpty() ? "no memory mapper" : expected + " was not selected") +
                    " within " + wait.toSeconds() + " s");
                return false;
            }
            describeSelection(selected.get());

            heading("3. JIT'd code through the selected backend");
            boolean correct = jitAndCall(selected.get(), "cold: class loading and first page faults included");
            correct &= jitAndCall(selected.get(), "warm: the freed range is reused");

            final boolean swapped = !executorUp || hotSwap(wait);

            heading("5. statistics and timings");
            out.print(Reports.statistics(selector));
            printTimings();
            out.print(supervisor.status().describe());
            return correct && swapped && runs.stream().allMatch(Run::correct);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            out.println("demo interrupted");
            return false;
        }
        catch (final RuntimeException ex)
        {
            out.println("demo failed: " + ex);
            ex.printStackTrace(out);
            return false;
        }
        finally
        {
            out.flush();
        }
    }

    private boolean launchExecutor(final Duration wait) throws InterruptedException
    {
        heading("1. executor");
        ExecutorStatus status = supervisor.status();
        if (status.phase() == Phase.DISABLED)
        {
            out.println("the executor launcher is off: " + status.detail());
            out.println("the demo goes on with the backends present");
            return false;
        }
        out.println("the runtime launches the executor program as a child process (up to " + wait.toSeconds() +
            " s)");
        final Stopwatch watch = new Stopwatch();
        String shown = "";
        final long deadline = System.nanoTime() + wait.toNanos();
        while (status.phase() == Phase.STARTING && System.nanoTime() - deadline < 0)
        {
            if (!status.detail().equals(shown))
            {
                shown = status.detail();
                out.println(String.format(Locale.ROOT, "  %7.0f ms  %s", watch.elapsedMillis(), shown));
            }
            Thread.sleep(POLL_MILLIS);
            status = supervisor.status();
        }
        if (status.phase() != Phase.RUNNING)
        {
            out.println("FAILED: the executor is not running: " + status.phase() + ", " + status.detail() +
                (status.lastExit().isEmpty() ? "" : ", last exit: " + status.lastExit()));
            return false;
        }
        out.println(String.format(Locale.ROOT, "  %7.0f ms  executor running: pid %d, socket %s", watch.elapsedMillis(),
            status.pid(), status.socket()));
        return true;
    }

    private void describeSelection(final SlabMemoryManager manager)
    {
        final MemoryMapper mapper = manager.mapper();
        out.println("selected: " + mapper.type() + ", executor pid " + mapper.executorPid() +
            (mapper.crossProcess() ? " (another process: code and data reach it through shared memory)" :
                " (this process)") + ", page size " + mapper.pageSize() + " bytes");
    }

    private boolean hotSwap(final Duration wait) throws InterruptedException
    {
        heading("4. hot swap");
        final Optional<Bundle> found = bundle(SHARED_MEMORY_BUNDLE);
        if (found.isEmpty())
        {
            out.println("FAILED: bundle " + SHARED_MEMORY_BUNDLE + " is not installed");
            return false;
        }
        final Bundle bundle = found.get();
        out.println("stopping bundle " + bundle.getSymbolicName() + " " + bundle.getVersion() +
            " while the runtime runs...");
        final Stopwatch watch = new Stopwatch();
        change(bundle::stop, "stop");
        final Optional<SlabMemoryManager> inProcess = awaitSelected(MapperProperties.TYPE_INPROCESS, wait);
        if (inProcess.isEmpty())
        {
            out.println("FAILED: the in-process backend did not take over");
            out.print(Reports.backends(selector));
            return false;
        }
        out.println(String.format(Locale.ROOT, "  %7.1f ms  the in-process backend took over", watch.lapMillis()));
        out.print(Reports.backends(selector));
        describeSelection(inProcess.get());
        final boolean ranInProcess = jitAndCall(inProcess.get(), "after the hot swap: in-process");

        out.println();
        out.println("starting bundle " + bundle.getSymbolicName() + " again...");
        change(bundle::start, "start");
        final Optional<SlabMemoryManager> shared = awaitSelected(MapperProperties.TYPE_POSIX_SHM, wait);
        if (shared.isEmpty())
        {
            out.println("FAILED: posix-shm was not selected again");
            out.print(Reports.backends(selector));
            return false;
        }
        out.println(String.format(Locale.ROOT, "  %7.1f ms  posix-shm is selected again", watch.lapMillis()));
        out.print(Reports.backends(selector));
        describeSelection(shared.get());
        return jitAndCall(shared.get(), "after the swap back: in the executor again") && ranInProcess;
    }

    private boolean jitAndCall(final SlabMemoryManager manager, final String label)
    {
        final MemoryMapper mapper = manager.mapper();
        final byte[] lengthCode = MachineCode.returnArgumentLength();
        final byte[] storeCode = MachineCode.storeFromArgument();
        out.println();
        out.println("-- run " + (runs.size() + 1) + " on " + mapper.type() + " (" + label + ")");
        out.println("JIT (" + MachineCode.architecture() + "): " + lengthCode.length + " bytes of " +
            "\"return len\" and " + storeCode.length + " bytes of \"store arg[1] at arg[0]\"");

        final Stopwatch watch = new Stopwatch();
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
            SegmentRequest.of(lengthCode.length, MemoryProtection.READ_EXEC),
            SegmentRequest.of(storeCode.length, MemoryProtection.READ_EXEC),
            new SegmentRequest(Long.BYTES, Long.BYTES, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD,
                Long.BYTES))));
        try (WorkingMemoryLease memory = inFlight.lease())
        {
            memory.put(0, 0, lengthCode);
            memory.put(1, 0, storeCode);
            memory.putLong(2, 0, 0);
        }
        final double allocate = step("allocate + write", watch, "code at " + inFlight.segmentAddress(0) + " and " +
            inFlight.segmentAddress(1) + ", data at " + inFlight.segmentAddress(2) + ", range " + inFlight.range());

        final FinalizedAllocation loaded = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
        final double finalize = step("finalize", watch, "code r-x, data rw-, key " + loaded.key());

        final byte[] message = GREETING.getBytes(StandardCharsets.UTF_8);
        final long length = MemoryMapper.await(loaded.call(0, message));
        final double call = step("call", watch, "len(\"" + GREETING + "\") = " + length + ", run by pid " +
            mapper.executorPid() + (mapper.crossProcess() ? " (the executor)" : " (this JVM)"));

        final long value = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final long stored = MemoryMapper.await(loaded.call(1,
            MachineCode.storeArgument(loaded.segmentAddress(2).value(), value)));
        final long readBack;
        try (WorkingMemoryLease memory = inFlight.lease())
        {
            readBack = memory.getLong(2, 0);
        }
        step("call", watch, "store(" + loaded.segmentAddress(2) + ", " + Long.toHexString(value) + ") = " + stored +
            ", read back " + Long.toHexString(readBack) + " through working memory");

        out.println("statistics while loaded:");
        out.print(Reports.statistics(manager.statistics()));

        MemoryMapper.await(loaded.deallocate());
        final double deallocate = step("deallocate", watch, "range back in the free list");

        final boolean correct = length == message.length && stored == 0 && readBack == value;
        out.println(correct ? "results are correct" : "WRONG results: expected length " + message.length +
            ", store result 0 and value " + Long.toHexString(value));
        runs.add(new Run(mapper.type(), mapper.executorPid(), allocate, finalize, call, deallocate, correct));
        return correct;
    }

    private void printTimings()
    {
        out.println("timings (us):");
        out.println(String.format(Locale.ROOT, "  %-3s %-10s %-8s %10s %10s %10s %10s  %s", "run", "backend", "pid",
            "allocate", "finalize", "call", "deallocate", "result"));
        for (int i = 0; i < runs.size(); i++)
        {
            final Run run = runs.get(i);
            out.println(String.format(Locale.ROOT, "  %-3d %-10s %-8d %10.1f %10.1f %10.1f %10.1f  %s", i + 1,
                run.type, run.pid, run.allocate, run.finalization, run.call, run.deallocate,
                run.correct ? "correct" : "WRONG"));
        }
    }

    /**
     * Waits until the selected backend has the given type, printing progress each second.
     *
     * @param type a backend type, or empty for any
     * @param wait bound on the wait
     * @return the selected backend's manager, empty when the wait ran out
     */
    private Optional<SlabMemoryManager> awaitSelected(final String type, final Duration wait)
        throws InterruptedException
    {
        final Supplier<Optional<SlabMemoryManager>> matching = () -> selector.selected()
            .filter(manager -> type.isEmpty() || type.equals(manager.mapper().type()));
        final Stopwatch watch = new Stopwatch();
        long nextProgress = PROGRESS_MILLIS;
        Optional<SlabMemoryManager> selected = matching.get();
        while (selected.isEmpty() && watch.elapsedMillis() < wait.toMillis())
        {
            if (watch.elapsedMillis() >= nextProgress)
            {
                out.println("  waiting for " + (type.isEmpty() ? "a memory mapper" : type) + " to be selected: " +
                    nextProgress / 1_000 + " s");
                nextProgress += PROGRESS_MILLIS;
            }
            Thread.sleep(POLL_MILLIS);
            selected = matching.get();
        }
        return selected;
    }

    private Optional<Bundle> bundle(final String symbolicName)
    {
        for (final Bundle bundle : context.getBundles())
        {
            if (symbolicName.equals(bundle.getSymbolicName()))
            {
                return Optional.of(bundle);
            }
        }
        return Optional.empty();
    }

    private static void change(final BundleAction action, final String what)
    {
        try
        {
            action.run();
        }
        catch (final BundleException ex)
        {
            throw new IllegalStateException("cannot " + what + " the shared-memory backend: " + ex.getMessage(), ex);
        }
    }

    private void heading(final String title)
    {
        out.println();
        out.println("== " + title);
    }

    private double step(final String name, final Stopwatch watch, final String detail)
    {
        final double micros = watch.lapMicros();
        out.println(String.format(Locale.ROOT, "  %-17s %9.1f us  %s", name, micros, detail));
        return micros;
    }

    @FunctionalInterface
    private interface BundleAction
    {
        void run() throws BundleException;
    }

    private record Run(String type, long pid, double allocate, double finalization, double call,
        double deallocate, boolean correct)
    {
    }

    private static final class Stopwatch
    {
        private final long start = System.nanoTime();
        private long last = start;

        double lapMicros()
        {
            final long now = System.nanoTime();
            final double micros = (now - last) / 1_000.0;
            last = now;
            return micros;
        }

        double lapMillis()
        {
            return lapMicros() / 1_000.0;
        }

        double elapsedMillis()
        {
            return (System.nanoTime() - start) / 1_000_000.0;
        }
    }
}
