package org.jitmem.channel;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.posix.OsConstants;

/**
 * The controller's end of a channel over a Unix domain socket, or over TCP with TLS 1.3 to an executor on another
 * host ({@link TcpConnectOptions#connect()}). Calls are written by the calling thread (writes are
 * serialised, no lock is held while a reply is awaited); one reader thread per connection reads replies and
 * completes the matching futures.
 * <p>
 * On Linux the channel also asks the executor for a lane: memory shared by both processes where short calls are
 * posted and answered without the socket ({@link LaneLayout}). A thread that waits for a lane call's reply with
 * {@code get} or {@code join}, on the call's future or on one derived from it, looks for the reply itself for up to
 * {@code jitmem.channel.laneSpinNanos} (100 µs by default) and completes the call on its own thread, so that a round
 * trip costs no thread wake-up while the executor is busy; replies nobody waits for are completed by the lane's
 * collector thread. Calls too large for a slot, or made while every slot is taken, use the socket. A thread that
 * waits for a socket reply spins before it parks only when {@code jitmem.channel.spinNanos} is set.
 * <p>
 * Where completions run: with the default settings, on the reader thread or the lane's collector, which hold no
 * lock, or on the thread that waits for the reply. Dependents attached with the non-async methods then run there too
 * and must not block: a dependent that waits for another reply of this channel would wait forever. Pass a completion
 * executor to {@link #connect(Path, Duration, int, Executor)} when dependents may block, at the cost of one hand-off
 * per call not taken by its waiting thread. Calls that fail before they are sent (channel closed, argument too
 * large) complete on the calling thread; calls failed by a closing channel complete on the thread that noticed the
 * close.
 * <p>
 * Over TCP there is no lane; a heartbeat thread sends a HEARTBEAT frame every heartbeat interval, and when no frame
 * at all has come from the executor for the heartbeat timeout, or a write to it has waited that long, the channel
 * closes itself: every pending call fails with {@link ExecutorUnavailableException} and {@link #closed()} completes.
 */
public final class SocketExecutorChannel implements ExecutorChannel
{
    private static final System.Logger LOG = System.getLogger(SocketExecutorChannel.class.getName());
    private static final long CONNECT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int FUNCTION_CACHE_LIMIT = 1024;
    /** Slots of the lane asked for by default: calls in flight at once beyond these go through the socket. */
    public static final int DEFAULT_LANE_SLOTS = LaneLayout.DEFAULT_SLOT_COUNT;
    /** The {@code memfd_create} name of a lane's memory file, by which its mappings are known. */
    public static final String LANE_MEMFD_NAME = LaneLayout.MEMFD_NAME;

    private final Path socketPath;
    private final String endpoint;
    private final Transport transport;
    private final Heartbeat heartbeat;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final ExecutorInfo executor;
    private final int sendLimit;
    private final Executor completions;
    private final AtomicLong lastRequestId = new AtomicLong();
    private final ConcurrentHashMap<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, EncodedFunction> encodedFunctions = new ConcurrentHashMap<>();
    private final LongAdder laneCalls = new LongAdder();
    private final LongAdder socketCalls = new LongAdder();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Throwable> closed = new CompletableFuture<>();
    private final Thread readerThread;
    private final Thread heartbeatThread;
    private volatile LaneClient lane;
    private volatile boolean open = true;
    private volatile ExecutorUnavailableException closeReason;

    private SocketExecutorChannel(final Path socketPath, final String endpoint, final Transport transport,
        final FrameReader reader, final ExecutorInfo executor, final int sendLimit, final Executor completions,
        final Heartbeat heartbeat)
    {
        this.socketPath = socketPath;
        this.endpoint = endpoint;
        this.transport = transport;
        this.heartbeat = heartbeat;
        this.reader = reader;
        this.writer = new FrameWriter(transport.out());
        this.executor = executor;
        this.sendLimit = sendLimit;
        this.completions = completions;
        this.readerThread = new Thread(this::readReplies, "jitmem-channel-reader-" + executor.pid());
        readerThread.setDaemon(true);
        this.heartbeatThread = heartbeat == null ? null : new Thread(this::sendHeartbeats,
            "jitmem-channel-heartbeat-" + executor.pid());
        readerThread.start();
        if (heartbeatThread != null)
        {
            heartbeatThread.setDaemon(true);
            heartbeatThread.start();
        }
    }

