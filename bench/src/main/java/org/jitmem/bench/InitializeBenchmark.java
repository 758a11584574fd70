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
 * Initialize then deinitialize of one read-write segment whose content has been written, untimed, before: the part
 * of the mapper cycle that should not grow with the content size (the shared-memory backend sends protections, never
 * content). Compares with the sum of the LLVM anchor's {@code initialize_us} and {@code deinitialize_us}. Sampled;
 * not final: JMH subclasses state classes.
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
        opened = BenchBackend.open(backend);
        mapper = opened.mapper();
        final int page = (int)mapper.pageSize();
        content = new byte[page];
        segment = Segment.of(0, page, MemoryProtection.READ_WRITE);
        WarmUp.run(() ->
        {
            reserveAndWrite();
            initializeAndDeinitialize();
            release();
        });
        content = new byte[bytes];
        Arrays.fill(content, (byte)0x3C);
        segment = Segment.of(0, bytes, MemoryProtection.READ_WRITE);
    }

    /** Closes the backend. */
    @TearDown(Level.Trial)
    public void close()
    {
        opened.close();
    }

    /** Reserves and writes the content, untimed. */
    @Setup(Level.Invocation)
    public void reserveAndWrite()
    {
        base = await(mapper.reserve(content.length)).start();
        mapper.prepare(base, content.length).put(content);
    }

    /** Releases the reservation, untimed. */
    @TearDown(Level.Invocation)
    public void release()
    {
        await(mapper.release(List.of(base)));
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
