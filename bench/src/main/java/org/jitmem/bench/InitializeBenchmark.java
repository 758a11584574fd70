package org.jitmem.bench;

import static org.jitmem.api.MemoryMapper.await;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
 * Initialize then deinitialize of one segment, read-write or read-execute, whose content has been written, untimed, before: the part
 * of the mapper cycle that should not grow with the content size (the shared-memory backend sends protections, never
 * content). {@code written=rewritten} writes the content into a fresh reservation before every invocation, as the
 * LLVM anchor's cycle does, and compares with the sum of its {@code initialize_us} and {@code deinitialize_us}; the
 * time then also holds what the write left behind (caches and TLB refilled with the content, and an executor that went
 * to sleep while a large content was written). {@code written=kept} writes it once per trial and times initialize and
 * deinitialize of the same written reservation over and over: their own cost. Sampled; not final: JMH subclasses
 * state classes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class InitializeBenchmark
{
    /** The backend, by its {@code jitmem.mapper.type} name; see {@link BenchBackend}. */
    @Param({"inprocess", "posix-shm"})
    public String backend;

    /** Content size, as the LLVM anchor labels it. */
    @Param({"4KiB", "64KiB", "1MiB", "16MiB"})
    public String size;

    /** The segment's protection: {@code RW} or {@code RX}; see {@link SegmentProtection}. */
    @Param({"RW", "RX"})
    public String protection;

    /** {@code rewritten}: written into a fresh reservation before each invocation; {@code kept}: written once. */
    @Param({"rewritten", "kept"})
    public String written;

    private BenchBackend opened;
    private MemoryMapper mapper;
    private byte[] content;
    private Segment segment;
    private ExecutorAddress base;

    /** Opens the backend, warms the measured path up and fills the content once. */
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
        WarmUp.run(() ->
        {
            reserveAndWriteContent();
            initializeAndDeinitialize();
            releaseReservation();
        }, WarmUp.CYCLES);
        content = new byte[bytes];
        Arrays.fill(content, (byte)0x3C);
        segment = Segment.of(0, bytes, prot);
    }

    /** Releases what is still reserved and closes the backend. */
    @TearDown(Level.Trial)
    public void close()
    {
        if (base != null)
        {
            releaseReservation();
        }
        opened.close();
    }

    /** Reserves and writes the content, untimed: before each invocation, or once when it is kept. */
    @Setup(Level.Invocation)
    public void reserveAndWrite()
    {
        if (base == null || !"kept".equals(written))
        {
            reserveAndWriteContent();
        }
    }

    /** Releases the reservation, untimed, unless it is kept. */
    @TearDown(Level.Invocation)
    public void release()
    {
        if (!"kept".equals(written))
        {
            releaseReservation();
        }
    }

    private void reserveAndWriteContent()
    {
        base = await(mapper.reserve(content.length)).start();
        mapper.prepare(base, content.length).put(content);
    }

    private void releaseReservation()
    {
        await(mapper.release(List.of(base)));
        base = null;
    }

    /**
     * @return the allocation key, so that nothing is optimized away
     */
    @Benchmark
    public ExecutorAddress initializeAndDeinitialize()
    {
        final ExecutorAddress key = await(mapper.initialize(AllocInfo.of(base, segment)));
        await(mapper.deinitialize(List.of(key)));
        return key;
    }
}
