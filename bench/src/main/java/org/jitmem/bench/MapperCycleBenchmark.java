package org.jitmem.bench;

import static org.jitmem.api.MemoryMapper.await;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One full cycle of the bare mapper with a single segment, read-write (data) or read-execute (code): reserve, prepare
 * and copy the content in, initialize, deinitialize, release; reserve maps and release unmaps every cycle, as in the
 * LLVM anchor's cycle. The trial setup {@linkplain WarmUp warms} the cycle up on one-page content first. Sampled, so
 * that medians compare with the anchor's medians; each iteration is one {@link CpuPerOperation} window. Not final:
 * JMH subclasses state classes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MapperCycleBenchmark extends CpuPerIteration
{
    private static final byte CONTENT_FILL = (byte)0xA5;

    /** The backend, by its {@code jitmem.mapper.type} name; see {@link BenchBackend}. */
    @Param({"inprocess", "posix-shm"})
    public String backend;

    /** Content size, as the LLVM anchor labels it. */
    @Param({"4KiB", "64KiB", "1MiB", "16MiB"})
    public String size;

    /** The segment's protection: {@code RW} or {@code RX}; see {@link SegmentProtection}. */
    @Param({"RW", "RX"})
    public String protection;

    private BenchBackend opened;
    private MemoryMapper mapper;
    private byte[] content;
    private Segment segment;

    /** Opens the backend, warms the cycle up and fills the content once. */
    @Setup(Level.Trial)
    public void open()
    {
        final int bytes = ContentSize.parse(size);
        final MemoryProtection prot = SegmentProtection.parse(protection);
        opened = BenchBackend.open(backend);
        mapper = opened.mapper();
        final int page = (int)mapper.pageSize();
        content = new byte[page];
        segment = Segment.of(0, page, prot);
        WarmUp.run(this::cycle, WarmUp.CYCLES);
        content = new byte[bytes];
        Arrays.fill(content, CONTENT_FILL);
        segment = Segment.of(0, bytes, prot);
    }

    @Override
    protected long executorPid()
    {
        return opened.executorPid();
    }

    @Override
    protected LongSupplier callCounter()
    {
        return opened.callCounter();
    }

    /** Closes the backend. */
    @TearDown(Level.Trial)
    public void close()
    {
        opened.close();
    }

    /**
     * @return the allocation key, so that nothing is optimized away
     */
    @Benchmark
    public ExecutorAddress cycle()
    {
        final ExecutorAddress base = await(mapper.reserve(content.length)).start();
        mapper.prepare(base, content.length).put(content);
        final ExecutorAddress key = await(mapper.initialize(AllocInfo.of(base, segment)));
        await(mapper.deinitialize(List.of(key)));
        await(mapper.release(List.of(base)));
        counted();
        return key;
    }
}
