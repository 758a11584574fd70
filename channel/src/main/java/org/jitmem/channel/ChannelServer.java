package org.jitmem.channel;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/**
 * The executor's end of the channel: listens on a Unix domain socket in a private (0700) directory, accepts
 * connections from processes of the same user only (checked with {@code SO_PEERCRED}), says HELLO, and runs each
 * CALL on the thread that read it, so that a short call costs no hand-off between threads. A watchdog hands the
 * reading of a connection over to a small shared pool of workers when a call has run longer than
 * {@value #HAND_OVER_AFTER_MILLIS} ms, so that a long call holds up no other; the watchdog ticks only while calls run
 * and sleeps when the connections are quiet. Each connection gets its own set of {@link ExecutorFunctionProvider}s,
 * closed once the connection has ended and its calls have finished. The first connection accepted is the primary
 * one, the controller's; {@link #primaryLost()} tells as soon as it has ended, {@link #primaryClosed()} once its
 * calls have finished too. Closing the server ends every connection and removes the socket file, and the directory
 * when the server created it.
 * <p>
 * A server started with {@link #listen} accepts TCP connections instead, each opened with a TLS 1.3 handshake that
 * requires the controller's certificate (bounded in time, on the connection's own thread, before any executor
 * function exists for it). It has no primary connection: controllers come and go, at most
 * {@link TcpListenOptions#maxConnections()} at once, each with its own providers, closed once the connection has
 * ended and the release grace period has passed. Both ends send heartbeats; a controller silent for the heartbeat
 * timeout is disconnected. Such connections have no lane.
 */
