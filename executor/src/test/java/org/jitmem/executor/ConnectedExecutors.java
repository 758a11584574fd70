package org.jitmem.executor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jitmem.channel.SocketExecutorChannel;

/** Executor processes a test starts, each with the channel it connected, closed together. */
public final class ConnectedExecutors implements AutoCloseable
{
    private final List<ExecutorProcess> executors = new ArrayList<>();
    private final List<SocketExecutorChannel> channels = new ArrayList<>();

    /**
     * Starts an executor with the test JVM options and connects to it.
     *
     * @param directory where its socket's private directory goes
     * @return the channel to it
     * @throws Exception when it did not get ready in time
     */
    public SocketExecutorChannel connect(final Path directory) throws Exception
    {
        final ExecutorProcess executor = ExecutorProcess.start(directory.resolve("run-" + executors.size())
            .resolve("executor.sock"), List.of());
        executors.add(executor);
        final SocketExecutorChannel channel = executor.connect();
        channels.add(channel);
        return channel;
    }

    /** Closes every channel, then kills every executor and waits for it. */
    @Override
    public void close() throws IOException
    {
        channels.forEach(SocketExecutorChannel::close);
        for (final ExecutorProcess executor : executors)
        {
            executor.close();
        }
        channels.clear();
        executors.clear();
    }
}
