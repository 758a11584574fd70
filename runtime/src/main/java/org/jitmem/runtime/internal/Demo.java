package org.jitmem.runtime.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.jitmem.api.ActionCall;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;

/**
 * The demo: waits for a memory mapper, shows the backends, JITs a small native function, loads it through the
 * selected backend's slab memory manager, calls it in the executor and prints the result, the statistics and the
 * time each step took.
 */
final class Demo
{
    private static final long POLL_MILLIS = 100;
    private static final long PROGRESS_MILLIS = 1_000;

    private final PrintStream out;
    private final BackendSelector selector;

    /**
     * @param out      where the demo writes
     * @param selector the backend selector
     */
    Demo(final PrintStream out, final BackendSelector selector)
    {
        this.out = out;
        this.selector = selector;
    }

    /**
     * @param wait how long to wait for a memory mapper
     * @return true when the function ran and returned what was expected
     */
    boolean run(final Duration wait)
    {
        out.println("== jitmem demo ==");
        try
        {
            final Optional<SlabMemoryManager> selected = awaitBackend(wait);
            if (selected.isEmpty())
            {
                out.println("no memory mapper appeared within " + wait.toSeconds() + " s");
                out.print(Report.backends(selector));
                return false;
            }
            out.println("backends (* = selected):");
            out.print(Report.backends(selector));
            return jitAndCall(selected.get());
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

    private Optional<SlabMemoryManager> awaitBackend(final Duration wait) throws InterruptedException
    {
        final long start = System.nanoTime();
        long nextProgress = PROGRESS_MILLIS;
        Optional<SlabMemoryManager> selected = selector.selected();
        if (selected.isEmpty())
        {
            out.println("waiting for a memory mapper (up to " + wait.toSeconds() + " s)...");
        }
        while (selected.isEmpty())
        {
            final long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            if (elapsedMillis >= wait.toMillis())
            {
                return selected;
            }
            if (elapsedMillis >= nextProgress)
            {
                out.println("  still waiting: " + elapsedMillis / 1_000 + " s");
                nextProgress += PROGRESS_MILLIS;
            }
            Thread.sleep(POLL_MILLIS);
            selected = selector.selected();
        }
        return selected;
    }

    private boolean jitAndCall(final SlabMemoryManager manager)
    {
        final MemoryMapper mapper = manager.mapper();
        final DemoFunction function = DemoFunction.assemble();
        out.println();
        out.println("JIT: " + function.description() + " (" + function.code().length + " bytes of " +
            function.architecture() + " machine code)");

        final Stopwatch watch = new Stopwatch();
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
            SegmentRequest.of(function.code().length, MemoryProtection.READ_EXEC))));
        inFlight.workingMemory(0).put(function.code());
        step("allocate + write", watch, "code at " + inFlight.segmentAddress(0) + " in " + inFlight.range());

        final FinalizedAllocation loaded = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
        step("finalize", watch, "protection r-x applied, key " + loaded.key());

        final long result = MemoryMapper.await(mapper.call(ActionCall.of(loaded.segmentAddress(0),
            function.argument())));
        step("call", watch, function.callText() + " = " + result);

        out.println("statistics while loaded:");
        out.print(Report.statistics(manager.statistics()));

        MemoryMapper.await(loaded.deallocate());
        step("deallocate", watch, "range back in the free list");
        out.println("statistics after deallocate:");
        out.print(Report.statistics(manager.statistics()));

        final boolean correct = result == function.expected();
        out.println(correct ? "result is correct (expected " + function.expected() + ")" :
            "WRONG result: expected " + function.expected() + " got " + result);
        return correct;
    }

    private void step(final String name, final Stopwatch watch, final String detail)
    {
        out.println(String.format(Locale.ROOT, "  %-17s %9.1f us  %s", name, watch.lapMicros(), detail));
    }

    private static final class Stopwatch
    {
        private long last = System.nanoTime();

        double lapMicros()
        {
            final long now = System.nanoTime();
            final double micros = (now - last) / 1_000.0;
            last = now;
            return micros;
        }
    }
}
