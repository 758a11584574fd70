package org.jitmem.channel;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/**
 * One accepted connection of a {@link ChannelServer}. One thread at a time reads its frames and runs each call
 * inline, writing the reply itself, so that a short call costs no hand-off between threads. When a call runs longer
 * than the server's hand-over deadline, the server's watchdog hands the reading over to one of the server's workers,
 * so that a long call holds up no other; the thread running the long call stops reading once the call returns. The
 * bytes of calls in flight are bounded by a budget, so a client that sends faster than calls complete is simply no
 * longer read. The connection's own thread opens the connection (a TLS handshake over TCP), reads first and winds
 * the connection down: once reading has ended it waits for the calls still running and then closes the connection's
 * providers, after the server's release grace period over TCP. Over TCP it also sends heartbeats, ignores those it
 * gets, and logs one line when it ends and why.
 */
final class ServerConnection
{
    private static final System.Logger LOG = System.getLogger(ServerConnection.class.getName());
    /** What one call in flight counts against the budget beyond its payload. */
    private static final int CALL_OVERHEAD = 1024;

    private final ChannelServer server;
    private final Listener.Accepted accepted;
    private final ExecutorInfo executor;
    private final boolean primary;
    private final int budget;
    private final Semaphore inFlight;
    private final Thread thread;
    private final InlineCalls inline = new InlineCalls();
    private final CountDownLatch readingEnded = new CountDownLatch(1);
    private List<? extends ExecutorFunctionProvider> providers = List.of();
    private Map<String, ExecutorFunction> functions = Map.of();
    /** The connection's lane, once the controller asked for one; set by the reading thread. */
    private volatile LaneServer lane;
    /** Set by the connection's thread once the connection is open; read by the threads it hands reading to. */
    private FrameReader reader;
    private volatile FrameWriter writer;
    private volatile Transport transport;
    private volatile boolean disconnected;
    private final AtomicBoolean heartbeatPending = new AtomicBoolean();
    /** Why the connection ended, for its one log line over TCP. */
    private volatile String endReason = "closed by the executor";

    ServerConnection(final ChannelServer server, final Listener.Accepted accepted, final ExecutorInfo executor,
        final boolean primary)
    {
        this.server = server;
        this.accepted = accepted;
        this.executor = executor;
        this.primary = primary;
        this.budget = (int)Math.min(Integer.MAX_VALUE, 2L * server.maxFrameSize() + CALL_OVERHEAD);
        this.inFlight = new Semaphore(budget);
        this.thread = new Thread(this::run, "jitmem-executor-connection" + (primary ? "-primary" : ""));
        thread.setDaemon(true);
    }

    boolean isPrimary()
    {
        return primary;
    }

    Thread thread()
    {
        return thread;
    }

    /** Closes the socket; the connection's thread then winds the connection down. */
    void disconnect()
    {
        disconnected = true;
        accepted.abort();
        final Transport current = transport;
        if (current != null)
        {
            current.close();
        }
    }

    /**
     * Called by the server's watchdog once a tick: hands the reading over when the same call has been running inline
     * since the last tick.
     *
     * @return true when calls ran or started since the last tick
     */
    boolean watch()
    {
        final LaneServer current = lane;
        final boolean laneActive = current != null && current.watch();
        return laneActive | inline.watch(() ->
        {
            try
            {
                server.workers().execute(this::read);
            }
            catch (final RejectedExecutionException ex)
            {
                endReading();
            }
        });
    }

    /** @return true while a call runs inline */
    boolean runsInline()
    {
        final LaneServer current = lane;
        return inline.runsInline() || (current != null && current.runsInline());
    }

