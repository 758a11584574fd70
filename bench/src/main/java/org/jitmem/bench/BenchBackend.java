package org.jitmem.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.backend.inprocess.InProcessMemoryMapper;
import org.jitmem.backend.posixshm.SharedMemoryMapper;

/**
 * A bare mapper under benchmark (reserve maps and release unmaps, as LLVM's mappers do), opened outside any OSGi
 * framework by its {@code jitmem.mapper.type} name, which is what the benchmarks' {@code backend} parameter holds.
 * Closing it releases whatever the backend needed besides the mapper, such as an executor process: {@code posix-shm}
 * starts one executor process per backend opened, from this JVM's class path.
 */
public final class BenchBackend implements AutoCloseable
{
    private static final Map<String, Supplier<BenchBackend>> OPENERS = openers();
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final MemoryMapper mapper;
    private final long executorPid;
    private final ExecutorChannel channel;
    private final Runnable closer;

    private BenchBackend(final MemoryMapper mapper, final long executorPid, final ExecutorChannel channel,
        final Runnable closer)
    {
        this.mapper = mapper;
        this.executorPid = executorPid;
        this.channel = channel;
        this.closer = closer;
    }

    /**
     * @param type a {@code jitmem.mapper.type} value
     * @return the opened backend
     * @throws IllegalArgumentException when no such backend can be benchmarked
     */
    public static BenchBackend open(final String type)
    {
        final Supplier<BenchBackend> opener = OPENERS.get(type);
        if (opener == null)
        {
            throw new IllegalArgumentException("unknown backend: type=" + type + " known=" + OPENERS.keySet());
        }
        return opener.get();
    }

    /** @return the mapper */
    public MemoryMapper mapper()
    {
        return mapper;
    }

    /** @return the executor process, or 0 when the executor is this process */
    public long executorPid()
    {
        return executorPid;
    }

    /** @return the channel to the executor process, empty when the executor is this process */
    public Optional<ExecutorChannel> channel()
    {
        return Optional.ofNullable(channel);
    }

    @Override
    public void close()
    {
        closer.run();
    }

    private static Map<String, Supplier<BenchBackend>> openers()
    {
        final Map<String, Supplier<BenchBackend>> openers = new TreeMap<>();
        openers.put(MapperProperties.TYPE_INPROCESS, () ->
        {
            final InProcessMemoryMapper mapper = new InProcessMemoryMapper(false);
            return new BenchBackend(mapper, 0, null, mapper::close);
        });
        openers.put(MapperProperties.TYPE_POSIX_SHM, () ->
        {
            final BenchExecutor executor = BenchExecutor.start();
            try
            {
                final SharedMemoryMapper mapper = new SharedMemoryMapper(executor.channel(), false);
                return new BenchBackend(mapper, executor.pid(), executor.channel(), () ->
                {
                    try
                    {
                        mapper.close(CLOSE_TIMEOUT);
                    }
                    finally
                    {
                        executor.close();
                    }
                });
            }
            catch (final RuntimeException ex)
            {
                executor.close();
                throw ex;
            }
        });
        return openers;
    }
}
