package org.jitmem.machine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;

/**
 * Full cycles on a bare {@link MemoryMapper} from many threads at once: reserve two pages, write a function that
 * returns a value of its own and a data word, initialize them read-execute and read-write with a zero-filled tail, call
 * the function in the executor, check what it returned and what the data page holds, deinitialize, release.
 */
public final class MapperCycles
{
    private MapperCycles()
    {
    }

    /**
     * @param mapper         the mapper
     * @param threads        threads running cycles at once
     * @param cycles         cycles per thread
     * @param timeoutSeconds bound on the whole run
     * @return every reservation the cycles made, each already released
     * @throws Exception the first failure of any thread, or a timeout
     */
    public static List<ExecutorAddressRange> run(final MemoryMapper mapper, final int threads, final int cycles,
        final long timeoutSeconds) throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final List<Future<List<ExecutorAddressRange>>> runs = new ArrayList<>(threads);
            for (int t = 0; t < threads; t++)
            {
                final long thread = t;
                runs.add(pool.submit(() -> cycles(mapper, thread, cycles, timeoutSeconds)));
            }
            final List<ExecutorAddressRange> ranges = new ArrayList<>(threads * cycles);
            for (final Future<List<ExecutorAddressRange>> run : runs)
            {
                ranges.addAll(run.get(timeoutSeconds, TimeUnit.SECONDS));
            }
            return ranges;
        }
        finally
        {
            pool.shutdownNow();
            pool.awaitTermination(timeoutSeconds, TimeUnit.SECONDS);
        }
    }

    private static List<ExecutorAddressRange> cycles(final MemoryMapper mapper, final long thread, final int cycles,
        final long timeoutSeconds) throws Exception
    {
        final long page = mapper.pageSize();
        final List<ExecutorAddressRange> ranges = new ArrayList<>(cycles);
        for (int c = 0; c < cycles; c++)
        {
            final long expected = (thread << 32) | c;
            final ExecutorAddressRange range = await(mapper.reserve(2 * page), timeoutSeconds);
            ranges.add(range);
            final ExecutorAddress base = range.start();
            final byte[] code = MachineCode.returnConstant(expected);
            mapper.prepare(base, code.length).put(code);
            mapper.prepare(base.add(page), 8).putLong(0, ~expected);
            final ExecutorAddress key = await(mapper.initialize(new AllocInfo(base, List.of(
                Segment.of(0, code.length, MemoryProtection.READ_EXEC),
                new Segment(page, 8, 8, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD)), List.of())),
                timeoutSeconds);
            final long returned = await(mapper.call(ActionCall.of(key)), timeoutSeconds);
            final long data = mapper.prepare(base.add(page), 16).getLong(0);
            if (returned != expected || data != ~expected)
            {
                throw new IllegalStateException("cycle saw another cycle's memory: thread=" + thread + " cycle=" + c +
                    " returned=" + returned + " data=" + data + " expected=" + expected + " range=" + range);
            }
            await(mapper.deinitialize(List.of(key)), timeoutSeconds);
            await(mapper.release(List.of(base)), timeoutSeconds);
        }
        return ranges;
    }

    private static <T> T await(final CompletionStage<T> stage, final long timeoutSeconds) throws Exception
    {
        try
        {
            return stage.toCompletableFuture().get(timeoutSeconds, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof Exception cause ? cause : ex;
        }
        catch (final TimeoutException ex)
        {
            throw new TimeoutException("a mapper operation did not end in " + timeoutSeconds + " s");
        }
    }
}
