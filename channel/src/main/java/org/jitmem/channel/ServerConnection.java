package org.jitmem.channel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

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
 * longer read. The connection's own thread reads first and winds the connection down: once reading has ended it
 * waits for the calls still running and then closes the connection's providers.
 */
final class ServerConnection
{
    private static final System.Logger LOG = System.getLogger(ServerConnection.class.getName());
    /** What one call in flight counts against the budget beyond its payload. */
    private static final int CALL_OVERHEAD = 1024;
    /** {@link #inlineCall} while the reader is reading, not running a call. */
    private static final long READING = 0;
    /** {@link #inlineCall} once the watchdog has handed the reading over and no call runs inline yet. */
    private static final long HANDED_OVER = -1;

    private final ChannelServer server;
    private final SocketChannel socket;
    private final ExecutorInfo executor;
    private final boolean primary;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final int budget;
    private final Semaphore inFlight;
    private final Thread thread;
    /** The number of the call the reader runs inline, or {@link #READING}, or {@link #HANDED_OVER}. */
    private final AtomicLong inlineCall = new AtomicLong(READING);
    private final CountDownLatch readingEnded = new CountDownLatch(1);
    /** Calls run inline so far; written by the reader only. */
    private volatile long callsStarted;
    /** What the watchdog saw at its last look; used by the watchdog only. */
    private long watchedCall;
    private long watchedStarts;
    private List<? extends ExecutorFunctionProvider> providers = List.of();
    private Map<String, ExecutorFunction> functions = Map.of();

    ServerConnection(final ChannelServer server, final SocketChannel socket, final ExecutorInfo executor,
        final boolean primary)
    {
        this.server = server;
        this.socket = socket;
        this.executor = executor;
        this.primary = primary;
        this.reader = new FrameReader(socket, server.maxFrameSize());
        this.writer = new FrameWriter(socket);
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
        Closeables.closeQuietly(socket);
    }

    /**
     * Called by the server's watchdog once a tick: hands the reading over when the same call has been running inline
     * since the last tick.
     *
     * @return true when calls ran or started since the last tick
     */
    boolean watch()
    {
        final long current = inlineCall.get();
        final long starts = callsStarted;
        final boolean active = current > 0 || starts != watchedStarts;
        if (current > 0 && current == watchedCall && inlineCall.compareAndSet(current, HANDED_OVER))
        {
            try
            {
                server.workers().execute(this::read);
            }
            catch (final RejectedExecutionException ex)
            {
                endReading();
            }
        }
        watchedCall = current;
        watchedStarts = starts;
        return active;
    }

    /** @return true while a call runs inline */
    boolean runsInline()
    {
        return inlineCall.get() > 0;
    }

    private void run()
    {
        boolean greeted = false;
        try
        {
            if (openProviders())
            {
                writer.write(Protocol.HELLO, 0, Protocol.EMPTY, Protocol.encodeHello(executor, server.maxFrameSize()));
                greeted = true;
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
        inFlight.acquireUninterruptibly(budget);
        closeProviders();
        server.connectionEnded(this);
    }

    /** Reads and serves frames until the connection ends or the reading is handed over. */
    private void read()
    {
        boolean handedOver = false;
        try
        {
            handedOver = serve();
        }
        catch (final IOException | RuntimeException ex)
        {
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
            functions = byName;
            return true;
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.ERROR, "cannot open executor functions", ex);
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
                replyError(0, invalid(ex.getMessage()), null);
                return false;
            }
            catch (final EOFException ex)
            {
                return false;
            }
            if (frame == null || frame.type() == Protocol.GOODBYE)
            {
                return false;
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
        final long number = callsStarted + 1;
        callsStarted = number;
        inlineCall.set(number);
        server.callStarted();
        invoke(requestId, call, function, cost);
        return inlineCall.compareAndSet(number, READING);
    }

    private void invoke(final long requestId, final Protocol.Call call, final ExecutorFunction function, final int cost)
    {
        try
        {
            byte[] result;
            try
            {
                result = function.invoke(call.argument());
                if (result == null)
                {
                    result = Protocol.EMPTY;
                }
            }
            catch (final RuntimeException | Error ex)
            {
                replyError(requestId, ex, call.function());
                return;
            }
            final long frameSize = FrameWriter.frameSize(Protocol.EMPTY, result);
            if (frameSize > server.maxFrameSize())
            {
                replyError(requestId, new InvalidRequestException(MapperOperation.CALL, "result too large: function=" +
                    call.function() + " frameSize=" + frameSize + " max=" + server.maxFrameSize(),
                    MemoryMapperException.UNKNOWN, result.length), call.function());
                return;
            }
            writer.write(Protocol.RESULT, requestId, Protocol.EMPTY, result);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "reply not sent: requestId=" + requestId, ex);
            disconnect();
        }
        finally
        {
            inFlight.release(cost);
        }
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