public final class ChannelServer implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(ChannelServer.class.getName());
    private static final long ACCEPT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** How long a call runs inline before the reading of its connection is handed over. */
    static final long HAND_OVER_AFTER_MILLIS = 1;
    private static final long WATCHDOG_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(HAND_OVER_AFTER_MILLIS);

    private final Listener listener;
    private final TcpListenOptions tcp;
    private final ScheduledExecutorService timers;
    private final ExecutorService heartbeatWriters;
    private final ExecutorInfo executor;
    private final int maxFrameSize;
    private final Function<ExecutorInfo, ? extends List<? extends ExecutorFunctionProvider>> providers;
    private final ExecutorService workers;
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Thread> ownThreads = ConcurrentHashMap.newKeySet();
    private final Set<Runnable> pendingReleases = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean primaryAccepted = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> primaryLost = new CompletableFuture<>();
    private final CompletableFuture<Void> primaryClosed = new CompletableFuture<>();
    private final CountDownLatch closeFinished = new CountDownLatch(1);
    private final Thread acceptor;
    private final Thread watchdog;
    private volatile boolean watchdogIdle;

    private ChannelServer(final Listener listener, final TcpListenOptions tcp, final ScheduledExecutorService timers,
        final long pageSize, final Function<ExecutorInfo, ? extends List<? extends ExecutorFunctionProvider>> providers,
        final int maxFrameSize, final int workerThreads)
    {
        this.listener = listener;
        this.tcp = tcp;
        this.timers = timers;
        this.heartbeatWriters = tcp == null ? null : new ThreadPoolExecutor(0, tcp.maxConnections(), 1,
            TimeUnit.SECONDS, new SynchronousQueue<>(), task ->
            {
                final Thread writer = new Thread(task, "jitmem-executor-heartbeat");
                writer.setDaemon(true);
                return writer;
            });
        primaryAccepted.set(tcp != null);
        this.executor = new ExecutorInfo(Protocol.VERSION, ProcessHandle.current().pid(), pageSize,
            System.getProperty("os.arch"), System.getProperty("os.name"));
        this.maxFrameSize = maxFrameSize;
        this.providers = providers;
        final AtomicInteger workerCount = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(workerThreads, workerThreads, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), task ->
            {
                final Thread worker = new Thread(task, "jitmem-executor-worker-" + workerCount.incrementAndGet());
                worker.setDaemon(true);
                ownThreads.add(worker);
                return worker;
            });
        this.acceptor = new Thread(this::accept, "jitmem-executor-acceptor");
        acceptor.setDaemon(true);
        ownThreads.add(acceptor);
        this.watchdog = new Thread(this::watch, "jitmem-executor-watchdog");
        watchdog.setDaemon(true);
        ownThreads.add(watchdog);
    }

    /**
     * Creates the socket's directory with mode 0700 when it does not exist (and then removes it on close), or checks
     * that it is private when it does, binds the socket and starts accepting.
     *
     * @param socketPath    where to listen
     * @param pageSize      the page size stated in HELLO
     * @param providers     creates the providers of one connection from what HELLO states, called on the
     *                      connection's thread; when it
     *                      fails it closes what it created, and the connection is refused with an ERROR
     * @param maxFrameSize  largest frame accepted or sent, header included
     * @param workerThreads threads that take over reading a connection while one of its calls runs long, shared by
     *                      all connections
     * @return the running server
     * @throws InvalidRequestException      when the directory is not private or an argument is out of range
     * @throws ExecutorUnavailableException when the socket cannot be bound
     */
    public static ChannelServer start(final Path socketPath, final long pageSize,
        final Function<ExecutorInfo, ? extends List<? extends ExecutorFunctionProvider>> providers, final int maxFrameSize,
        final int workerThreads)
    {
        checkSettings(pageSize, maxFrameSize, workerThreads);
        final UnixListener listener = UnixListener.bind(socketPath);
        try
        {
            return new ChannelServer(listener, null, null, pageSize, providers, maxFrameSize, workerThreads).begin();
        }
        catch (final RuntimeException | Error ex)
        {
            listener.close();
            listener.remove();
            throw ex;
        }
    }

    /**
     * Listens on TCP and starts accepting.
     *
     * @param options       where and how: TLS, bounds, heartbeats, release grace
     * @param pageSize      the page size stated in HELLO
     * @param providers     creates the providers of one connection, as for {@link #start}
     * @param maxFrameSize  largest frame accepted or sent, header included; a larger one closes its connection
     * @param workerThreads threads that take over reading a connection while one of its calls runs long
     * @return the running server
     * @throws InvalidRequestException      when an argument is out of range
     * @throws ExecutorUnavailableException when the address cannot be bound
     */
    public static ChannelServer listen(final TcpListenOptions options, final long pageSize,
        final Function<ExecutorInfo, ? extends List<? extends ExecutorFunctionProvider>> providers, final int maxFrameSize,
        final int workerThreads)
    {
        checkSettings(pageSize, maxFrameSize, workerThreads);
        final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, task ->
        {
            final Thread timer = new Thread(task, "jitmem-executor-timer");
            timer.setDaemon(true);
            return timer;
        });
        timers.setRemoveOnCancelPolicy(true);
        final TcpListener listener;
        try
        {
            listener = TcpListener.bind(options, timers);
        }
        catch (final IOException ex)
        {
            timers.shutdownNow();
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, "cannot listen: address=" +
                options.address() + " " + ex, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
        try
        {
            return new ChannelServer(listener, options, timers, pageSize, providers, maxFrameSize, workerThreads)
                .begin();
        }
        catch (final RuntimeException | Error ex)
        {
            listener.close();
            timers.shutdownNow();
            throw ex;
        }
    }

    private ChannelServer begin()
    {
        watchdog.start();
        acceptor.start();
        return this;
    }

    private static void checkSettings(final long pageSize, final int maxFrameSize, final int workerThreads)
    {
        if (maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE || workerThreads < 1 || pageSize <= 0)
        {
            throw invalid("server setting out of range: maxFrameSize=" + maxFrameSize + " workerThreads=" +
                workerThreads + " pageSize=" + pageSize);
        }
    }

    /** @return the socket this server listens on, or null when it listens on TCP */
    public Path socketPath()
    {
        return listener instanceof UnixListener unix ? unix.socketPath() : null;
    }

    /** @return {@code socket=<path>}, or {@code listen=<host:port>} with the bound port */
    public String endpoint()
    {
        return listener.toString();
    }

    /** @return the address this server listens on: a Unix domain socket's, or the bound TCP address and port */
    public SocketAddress localAddress()
    {
        return listener.localAddress();
    }

    /** @return what this server states in HELLO */
    public ExecutorInfo executor()
    {
        return executor;
    }

    /**
     * @return completes as soon as the first accepted connection has ended (its socket closed or failed), whatever its
     *     calls are doing, or when the server closes; dependents run on the thread that noticed and must not block
     */
    public CompletionStage<Void> primaryLost()
    {
        return primaryLost.minimalCompletionStage();
    }

    /**
     * @return completes once the first accepted connection has ended and its providers are closed, or when the server
     *     closes; dependents run on the connection's thread or the closing thread and must not block
     */
    public CompletionStage<Void> primaryClosed()
    {
        return primaryClosed.minimalCompletionStage();
    }

    /**
     * Stops accepting, ends every connection once its calls have finished, and removes the socket. Idempotent; a
     * concurrent caller returns once the first one has finished, unless it is one of the server's own threads.
     */
    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            awaitClosed();
            return;
        }
        listener.close();
        primaryLost.complete(null);
        joinUnlessCurrent(acceptor);
        final List<ServerConnection> ending = new ArrayList<>(connections);
        ending.forEach(ServerConnection::disconnect);
        ending.forEach(connection -> joinUnlessCurrent(connection.thread()));
        new ArrayList<>(pendingReleases).forEach(this::releaseNow);
        if (timers != null)
        {
            timers.shutdownNow();
            heartbeatWriters.shutdownNow();
        }
        LockSupport.unpark(watchdog);
        joinUnlessCurrent(watchdog);
        workers.shutdown();
        try
        {
            if (!workers.awaitTermination(1, TimeUnit.MINUTES))
            {
                LOG.log(System.Logger.Level.WARNING, "workers still busy after close: " + listener);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        removeSocket();
        closeFinished.countDown();
        primaryClosed.complete(null);
    }

    /**
     * Removes the socket file, and its directory when this server created it, waiting for nothing: for a process
     * about to halt while calls may still run. Idempotent.
     */
    public void removeSocket()
    {
        listener.remove();
    }

    private void awaitClosed()
    {
        if (ownThreads.contains(Thread.currentThread()))
        {
            return;
        }
        try
        {
            closeFinished.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString()
    {
        return "ChannelServer[" + listener + " pid=" + executor.pid() + "]";
    }

    int maxFrameSize()
    {
        return maxFrameSize;
    }

    ExecutorService workers()
    {
        return workers;
    }

    /** @return true when connections run over a Unix domain socket (lanes possible, no heartbeats) */
    boolean isLocal()
    {
        return listener.isLocal();
    }

    /** @return the TCP settings, or null for a Unix domain socket */
    TcpListenOptions tcp()
    {
        return tcp;
    }

    /**
     * @param heartbeat sends one heartbeat
     * @return its schedule, every heartbeat interval, to cancel when the connection ends
     */
    ScheduledFuture<?> scheduleHeartbeats(final Runnable heartbeat)
    {
        final long interval = tcp.heartbeat().interval().toNanos();
        return timers.scheduleAtFixedRate(heartbeat, interval, interval, TimeUnit.NANOSECONDS);
    }

    /** @return where heartbeats are written: at most one thread per connection, none while all is quiet */
    ExecutorService heartbeatWriters()
    {
        return heartbeatWriters;
    }

    /**
     * Runs {@code release} once the release grace period has passed, or at once when the server closes.
     *
     * @param release closes a connection's providers
     */
    void releaseAfterGrace(final Runnable release)
    {
        pendingReleases.add(release);
        if (closed.get())
        {
            releaseNow(release);
            return;
        }
        try
        {
            timers.schedule(() -> releaseNow(release), tcp.releaseGrace().toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final RejectedExecutionException ex)
        {
            releaseNow(release);
        }
    }

    private void releaseNow(final Runnable release)
    {
        if (pendingReleases.remove(release))
        {
            release.run();
        }
    }

    List<? extends ExecutorFunctionProvider> createProviders()
    {
        return providers.apply(executor);
    }

    /** Called by a connection's reader as it starts a call inline: wakes the watchdog when it sleeps. */
    void callStarted()
    {
        if (watchdogIdle)
        {
            watchdogIdle = false;
            LockSupport.unpark(watchdog);
        }
    }

    /** Called by a connection once its reading has ended, before its calls have finished. */
    void readingEnded(final ServerConnection connection)
    {
        if (connection.isPrimary())
        {
            primaryLost.complete(null);
        }
    }

    void connectionEnded(final ServerConnection connection)
    {
        connections.remove(connection);
        if (connection.isPrimary())
        {
            primaryLost.complete(null);
            primaryClosed.complete(null);
        }
        ownThreads.remove(connection.thread());
    }

    private void accept()
    {
        while (listener.isOpen())
        {
            final Listener.Accepted accepted;
            try
            {
                accepted = listener.accept();
            }
            catch (final IOException ex)
            {
                if (listener.isOpen())
                {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: " + listener, ex);
                    LockSupport.parkNanos(ACCEPT_RETRY_NANOS);
                }
                continue;
            }
            if (accepted == null)
            {
                continue;
            }
            if (tcp != null && connections.size() >= tcp.maxConnections())
            {
                LOG.log(System.Logger.Level.WARNING, "connection refused, too many connections: peer=" +
                    accepted.peer() + " max=" + tcp.maxConnections());
                accepted.abort();
                continue;
            }
            final ServerConnection connection = new ServerConnection(this, accepted, executor,
                primaryAccepted.compareAndSet(false, true));
            connections.add(connection);
            ownThreads.add(connection.thread());
            if (closed.get())
            {
                connection.disconnect();
            }
            connection.thread().start();
        }
    }

    /**
     * Ticks while calls run, handing over the reading of connections whose call has run for a whole tick; sleeps
     * once a tick has passed without calls. Going to sleep publishes {@link #watchdogIdle} before looking at the
     * connections once more, and a reader publishes its inline call before reading the flag, so that one of the two
     * always sees the other.
     */
    private void watch()
    {
        while (!closed.get())
        {
            LockSupport.parkNanos(this, WATCHDOG_TICK_NANOS);
            boolean active = false;
            for (final ServerConnection connection : connections)
            {
                active |= connection.watch();
            }
            if (active)
            {
                continue;
            }
            watchdogIdle = true;
            if (connections.stream().anyMatch(ServerConnection::runsInline))
            {
                watchdogIdle = false;
                continue;
            }
            while (watchdogIdle && !closed.get())
            {
                LockSupport.park(this);
            }
        }
    }

    private static InvalidRequestException invalid(final String reason)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN);
    }

    private static void joinUnlessCurrent(final Thread thread)
    {
        if (thread == Thread.currentThread())
        {
            return;
        }
        try
        {
            thread.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