    private void run()
    {
        if (!open())
        {
            server.connectionEnded(this);
            return;
        }
        boolean greeted = false;
        ScheduledFuture<?> heartbeats = null;
        try
        {
            if (openProviders())
            {
                writer.write(Protocol.HELLO, 0, Protocol.EMPTY, Protocol.encodeHello(executor, server.maxFrameSize()));
                greeted = true;
                heartbeats = server.isLocal() ? null : server.scheduleHeartbeats(this::heartbeat);
            }
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "connection lost", ex);
        }
        if (greeted)
        {
            read();
        }
        else
        {
            endReading();
        }
        awaitReadingEnded();
        disconnect();
        if (heartbeats != null)
        {
            heartbeats.cancel(false);
        }
        final LaneServer current = lane;
        if (current != null)
        {
            current.close();
            current.awaitClosed();
        }
        inFlight.acquireUninterruptibly(budget);
        if (server.isLocal())
        {
            closeProviders();
            server.connectionEnded(this);
            return;
        }
        LOG.log(System.Logger.Level.INFO, "connection closed: peer=" + transport.peer() + " reason=" + endReason +
            (greeted ? " releaseGrace=" + server.tcp().releaseGrace() : ""));
        server.connectionEnded(this);
        if (greeted)
        {
            server.releaseAfterGrace(this::closeProviders);
        }
        else
        {
            closeProviders();
        }
    }

    /** @return true once the transport is open; false, with one log line over TCP, when it cannot be */
    private boolean open()
    {
        try
        {
            final Transport opened = accepted.open();
            transport = opened;
            reader = new FrameReader(opened.in(), server.maxFrameSize());
            writer = new FrameWriter(opened.out());
            if (disconnected)
            {
                opened.close();
                return false;
            }
            if (!opened.isLocal())
            {
                LOG.log(System.Logger.Level.INFO, "connection accepted: peer=" + opened.peer());
            }
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            accepted.abort();
            if (!disconnected)
            {
                LOG.log(System.Logger.Level.WARNING, "connection refused, handshake failed: peer=" + accepted.peer() +
                    " reason=" + ex);
            }
            return false;
        }
    }

    /**
     * Called by the server's timer every heartbeat interval: disconnects a controller that has not read what this end
     * wrote for the heartbeat timeout, otherwise has a heartbeat sent unless a frame is being written anyway. The
     * write runs on another thread, so the timer never waits for a peer.
     */
    private void heartbeat()
    {
        final FrameWriter current = writer;
        if (current.isStuck(System.nanoTime(), server.tcp().heartbeatTimeout().toNanos()))
        {
            endReason = "the controller reads nothing: a write waited longer than the heartbeat timeout=" +
                server.tcp().heartbeatTimeout();
            disconnect();
            return;
        }
        if (!heartbeatPending.compareAndSet(false, true))
        {
            return;
        }
        try
        {
            server.heartbeatWriters().execute(() ->
            {
                try
                {
                    current.tryWrite(Protocol.HEARTBEAT, 0, Protocol.EMPTY, Protocol.EMPTY);
                }
                catch (final IOException ex)
                {
                    endReason = "cannot send a heartbeat: " + ex;
                    disconnect();
                }
                finally
                {
                    heartbeatPending.set(false);
                }
            });
        }
        catch (final RejectedExecutionException ex)
        {
            heartbeatPending.set(false);
        }
    }

    /** Reads and serves frames until the connection ends or the reading is handed over. */
    private void read()
    {
        boolean handedOver = false;
        try
        {
            handedOver = serve();
        }
        catch (final SocketTimeoutException ex)
        {
            endReason = "no frame within the heartbeat timeout: timeout=" + server.tcp().heartbeatTimeout();
        }
        catch (final IOException | RuntimeException ex)
        {
            endReason = disconnected ? endReason : "connection lost: " + ex;
            LOG.log(System.Logger.Level.DEBUG, "connection lost", ex);
        }
        finally
        {
            if (!handedOver)
            {
                endReading();
            }
        }
    }

    private void endReading()
    {
        disconnect();
        readingEnded.countDown();
        server.readingEnded(this);
    }

    private void awaitReadingEnded()
    {
        boolean interrupted = false;
        while (true)
        {
            try
            {
                readingEnded.await();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    private boolean openProviders() throws IOException
    {
        try
        {
            providers = server.createProviders();
            final Map<String, ExecutorFunction> byName = new HashMap<>();
            for (final ExecutorFunctionProvider provider : providers)
            {
                provider.functions().forEach((name, function) ->
                {
                    if (byName.putIfAbsent(name, function) != null)
                    {
                        throw new InvalidRequestException(MapperOperation.CHANNEL,
                            "executor function defined twice: function=" + name, MemoryMapperException.UNKNOWN,
                            MemoryMapperException.UNKNOWN);
                    }
                });
            }
            if (server.isLocal() && (byName.putIfAbsent(Protocol.OPEN_LANE, this::openLane) != null ||
                byName.putIfAbsent(Protocol.LANE_MAPPED, this::laneMapped) != null))
            {
                throw new InvalidRequestException(MapperOperation.CHANNEL,
                    "executor function takes a built-in name: function=" + Protocol.OPEN_LANE + " or " +
                    Protocol.LANE_MAPPED, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
            }
            functions = Map.copyOf(byName);
            return true;
        }
        catch (final RuntimeException ex)
        {
            if (ex instanceof MemoryMapperException)
            {
                // typed, and sent to the controller as its error: the message says all
                LOG.log(System.Logger.Level.ERROR, "cannot open executor functions: " + ex.getMessage());
            }
            else
            {
                LOG.log(System.Logger.Level.ERROR, "cannot open executor functions", ex);
            }
            writer.write(Protocol.ERROR, 0, Protocol.EMPTY, Protocol.encodeError(ex, "executor.open"));
            return false;
        }
    }

    /** @return true when the reading was handed over while a call ran inline */
    private boolean serve() throws IOException
    {
        while (true)
        {
            final Frame frame;
            try
            {
                frame = reader.read();
            }
            catch (final FrameLengthException ex)
            {
                endReason = ex.getMessage();
                replyError(0, invalid(ex.getMessage()), null);
                return false;
            }
            catch (final EOFException ex)
            {
                endReason = ex.getMessage();
                return false;
            }
            if (frame == null || frame.type() == Protocol.GOODBYE)
            {
                endReason = frame == null ? "closed by the controller" : "goodbye from the controller";
                return false;
            }
            if (frame.type() == Protocol.HEARTBEAT && !server.isLocal())
            {
                continue;
            }
            if (frame.type() == Protocol.CALL && !dispatch(frame))
            {
                return true;
            }
            else if (frame.type() != Protocol.CALL)
            {
                replyError(frame.requestId(), invalid("unexpected frame type: type=" +
                    Protocol.typeName(frame.type())), null);
            }
        }
    }

    /** @return false when the reading was handed over while the call ran */
    private boolean dispatch(final Frame frame) throws IOException
    {
        final long requestId = frame.requestId();
        final Protocol.Call call;
        try
        {
            call = Protocol.decodeCall(frame.payload());
        }
        catch (final InvalidRequestException ex)
        {
            replyError(requestId, ex, null);
            return true;
        }
        final ExecutorFunction function = functions.get(call.function());
        if (function == null)
        {
            replyError(requestId, new InvalidRequestException(MapperOperation.CALL, "unknown executor function: function=" +
                call.function(), MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN), call.function());
            return true;
        }
        final int cost = frame.payload().length + CALL_OVERHEAD;
        inFlight.acquireUninterruptibly(cost);
        final long number = inline.begin();
        server.callStarted();
        invoke(requestId, call, function, cost);
        return inline.end(number);
    }

    private void invoke(final long requestId, final Protocol.Call call, final ExecutorFunction function, final int cost)
    {
        try
        {
            byte[] result = null;
            Throwable error = null;
            try
            {
                result = function.invoke(call.argument());
            }
            catch (final RuntimeException | Error ex)
            {
                error = ex;
            }
            reply(requestId, call.function(), result, error);
        }
        finally
        {
            inFlight.release(cost);
        }
    }

    /**
     * Writes a call's reply, or an error when the result does not fit a frame; a connection that cannot be written
     * to is disconnected.
     */
    private void reply(final long requestId, final String function, final byte[] result, final Throwable error)
    {
        try
        {
            if (error != null)
            {
                replyError(requestId, error, function);
                return;
            }
            final byte[] payload = result == null ? Protocol.EMPTY : result;
            final long frameSize = FrameWriter.frameSize(Protocol.EMPTY, payload);
            if (frameSize > server.maxFrameSize())
            {
                replyError(requestId, new InvalidRequestException(MapperOperation.CALL, "result too large: function=" +
                    function + " frameSize=" + frameSize + " max=" + server.maxFrameSize(),
                    MemoryMapperException.UNKNOWN, payload.length), function);
                return;
            }
            writer.write(Protocol.RESULT, requestId, Protocol.EMPTY, payload);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "reply not sent: requestId=" + requestId, ex);
            disconnect();
        }
    }

    /** Built-in {@link Protocol#OPEN_LANE}: creates the lane and starts serving it; one per connection. */
    private byte[] openLane(final byte[] argument)
    {
        final Protocol.LaneRequest request = Protocol.decodeLaneRequest(argument);
        if (lane != null)
        {
            throw new InvalidRequestException(MapperOperation.CHANNEL, "this connection has a lane already",
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        final LaneServer opened = LaneServer.open(server, functions, this::reply, request.slotCount(),
            request.slotSize());
        lane = opened;
        opened.start();
        return Protocol.encodeLaneOffer(new Protocol.LaneOffer(opened.descriptor(), opened.length()));
    }

    /** Built-in {@link Protocol#LANE_MAPPED}: closes the lane's descriptor, and the lane when it was not mapped. */
    private byte[] laneMapped(final byte[] argument)
    {
        final LaneServer current = lane;
        if (current == null || argument.length != 1)
        {
            throw new InvalidRequestException(MapperOperation.CHANNEL, "no lane offered, or malformed argument: " +
                "length=" + argument.length, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        current.descriptorMapped();
        if (argument[0] != 1)
        {
            current.close();
        }
        return Protocol.EMPTY;
    }

    private void replyError(final long requestId, final Throwable error, final String function) throws IOException
    {
        writer.write(Protocol.ERROR, requestId, Protocol.EMPTY, Protocol.encodeError(error, function));
    }

    private void closeProviders()
    {
        final ErrorJoiner errors = new ErrorJoiner();
        for (final ExecutorFunctionProvider provider : providers)
        {
            try
            {
                provider.close();
            }
            catch (final RuntimeException ex)
            {
                errors.add(ex);
            }
        }
        if (!errors.isEmpty())
        {
            LOG.log(System.Logger.Level.ERROR, "closing executor functions failed", errors.joined());
        }
    }

    private static InvalidRequestException invalid(final String reason)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN);
    }
}
