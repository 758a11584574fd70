package org.jitmem.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.backend.inprocess.InProcessMemoryMapper;
import org.jitmem.backend.posixshm.SharedMemoryMapper;
import org.jitmem.backend.remote.RemoteMemoryMapper;
import org.jitmem.executor.TestCertificates;
import org.jitmem.memory.MemoryLimits;

/**
 * A bare mapper under benchmark (reserve maps and release unmaps, as LLVM's mappers do), opened outside any OSGi
 * framework by its {@code jitmem.mapper.type} name, which is what the benchmarks' {@code backend} parameter holds.
 * Closing it releases whatever the backend needed besides the mapper, such as an executor process: {@code posix-shm}
 * starts one executor process per backend opened, from this JVM's class path. {@code remote} (the copying backend) starts
 * one listening on TCP at {@code 127.0.0.1:}{@value #REMOTE_PORT_PROPERTY} (default any port) and connects to it over
 * TLS 1.3, authenticated both ways with the certificates in the directory {@value #CERTIFICATES_PROPERTY} (made by
 * {@link TestCertificates}); {@code remote-delayed} does the same, but connects through the delaying proxy at
 * {@value #DELAY_PROXY_PROPERTY} ({@code host:port}), which forwards to that port. Their channel counts its calls.
 */
public final class BenchBackend implements AutoCloseable
{
    /** System property: the directory of the certificates of the remote backends. */
    public static final String CERTIFICATES_PROPERTY = "jitmem.bench.certificates";
    /** System property: the port the remote backends' executor listens on. */
    public static final String REMOTE_PORT_PROPERTY = "jitmem.bench.remotePort";
    /** System property: {@code host:port} of the delaying proxy in front of that port. */
    public static final String DELAY_PROXY_PROPERTY = "jitmem.bench.delayProxy";
    /** The backend {@code remote} reached through the delaying proxy. */
    public static final String TYPE_REMOTE_DELAYED = MapperProperties.TYPE_REMOTE + "-delayed";

    private static final Map<String, Supplier<BenchBackend>> OPENERS = openers();
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final MemoryMapper mapper;
    private final long executorPid;
    private final ExecutorChannel channel;
    private final CountingChannel counted;
    private final Runnable closer;

    private BenchBackend(final MemoryMapper mapper, final long executorPid, final ExecutorChannel channel,
        final CountingChannel counted, final Runnable closer)
    {
        this.mapper = mapper;
        this.executorPid = executorPid;
        this.channel = channel;
        this.counted = counted;
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

    /** @return the count of the calls made to the executor so far, or null when they are not counted */
    public LongSupplier callCounter()
    {
        return counted != null ? counted::callsAcquire : null;
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
            return new BenchBackend(mapper, 0, null, null, mapper::close);
        });
        openers.put(MapperProperties.TYPE_POSIX_SHM, () -> overExecutor(BenchExecutor.start(), false,
            channel -> new SharedMemoryMapper(channel, false), mapper -> mapper.close(CLOSE_TIMEOUT)));
        openers.put(MapperProperties.TYPE_REMOTE, () -> overExecutor(listening(null), true, BenchBackend::remote,
            mapper -> mapper.close(CLOSE_TIMEOUT)));
        openers.put(TYPE_REMOTE_DELAYED, () -> overExecutor(listening(required(DELAY_PROXY_PROPERTY)), true,
            BenchBackend::remote, mapper -> mapper.close(CLOSE_TIMEOUT)));
        return openers;
    }

    private static RemoteMemoryMapper remote(final ExecutorChannel channel)
    {
        return new RemoteMemoryMapper(channel, false, MemoryLimits.machineDefaults());
    }

    private static BenchExecutor listening(final String connectTo)
    {
        return BenchExecutor.listen(TestCertificates.in(Path.of(required(CERTIFICATES_PROPERTY))),
            Integer.getInteger(REMOTE_PORT_PROPERTY, 0), connectTo);
    }

    private static String required(final String property)
    {
        final String value = System.getProperty(property);
        if (value == null)
        {
            throw new IllegalArgumentException("system property missing: property=" + property);
        }
        return value;
    }

    /** A mapper over the executor's channel, counted when asked; closing closes the mapper, then the executor. */
    private static <M extends MemoryMapper> BenchBackend overExecutor(final BenchExecutor executor,
        final boolean count, final Function<ExecutorChannel, M> open, final Consumer<M> closeMapper)
    {
        try
        {
            final CountingChannel counted = count ? new CountingChannel(executor.channel()) : null;
            final M mapper = open.apply(counted != null ? counted : executor.channel());
            return new BenchBackend(mapper, executor.pid(), executor.channel(), counted, () ->
            {
                try
                {
                    closeMapper.accept(mapper);
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
    }
}
