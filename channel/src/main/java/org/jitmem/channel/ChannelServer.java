package org.jitmem.channel;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
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

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

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
 */
public final class ChannelServer implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(ChannelServer.class.getName());
    private static final long ACCEPT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** How long a call runs inline before the reading of its connection is handed over. */
    static final long HAND_OVER_AFTER_MILLIS = 1;
    private static final long WATCHDOG_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(HAND_OVER_AFTER_MILLIS);
    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private final Path socketPath;
    private final Path directory;
    private final boolean createdDirectory;
    private final ServerSocketChannel serverSocket;
    private final UserPrincipal owner;
    private final ExecutorInfo executor;
    private final int maxFrameSize;
    private final Function<ExecutorInfo, ? extends List<? extends ExecutorFunctionProvider>> providers;
    private final ExecutorService workers;
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Thread> ownThreads = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean primaryAccepted = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> primaryLost = new CompletableFuture<>();
    private final CompletableFuture<Void> primaryClosed = new CompletableFuture<>();
    private final CountDownLatch closeFinished = new CountDownLatch(1);
    private final Thread acceptor;
    private final Thread watchdog;
    private volatile boolean watchdogIdle;

    private ChannelServer(final Path socketPath, final Path directory, final boolean createdDirectory,
        final ServerSocketChannel serverSocket, final UserPrincipal owner, final long pageSize,
        final Function<ExecutorInfo, ? extends List<? extends ExecutorFunctionProvider>> providers, final int maxFrameSize,
        final int workerThreads)
    {
        this.socketPath = socketPath;
        this.directory = directory;
        this.createdDirectory = createdDirectory;
        this.serverSocket = serverSocket;
        this.owner = owner;
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
        if (maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE || workerThreads < 1 || pageSize <= 0)
        {
            throw invalid("server setting out of range: maxFrameSize=" + maxFrameSize + " workerThreads=" +
                workerThreads + " pageSize=" + pageSize);
        }
        final Path socket = socketPath.toAbsolutePath();
        final Path directory = socket.getParent();
        final boolean created = createPrivateDirectory(directory);
        ServerSocketChannel serverSocket = null;
        try
        {
            checkPrivate(directory);
            serverSocket = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            serverSocket.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PRIVATE_FILE);
            final UserPrincipal owner = Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS);
            if (!owner.equals(Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS)))
            {
                throw invalid("socket directory belongs to another user: directory=" + directory);
            }
            final ChannelServer server = new ChannelServer(socket, directory, created, serverSocket, owner, pageSize,
                providers, maxFrameSize, workerThreads);
            server.watchdog.start();
            server.acceptor.start();
            return server;
        }
        catch (final IOException | RuntimeException ex)
        {
            final boolean bound = serverSocket != null && serverSocket.socket().isBound();
            Closeables.closeQuietly(serverSocket);
            if (bound)
            {
                deleteQuietly(socket);
            }
            if (created)
            {
                deleteQuietly(directory);
            }
            if (ex instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, "cannot listen: socket=" + socket,
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
    }

    /** @return the socket this server listens on */
    public Path socketPath()
    {
        return socketPath;
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
        Closeables.closeQuietly(serverSocket);
        primaryLost.complete(null);
        joinUnlessCurrent(acceptor);
        final List<ServerConnection> ending = new ArrayList<>(connections);
        ending.forEach(ServerConnection::disconnect);
        ending.forEach(connection -> joinUnlessCurrent(connection.thread()));
        LockSupport.unpark(watchdog);
        joinUnlessCurrent(watchdog);
        workers.shutdown();
        try
        {
            if (!workers.awaitTermination(1, TimeUnit.MINUTES))
            {
                LOG.log(System.Logger.Level.WARNING, "workers still busy after close: socket=" + socketPath);
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
        deleteQuietly(socketPath);
        if (createdDirectory)
        {
            deleteQuietly(directory);
        }
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
        return "ChannelServer[socket=" + socketPath + " pid=" + executor.pid() + "]";
    }

    int maxFrameSize()
    {
        return maxFrameSize;
    }

    ExecutorService workers()
    {
        return workers;
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
        while (serverSocket.isOpen())
        {
            final SocketChannel socket;
            try
            {
                socket = serverSocket.accept();
            }
            catch (final IOException ex)
            {
                if (serverSocket.isOpen())
                {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: socket=" + socketPath, ex);
                    LockSupport.parkNanos(ACCEPT_RETRY_NANOS);
                }
                continue;
            }
            if (!isSameUser(socket))
            {
                Closeables.closeQuietly(socket);
                continue;
            }
            final ServerConnection connection = new ServerConnection(this, socket, executor,
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

    private boolean isSameUser(final SocketChannel socket)
    {
        try
        {
            final UnixDomainPrincipal peer = socket.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (owner.equals(peer.user()))
            {
                return true;
            }
            LOG.log(System.Logger.Level.WARNING, "connection refused, peer is another user: peer=" + peer.user() +
                " owner=" + owner + " socket=" + socketPath);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "connection refused, peer unknown: socket=" + socketPath, ex);
        }
        return false;
    }

    private static boolean createPrivateDirectory(final Path directory)
    {
        if (Files.exists(directory, LinkOption.NOFOLLOW_LINKS))
        {
            return false;
        }
        try
        {
            if (directory.getParent() != null)
            {
                Files.createDirectories(directory.getParent());
            }
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
            Files.setPosixFilePermissions(directory, PRIVATE_DIRECTORY);
            return true;
        }
        catch (final IOException ex)
        {
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, "cannot create socket directory: directory=" +
                directory, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
    }

    private static void checkPrivate(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS))
        {
            throw invalid("socket directory is not a directory: directory=" + directory);
        }
        final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS);
        if (!permissions.equals(PRIVATE_DIRECTORY))
        {
            throw invalid("socket directory is not private: directory=" + directory + " permissions=" +
                PosixFilePermissions.toString(permissions));
        }
    }

    private static InvalidRequestException invalid(final String reason)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN);
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot delete: path=" + path, ex);
        }
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
