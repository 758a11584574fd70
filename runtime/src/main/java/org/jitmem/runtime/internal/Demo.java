package org.jitmem.runtime.internal;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import org.jitmem.api.ActionCall;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.posix.MachineCode;
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
    private static final String GREETING = "hello from JIT'd code";

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
            final boolean cold = jitAndCall(selected.get(), "run 1 (cold: includes class loading and first faults)");
            final boolean warm = jitAndCall(selected.get(), "run 2 (warm: the freed range is reused)");
            return cold && warm;
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

    private boolean jitAndCall(final SlabMemoryManager manager, final String label)
    {
        final MemoryMapper mapper = manager.mapper();
        final byte[] lengthCode = MachineCode.returnArgumentLength();
        final byte[] storeCode = MachineCode.storeFromArgument();
        out.println();
        out.println("-- " + label);
        out.println("JIT (" + MachineCode.architecture() + "): " + lengthCode.length + " bytes of " +
            "\"return len\" and " + storeCode.length + " bytes of \"store arg[1] at arg[0]\"");

        final Stopwatch watch = new Stopwatch();
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
            SegmentRequest.of(lengthCode.length, MemoryProtection.READ_EXEC),
            SegmentRequest.of(storeCode.length, MemoryProtection.READ_EXEC),
            new SegmentRequest(Long.BYTES, Long.BYTES, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD,
                Long.BYTES))));
        inFlight.workingMemory(0).put(lengthCode);
        inFlight.workingMemory(1).put(storeCode);
        inFlight.workingMemory(2).putLong(0, 0);
        step("allocate + write", watch, "code at " + inFlight.segmentAddress(0) + " and " +
            inFlight.segmentAddress(1) + ", data at " + inFlight.segmentAddress(2) + ", range " + inFlight.range());

        final FinalizedAllocation loaded = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
        step("finalize", watch, "code r-x, data rw-, key " + loaded.key());

        final byte[] message = GREETING.getBytes(StandardCharsets.UTF_8);
        final long length = MemoryMapper.await(mapper.call(ActionCall.of(loaded.segmentAddress(0), message)));
        step("call", watch, "len(\"" + GREETING + "\") = " + length);

        final long value = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final long stored = MemoryMapper.await(mapper.call(ActionCall.of(loaded.segmentAddress(1),
            MachineCode.storeArgument(loaded.segmentAddress(2).value(), value))));
        final long readBack = inFlight.workingMemory(2).getLong(0);
        step("call", watch, "store(" + loaded.segmentAddress(2) + ", " + Long.toHexString(value) + ") = " + stored +
            ", read back " + Long.toHexString(readBack) + " through working memory");

        out.println("statistics while loaded:");
        out.print(Report.statistics(manager.statistics()));

        MemoryMapper.await(loaded.deallocate());
        step("deallocate", watch, "range back in the free list");
        out.println("statistics after deallocate:");
        out.print(Report.statistics(manager.statistics()));

        final boolean correct = length == message.length && stored == 0 && readBack == value;
        out.println(correct ? "results are correct" : "WRONG results: expected length " + message.length +
            ", store result 0 and value " + Long.toHexString(value));
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