    /**
     * Connects with the default maximum frame size, completing calls on the reader thread.
     *
     * @param socketPath the executor's socket
     * @param timeout    how long to wait for the socket to accept and the executor to say hello
     * @return the open channel
     * @throws ExecutorUnavailableException when no executor answered in time or the handshake failed
     */
    public static SocketExecutorChannel connect(final Path socketPath, final Duration timeout)
    {
        return connect(socketPath, timeout, Protocol.DEFAULT_MAX_FRAME_SIZE, null);
    }

    /**
     * Connects with the default maximum frame size and lane (on Linux).
     *
     * @param socketPath   the executor's socket
     * @param timeout      how long to wait for the socket to accept and the executor to say hello
     * @param maxFrameSize largest frame this end sends or accepts, header included
     * @param completions  where call futures are completed, or null for the reader thread
     * @return the open channel
     * @throws ExecutorUnavailableException when no executor answered in time or the handshake failed
     */
    public static SocketExecutorChannel connect(final Path socketPath, final Duration timeout, final int maxFrameSize,
        final Executor completions)
    {
        return connect(socketPath, timeout, maxFrameSize, completions, OsConstants.LINUX ? DEFAULT_LANE_SLOTS : 0);
    }

    /**
     * @param socketPath   the executor's socket
     * @param timeout      how long to wait for the socket to accept and the executor to say hello
     * @param maxFrameSize largest frame this end sends or accepts, header included
     * @param completions  where call futures are completed, or null for the reader thread
     * @param laneSlots    slots of the shared-memory lane to ask the executor for, 0 for none (Linux only)
     * @return the open channel
     * @throws ExecutorUnavailableException when no executor answered in time or the handshake failed
     */
    public static SocketExecutorChannel connect(final Path socketPath, final Duration timeout, final int maxFrameSize,
        final Executor completions, final int laneSlots)
    {
        Objects.requireNonNull(socketPath, "socketPath");
        if (maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE)
        {
            throw new InvalidRequestException(MapperOperation.CHANNEL, "maximum frame size too small: maxFrameSize=" +
                maxFrameSize + " min=" + Protocol.MIN_MAX_FRAME_SIZE, MemoryMapperException.UNKNOWN,
                MemoryMapperException.UNKNOWN);
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        final Transport transport = Transport.unix(open(socketPath, deadline), "socket=" + socketPath);
        final AtomicBoolean settled = closeAt(deadline, transport::close);
        return establish(transport, settled, socketPath, "socket=" + socketPath, ExecutorInfo.LOCAL_HOST, timeout,
            deadline, maxFrameSize, completions, laneSlots, null, null);
    }

    /** Connects over TCP, see {@link TcpConnectOptions#connect()}. */
    static SocketExecutorChannel connect(final TcpConnectOptions options)
    {
        final Duration timeout = options.connectTimeout();
        final long deadline = System.nanoTime() + timeout.toNanos();
        final String endpoint = "address=" + TcpListener.format(InetSocketAddress.createUnresolved(options.host(),
            options.port()));
        final Socket raw = new Socket();
        final AtomicBoolean settled = closeAt(deadline, raw);
        final Socket stream;
        final Transport transport;
        try
        {
            raw.setTcpNoDelay(true);
            raw.connect(new InetSocketAddress(options.host(), options.port()), (int)Math.min(Integer.MAX_VALUE,
                Math.max(1, timeout.toMillis())));
            raw.setSoTimeout((int)Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
            if (options.tls() == null)
            {
                stream = raw;
            }
            else
            {
                final SSLSocket tls = (SSLSocket)options.tls().getSocketFactory().createSocket(raw, options.host(),
                    options.port(), true);
                tls.setEnabledProtocols(new String[] {TlsStores.PROTOCOL});
                if (options.verifyHost())
                {
                    final SSLParameters parameters = tls.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    tls.setSSLParameters(parameters);
                }
                tls.startHandshake();
                stream = tls;
            }
            transport = Transport.tcp(stream, raw, endpoint);
        }
        catch (final IOException | RuntimeException ex)
        {
            final String reason = settled.compareAndSet(false, true) ? "cannot connect to executor" :
                "connecting to executor timed out";
            Closeables.closeQuietly(raw);
            throw unavailable(reason + ": " + endpoint + " timeout=" + timeout + " " + ex, ex);
        }
        final Heartbeat heartbeat = options.heartbeat();
        return establish(transport, settled, null, endpoint, options.host(), timeout, deadline,
            options.maxFrameSize(), options.completions(), 0, heartbeat, () ->
            {
                try
                {
                    stream.setSoTimeout(heartbeat.timeoutMillis());
                }
                catch (final SocketException ex)
                {
                    throw unavailable("cannot set the heartbeat timeout: " + endpoint, ex);
                }
            });
    }

    /** @return a flag to set once connecting has settled; unless it was, {@code closer} is closed at the deadline */
    private static AtomicBoolean closeAt(final long deadline, final AutoCloseable closer)
    {
        final AtomicBoolean settled = new AtomicBoolean();
        CompletableFuture.delayedExecutor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).execute(
            () ->
            {
                if (settled.compareAndSet(false, true))
                {
                    Closeables.closeQuietly(closer);
                }
            });
        return settled;
    }

    /** Reads HELLO within the deadline and sets the channel up: its reader, heartbeats and lane. */
    private static SocketExecutorChannel establish(final Transport transport, final AtomicBoolean settled,
        final Path socketPath, final String endpoint, final String host, final Duration timeout, final long deadline,
        final int maxFrameSize, final Executor completions, final int laneSlots, final Heartbeat heartbeat,
        final Runnable afterHello)
    {
        try
        {
            final FrameReader reader = new FrameReader(transport.in(), maxFrameSize);
            final Frame first = reader.read();
            if (!settled.compareAndSet(false, true))
            {
                throw new IOException("no hello in time: timeout=" + timeout);
            }
            final Protocol.Hello hello = handshake(first);
            if (afterHello != null)
            {
                afterHello.run();
            }
            final SocketExecutorChannel channel = new SocketExecutorChannel(socketPath, endpoint, transport, reader,
                hello.executor().withHost(host), Math.min(maxFrameSize, hello.maxFrameSize()), completions,
                heartbeat);
            if (laneSlots > 0)
            {
                channel.openLane(laneSlots, Math.max(1, deadline - System.nanoTime()));
            }
            return channel;
        }
        catch (final IOException ex)
        {
            transport.close();
            final String reason = settled.compareAndSet(false, true) ? "handshake failed" : "handshake timed out";
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, reason + ": " + endpoint +
                " timeout=" + timeout, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
        catch (final RuntimeException ex)
        {
            settled.set(true);
            transport.close();
            throw ex;
        }
    }

    private static SocketChannel open(final Path socketPath, final long deadline)
    {
        final UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socketPath);
        while (true)
        {
            SocketChannel socket = null;
            try
            {
                socket = SocketChannel.open(StandardProtocolFamily.UNIX);
                socket.connect(address);
                return socket;
            }
            catch (final SocketException ex)
            {
                Closeables.closeQuietly(socket);
                if (System.nanoTime() - deadline >= 0)
                {
                    throw unavailable("cannot connect to executor: socket=" + socketPath, ex);
                }
                LockSupport.parkNanos(CONNECT_RETRY_NANOS);
            }
            catch (final IOException ex)
            {
                Closeables.closeQuietly(socket);
                throw unavailable("cannot connect to executor: socket=" + socketPath, ex);
            }
        }
    }

    private static Protocol.Hello handshake(final Frame first) throws IOException
    {
        if (first == null)
        {
            throw new EOFException("executor closed the connection before its hello");
        }
        if (first.type() == Protocol.ERROR)
        {
            final MemoryMapperException refusal = Protocol.decodeError(first.payload());
            throw unavailable("executor refused the connection: " + refusal.getMessage(), refusal);
        }
        if (first.type() != Protocol.HELLO)
        {
            throw new IOException("expected hello: type=" + Protocol.typeName(first.type()));
        }
        return Protocol.decodeHello(first.payload());
    }

    /**
     * Asks the executor for a lane and maps it; without one (an executor that offers none, or a failure) every call
     * uses the socket.
     */
    private void openLane(final int slotCount, final long timeoutNanos)
    {
        final int slotSize = LaneLayout.DEFAULT_SLOT_SIZE;
        final byte[] offered = setUpCall(Protocol.OPEN_LANE, Protocol.encodeLaneRequest(
            new Protocol.LaneRequest(slotCount, slotSize)), timeoutNanos);
        if (offered == null)
        {
            return;
        }
        LaneClient mapped = null;
        try
        {
            final Protocol.LaneOffer offer = Protocol.decodeLaneOffer(offered);
            mapped = LaneClient.map(executor.pid(), offer.descriptor(), offer.length(), slotCount, slotSize,
                this::laneReply);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot map the executor's lane: pid=" + executor.pid(), ex);
        }
        setUpCall(Protocol.LANE_MAPPED, new byte[] {(byte)(mapped != null ? 1 : 0)}, timeoutNanos);
        if (mapped != null)
        {
            lane = mapped;
            if (!open)
            {
                mapped.close();
            }
        }
    }

    /** @return the reply to a built-in call made while connecting, or null when it failed or timed out */
    private byte[] setUpCall(final String function, final byte[] argument, final long timeoutNanos)
    {
        try
        {
            return call(function, argument).toCompletableFuture().get(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException | TimeoutException | RuntimeException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "no lane: function=" + function + " pid=" + executor.pid(), ex);
        }
        return null;
    }

    /** @return lane slots free to claim now, 0 without a lane */
    int freeLaneSlots()
    {
        final LaneClient mapped = lane;
        return mapped == null ? 0 : mapped.freeSlots();
    }

    /** @return true when short calls go through the shared-memory lane */
    public boolean hasLane()
    {
        return lane != null && open;
    }

    /** @return how many calls were posted through the lane so far (a reply too large for a slot comes by socket) */
    public long laneCalls()
    {
        return laneCalls.sum();
    }

    /** @return how many calls were written to the socket so far, the channel's own set-up calls included */
    public long socketCalls()
    {
        return socketCalls.sum();
    }

    /** @return the socket this channel is connected to, or null over TCP */
    public Path socketPath()
    {
        return socketPath;
    }

    /** @return the largest argument a call with the given function name may carry */
    public long maxArgumentSize(final String function)
    {
        return sendLimit - FrameWriter.frameSize(encodedFunction(function).head(), Protocol.EMPTY);
    }

    @Override
    public ExecutorInfo executor()
    {
        return executor;
    }

    @Override
    public CompletionStage<byte[]> call(final String function, final byte[] argument)
    {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(argument, "argument");
        if (!open)
        {
            return CompletableFuture.failedFuture(unavailable(function));
        }
        final EncodedFunction encoded = encodedFunction(function);
        final byte[] head = encoded.head();
        final long frameSize = FrameWriter.frameSize(head, argument);
        if (frameSize > sendLimit)
        {
            return CompletableFuture.failedFuture(new InvalidRequestException(MapperOperation.CALL,
                "argument too large: function=" + function + " frameSize=" + frameSize + " max=" + sendLimit,
                MemoryMapperException.UNKNOWN, argument.length));
        }
        final long requestId = lastRequestId.incrementAndGet();
        final LaneClient laneNow = lane;
        if (laneNow != null)
        {
            final byte[] name = encoded.name();
            final int slot = laneNow.claim(name.length + argument.length);
            if (slot >= 0)
            {
                final ReplyFuture<byte[]> reply = new ReplyFuture<>(
                    (waiting, nanos) -> laneNow.help(slot, waiting, nanos), LaneLayout.SPIN_NANOS);
                pending.put(requestId, reply);
                if (!open || !laneNow.post(slot, requestId, name, argument))
                {
                    pending.remove(requestId);
                    reply.completeExceptionally(unavailable(function));
                    return reply;
                }
                laneCalls.increment();
                return reply;
            }
        }
        final CompletableFuture<byte[]> reply = new ReplyFuture<>(ReplyFuture.SPIN, ReplyFuture.SOCKET_SPIN_NANOS);
        pending.put(requestId, reply);
        if (!open)
        {
            pending.remove(requestId);
            reply.completeExceptionally(unavailable(function));
            return reply;
        }
        try
        {
            writer.write(Protocol.CALL, requestId, head, argument);
            socketCalls.increment();
        }
        catch (final IOException ex)
        {
            shutdown("cannot write to executor", ex);
        }
        return reply;
    }

    @Override
    public boolean isOpen()
    {
        return open;
    }

    @Override
    public CompletionStage<Throwable> closed()
    {
        return closed.minimalCompletionStage();
    }

    @Override
    public void close()
    {
        if (open)
        {
            try
            {
                writer.tryWrite(Protocol.GOODBYE, 0, Protocol.EMPTY, Protocol.EMPTY);
            }
            catch (final IOException ex)
            {
                LOG.log(System.Logger.Level.DEBUG, "goodbye not sent", ex);
            }
            shutdown("channel closed by the controller", null);
        }
        final LaneClient laneNow = lane;
        if (Thread.currentThread() != readerThread)
        {
            try
            {
                readerThread.join();
                if (heartbeatThread != null && Thread.currentThread() != heartbeatThread)
                {
                    heartbeatThread.join();
                }
                if (laneNow != null && Thread.currentThread() != laneNow.collector())
                {
                    laneNow.collector().join();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString()
    {
        return "SocketExecutorChannel[" + endpoint + " pid=" + executor.pid() + " open=" + open + "]";
    }

    private EncodedFunction encodedFunction(final String function)
    {
        final EncodedFunction cached = encodedFunctions.get(function);
        if (cached != null)
        {
            return cached;
        }
        final EncodedFunction encoded = new EncodedFunction(Protocol.encodeFunction(function),
            function.getBytes(StandardCharsets.UTF_8));
        if (encodedFunctions.size() < FUNCTION_CACHE_LIMIT)
        {
            encodedFunctions.putIfAbsent(function, encoded);
        }
        return encoded;
    }

    /** A function name as a CALL frame's head, and as the raw UTF-8 a lane slot holds. */
    private record EncodedFunction(byte[] head, byte[] name)
    {
    }

    private void readReplies()
    {
        try
        {
            while (true)
            {
                final Frame frame = reader.read();
                if (frame == null)
                {
                    shutdown("executor closed the connection", null);
                    return;
                }
                final long requestId = frame.requestId();
                if (frame.type() == Protocol.HEARTBEAT && heartbeat != null)
                {
                    if (writer.isStuck(System.nanoTime(), heartbeat.timeout().toNanos()))
                    {
                        shutdown("executor reads nothing: a write waited longer than the heartbeat timeout=" +
                            heartbeat.timeout(), null);
                        return;
                    }
                    continue;
                }
                if (frame.type() == Protocol.RESULT)
                {
                    complete(requestId, frame.payload(), null);
                }
                else if (frame.type() == Protocol.ERROR && requestId != 0)
                {
                    complete(requestId, null, Protocol.decodeError(frame.payload()));
                }
                else if (frame.type() == Protocol.ERROR)
                {
                    final MemoryMapperException error = Protocol.decodeError(frame.payload());
                    shutdown("executor failed the connection: " + error.getMessage(), error);
                    return;
                }
                else
                {
                    shutdown("unexpected frame from executor: type=" + Protocol.typeName(frame.type()), null);
                    return;
                }
            }
        }
        catch (final SocketTimeoutException ex)
        {
            shutdown("no frame from executor within the heartbeat timeout: timeout=" + heartbeat.timeout(), ex);
        }
        catch (final IOException | RuntimeException ex)
        {
            shutdown(open ? "connection to executor lost" : "channel closed", ex);
        }
    }

    /** Sends a heartbeat every interval unless a frame is being written anyway, until the channel closes. */
    private void sendHeartbeats()
    {
        final long interval = heartbeat.interval().toNanos();
        while (open)
        {
            LockSupport.parkNanos(this, interval);
            if (!open)
            {
                return;
            }
            try
            {
                writer.tryWrite(Protocol.HEARTBEAT, 0, Protocol.EMPTY, Protocol.EMPTY);
            }
            catch (final IOException ex)
            {
                shutdown("cannot send a heartbeat to executor", ex);
                return;
            }
        }
    }

    /** Completes a call whose reply was taken from the lane: on the waiting thread itself when it took it. */
    private void laneReply(final long requestId, final byte[] result, final Throwable error, final boolean waiter)
    {
        if (!waiter)
        {
            complete(requestId, result, error);
            return;
        }
        final CompletableFuture<byte[]> reply = pending.remove(requestId);
        if (reply != null)
        {
            settle(reply, result, error);
        }
    }

    private void complete(final long requestId, final byte[] result, final Throwable error)
    {
        final CompletableFuture<byte[]> reply = pending.remove(requestId);
        if (reply == null)
        {
            return;
        }
        if (completions == null)
        {
            settle(reply, result, error);
            return;
        }
        try
        {
            completions.execute(() -> settle(reply, result, error));
        }
        catch (final RejectedExecutionException ex)
        {
            settle(reply, result, error);
        }
    }

    private static void settle(final CompletableFuture<byte[]> reply, final byte[] result, final Throwable error)
    {
        if (error == null)
        {
            reply.complete(result);
        }
        else
        {
            reply.completeExceptionally(error);
        }
    }

    private void shutdown(final String reason, final Throwable cause)
    {
        if (!closing.compareAndSet(false, true))
        {
            return;
        }
        final ExecutorUnavailableException error = unavailable(reason + ": " + endpoint + " pid=" +
            executor.pid(), cause);
        closeReason = error;
        open = false;
        transport.close();
        if (heartbeatThread != null)
        {
            LockSupport.unpark(heartbeatThread);
        }
        final LaneClient laneNow = lane;
        if (laneNow != null)
        {
            laneNow.close();
        }
        for (final Long requestId : pending.keySet())
        {
            final CompletableFuture<byte[]> reply = pending.remove(requestId);
            if (reply != null)
            {
                reply.completeExceptionally(unavailable("executor unavailable: pid=" + executor.pid(), error));
            }
        }
        closed.complete(error);
    }

    private ExecutorUnavailableException unavailable(final String function)
    {
        return new ExecutorUnavailableException(MapperOperation.CALL, "executor unavailable: function=" + function +
            " pid=" + executor.pid(), MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, closeReason);
    }

    private static ExecutorUnavailableException unavailable(final String reason, final Throwable cause)
    {
        return new ExecutorUnavailableException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN, cause);
    }
}
