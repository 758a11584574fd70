package org.jitmem.channel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/**
 * One accepted connection of a {@link ChannelServer}: its thread reads frames and hands calls to the server's
 * workers; replies are written by whichever worker finished the call. The bytes of calls in flight are bounded by a
 * budget, so a client that sends faster than calls complete is simply no longer read. When the connection ends, the
 * thread waits for its calls to finish and then closes the connection's providers.
 */
final class ServerConnection
{
    private static final System.Logger LOG = System.getLogger(ServerConnection.class.getName());
    /** What one call in flight counts against the budget beyond its payload. */
    private static final int CALL_OVERHEAD = 1024;

    private final ChannelServer server;
    private final SocketChannel socket;
    private final ExecutorInfo executor;
    private final boolean primary;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final int budget;
    private final Semaphore inFlight;
    private final Thread thread;
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

    private void run()
    {
        try
        {
            if (openProviders())
            {
                writer.write(Protocol.HELLO, 0, Protocol.EMPTY, Protocol.encodeHello(executor, server.maxFrameSize()));
                serve();
            }
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "connection lost", ex);
        }
        finally
        {
            disconnect();
            inFlight.acquireUninterruptibly(budget);
            closeProviders();
            server.connectionEnded(this);
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

    private void serve() throws IOException
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
                return;
            }
            catch (final EOFException ex)
            {
                return;
            }
            if (frame == null || frame.type() == Protocol.GOODBYE)
            {
                return;
            }
            if (frame.type() == Protocol.CALL)
            {
                dispatch(frame);
            }
            else
            {
                replyError(frame.requestId(), invalid("unexpected frame type: type=" +
                    Protocol.typeName(frame.type())), null);
            }
        }
    }

    private void dispatch(final Frame frame) throws IOException
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
            return;
        }
        final ExecutorFunction function = functions.get(call.function());
        if (function == null)
        {
            replyError(requestId, new InvalidRequestException(MapperOperation.CALL, "unknown executor function: function=" +
                call.function(), MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN), call.function());
            return;
        }
        final int cost = frame.payload().length + CALL_OVERHEAD;
        inFlight.acquireUninterruptibly(cost);
        try
        {
            server.workers().execute(() -> invoke(requestId, call, function, cost));
        }
        catch (final RejectedExecutionException ex)
        {
            inFlight.release(cost);
            replyError(requestId, new InvalidRequestException(MapperOperation.CALL, "executor is shutting down: function=" +
                call.function(), MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN), call.function());
        }
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
