package org.jitmem.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorMain;
import org.jitmem.executor.ExecutorProcess;

/**
 * A real executor process started from this JVM's class path (so that the executor functions on it, found through
 * {@code META-INF/services}, are served), with the channel connected to it. Closing it closes the channel, waits for
 * the executor to exit and removes its socket directory.
 */
public final class BenchExecutor implements AutoCloseable
{
    private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms64m", "-Xmx256m");

    private final Path directory;
    private final ExecutorProcess executor;
    private final SocketExecutorChannel channel;

    private BenchExecutor(final Path directory, final ExecutorProcess executor, final SocketExecutorChannel channel)
    {
        this.directory = directory;
        this.executor = executor;
        this.channel = channel;
    }

    /**
     * Starts the executor and connects to it.
     *
     * @return the running executor
     * @throws IllegalStateException when it did not start in time
     */
    public static BenchExecutor start()
    {
        Path directory = null;
        ExecutorProcess executor = null;
        try
        {
            directory = Files.createTempDirectory("jitmem-bench-");
            executor = ExecutorProcess.start(ExecutorMain.class, JVM_OPTIONS,
                directory.resolve("run").resolve("executor.sock"), ExecutorProcess.EXECUTOR_READY,
                "--exit-with-parent");
            return new BenchExecutor(directory, executor, executor.connect());
        }
        catch (final Exception ex)
        {
            if (ex instanceof InterruptedException)
            {
                Thread.currentThread().interrupt();
            }
            final IllegalStateException failure = new IllegalStateException("executor did not start: " + ex, ex);
            try
            {
                remove(executor, directory);
            }
            catch (final RuntimeException cleanup)
            {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
    }

    /** @return the executor's process id */
    public long pid()
    {
        return executor.process().pid();
    }

    /** @return the channel to the executor */
    public SocketExecutorChannel channel()
    {
        return channel;
    }

    @Override
    public void close()
    {
        channel.close();
        executor.awaitExit();
        remove(executor, directory);
    }

    private static void remove(final ExecutorProcess executor, final Path directory)
    {
        try
        {
            if (executor != null)
            {
                executor.close();
            }
            if (directory != null)
            {
                ExecutorProcess.deleteTree(directory);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot remove the executor directory: directory=" + directory, ex);
        }
    }
}
