package org.jitmem.backend.remote;

import java.time.Duration;
import java.util.Hashtable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.channel.SocketExecutorChannel;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/**
 * Keeps one executor connected on a thread of its own: connects, registers the channel and a new mapper over it,
 * and when the channel closes unregisters both, releases what the mapper held and connects again after a pause that
 * doubles with every failed attempt up to a bound. Each connection gets a new mapper; allocations of an old one stay
 * revoked. The thread owns the channel, the mapper and the registrations; {@link #close} stops it and waits, bounded,
 * for it to close them. No lock is held while connecting or waiting.
 */
final class ExecutorConnection implements AutoCloseable
{
    /** How long closing a mapper waits for the executor to release its memory. */
    static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

    private final Logger log;
    private final BundleContext context;
    private final String host;
    private final Supplier<SocketExecutorChannel> connect;
    private final Function<ExecutorChannel, RemoteMemoryMapper> mappers;
    private final int ranking;
    private final long firstDelayMillis;
    private final long maxDelayMillis;
    private final long closeWaitMillis;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final Object registering = new Object();
    private final Thread thread;

    /**
     * @param log          the component's logger
     * @param context      where the services are registered
     * @param host         where the executor is, as the services state it
     * @param connect      opens a new channel to the executor, bounded by its connect timeout, or throws
     * @param mappers      makes the mapper of a new channel
     * @param ranking      the mapper service's ranking
     * @param firstDelay   pause before the first reconnection attempt, doubled after each failed one
     * @param maxDelay     the bound on the pause
     * @param connectBound how long one connection attempt may take
     */
    ExecutorConnection(final Logger log, final BundleContext context, final String host, final Supplier<SocketExecutorChannel> connect,
        final Function<ExecutorChannel, RemoteMemoryMapper> mappers, final int ranking, final Duration firstDelay,
        final Duration maxDelay, final Duration connectBound)
    {
        this.log = log;
        this.context = context;
        this.host = host;
        this.connect = connect;
        this.mappers = mappers;
        this.ranking = ranking;
        this.firstDelayMillis = Math.max(1, firstDelay.toMillis());
        this.maxDelayMillis = Math.max(firstDelayMillis, maxDelay.toMillis());
        this.closeWaitMillis = connectBound.plus(RELEASE_TIMEOUT).toMillis();
        this.thread = new Thread(this::run, "jitmem remote executor host=" + host);
        thread.setDaemon(true);
    }

    /** Starts connecting; returns at once. */
    void start()
    {
        thread.start();
    }

    /** Stops reconnecting, unregisters the services, releases the mapper's memory and closes the channel. */
    @Override
    public void close()
    {
        synchronized (registering)
        {
            stopped.complete(null);
        }
        try
        {
            thread.join(closeWaitMillis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive())
        {
            log.warn("remote executor connection still ending, it closes what it " +
                "opened: host=" + host + " waitedMillis=" + closeWaitMillis);
        }
    }

    private void run()
    {
        long delayMillis = firstDelayMillis;
        while (!stopped.isDone())
        {
            final SocketExecutorChannel channel;
            try
            {
                channel = connect.get();
            }
            catch (final RuntimeException ex)
            {
                log.warn("cannot connect to remote executor: host=" + host +
                    " retryInMillis=" + delayMillis + " " + ex.getMessage());
                pause(delayMillis);
                delayMillis = Math.min(2 * delayMillis, maxDelayMillis);
                continue;
            }
            delayMillis = firstDelayMillis;
            serve(channel);
            pause(delayMillis);
        }
    }

    /** Registers the channel and a new mapper, waits until the channel closes or this stops, then undoes it all. */
    private void serve(final SocketExecutorChannel channel)
    {
        RemoteMemoryMapper mapper = null;
        ServiceRegistration<ExecutorChannel> channelRegistration = null;
        ServiceRegistration<MemoryMapper> mapperRegistration = null;
        try
        {
            mapper = mappers.apply(channel);
            synchronized (registering)
            {
                if (!stopped.isDone())
                {
                    channelRegistration = context.registerService(ExecutorChannel.class, channel,
                        channelProperties(channel.executor()));
                    mapperRegistration = context.registerService(MemoryMapper.class, mapper, mapperProperties(mapper));
                }
            }
            log.info("remote executor connected: host=" + host + " pid=" +
                channel.executor().pid());
            final Object reason = CompletableFuture.anyOf(channel.closed().toCompletableFuture(), stopped).join();
            log.info("remote executor connection ends: host=" + host + " pid=" +
                channel.executor().pid() + " reason=" + (stopped.isDone() ? "stopped" : reason));
        }
        catch (final RuntimeException ex)
        {
            log.error("remote executor not registered: host=" + host, ex);
        }
        finally
        {
            unregisterQuietly(mapperRegistration);
            unregisterQuietly(channelRegistration);
            closeQuietly(mapper);
            channel.close();
        }
    }

    private Hashtable<String, Object> channelProperties(final ExecutorInfo executor)
    {
        final Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(MapperProperties.TYPE, MapperProperties.TYPE_REMOTE);
        properties.put(MapperProperties.EXECUTOR_PID, executor.pid());
        properties.put(MapperProperties.HOST, host);
        return properties;
    }

    private Hashtable<String, Object> mapperProperties(final RemoteMemoryMapper mapper)
    {
        final Hashtable<String, Object> properties = new Hashtable<>(MapperProperties.of(mapper));
        properties.put(MapperProperties.HOST, host);
        properties.put(Constants.SERVICE_RANKING, ranking);
        return properties;
    }

    /** Waits for the delay, or less when this stops. */
    private void pause(final long delayMillis)
    {
        try
        {
            stopped.get(delayMillis, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException | ExecutionException ex)
        {
            // the delay has passed
        }
        catch (final InterruptedException ex)
        {
            stopped.complete(null);
        }
    }

    private void closeQuietly(final RemoteMemoryMapper mapper)
    {
        if (mapper == null)
        {
            return;
        }
        try
        {
            mapper.close(RELEASE_TIMEOUT);
        }
        catch (final RuntimeException ex)
        {
            log.warn("remote mapper released its memory with errors: host=" + host +
                " pid=" + mapper.executorPid() + " " + ex.getMessage());
        }
    }

    private void unregisterQuietly(final ServiceRegistration<?> registration)
    {
        if (registration == null)
        {
            return;
        }
        try
        {
            registration.unregister();
        }
        catch (final IllegalStateException alreadyGone)
        {
            log.debug("service was already unregistered");
        }
    }
}
