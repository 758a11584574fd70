package org.jitmem.bench;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.backend.inprocess.InProcessMemoryMapper;
import org.jitmem.backend.posixshm.SharedMemoryMapper;
import org.jitmem.posix.RetainingMemoryMapper;

/**
 * A backend under benchmark, opened outside any OSGi framework by its {@code jitmem.mapper.type} name, which is
 * what the benchmarks' {@code backend} parameter holds. Closing it releases whatever the backend needed besides the
 * mapper, such as an executor process: {@code posix-shm} starts one executor process per backend opened, from this
 * JVM's class path. Like the backends' components, it wraps the mapper in a {@link RetainingMemoryMapper} when
 * {@code retainedBytes} is positive, and closes that before the mapper.
 */
public final class BenchBackend implements AutoCloseable
{
    private static final Map<String, LongFunction<BenchBackend>> OPENERS = openers();
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final MemoryMapper mapper;
    private final Runnable closer;

    private BenchBackend(final MemoryMapper mapper, final Runnable closer)
    {
        this.mapper = mapper;
        this.closer = closer;
    }

    /**
     * Opens a backend with the components' default retention, {@link RetainingMemoryMapper#DEFAULT_RETAINED_BYTES}.
     *
     * @param type a {@code jitmem.mapper.type} value
     * @return the opened backend
     * @throws IllegalArgumentException when no such backend can be benchmarked
     */
    public static BenchBackend open(final String type)
    {
        return open(type, RetainingMemoryMapper.DEFAULT_RETAINED_BYTES);
    }

    /**
     * @param type          a {@code jitmem.mapper.type} value
     * @param retainedBytes bytes of released reservations retained for reuse; 0 for the bare mapper
     * @return the opened backend
     * @throws IllegalArgumentException when no such backend can be benchmarked, or retainedBytes is negative
     */
    public static BenchBackend open(final String type, final long retainedBytes)
    {
        final LongFunction<BenchBackend> opener = OPENERS.get(type);
        if (opener == null)
        {
            throw new IllegalArgumentException("unknown backend: type=" + type + " known=" + OPENERS.keySet());
        }
        return opener.apply(RetainingMemoryMapper.checkRetainedBytes(retainedBytes));
    }

    /** @return the mapper */
    public MemoryMapper mapper()
    {
        return mapper;
    }

    @Override
    public void close()
    {
        closer.run();
    }

    private static Map<String, LongFunction<BenchBackend>> openers()
    {
        final Map<String, LongFunction<BenchBackend>> openers = new TreeMap<>();
        openers.put(MapperProperties.TYPE_INPROCESS, retainedBytes ->
        {
            final InProcessMemoryMapper mapper = new InProcessMemoryMapper(false);
            return retaining(mapper, retainedBytes, mapper::close);
        });
        openers.put(MapperProperties.TYPE_POSIX_SHM, retainedBytes ->
        {
            final BenchExecutor executor = BenchExecutor.start();
            try
            {
                final SharedMemoryMapper mapper = new SharedMemoryMapper(executor.channel(), false);
                return retaining(mapper, retainedBytes, () ->
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

    private static BenchBackend retaining(final MemoryMapper mapper, final long retainedBytes, final Runnable closer)
    {
        if (retainedBytes == 0)
        {
            return new BenchBackend(mapper, closer);
        }
        final RetainingMemoryMapper retaining = new RetainingMemoryMapper(mapper, retainedBytes);
        return new BenchBackend(retaining, () ->
        {
            try
            {
                retaining.close(CLOSE_TIMEOUT);
            }
            finally
            {
                closer.run();
            }
        });
    }
}
