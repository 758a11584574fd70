package org.jitmem.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.channel.TcpConnectOptions;
import org.jitmem.executor.ExecutorMain;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.executor.TestCertificates;

/**
 * A real executor process started from this JVM's class path (so that the executor functions on it, found through
 * {@code META-INF/services}, are served), with the channel connected to it: over its private Unix domain socket, or
 * over TCP with mutually authenticated TLS 1.3 ({@link #listen}). Closing it closes the channel, waits for the executor
 * to exit (a TCP executor outlives its controllers: it is killed) and removes its directory.
 */
public final class BenchExecutor implements AutoCloseable
{
    private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms64m", "-Xmx256m");

    private final Path directory;
    private final ExecutorProcess executor;
    private final SocketExecutorChannel channel;
    private final boolean exitsWithController;

    private BenchExecutor(final Path directory, final ExecutorProcess executor, final SocketExecutorChannel channel,
        final boolean exitsWithController)
    {
        this.directory = directory;
        this.executor = executor;
        this.channel = channel;
        this.exitsWithController = exitsWithController;
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
            return new BenchExecutor(directory, executor, executor.connect(), true);
        }
        catch (final Exception ex)
        {
            throw startFailure(ex, executor, directory);
        }
    }

    /**
     * Starts the executor listening on TCP at {@code 127.0.0.1:listenPort} with TLS, and connects to it at
     * {@code connectHost:connectPort} (the executor itself, or a proxy in front of it), authenticated both ways.
     *
     * @param certificates the certificates {@link TestCertificates} made: the executor's and the controller's keys
     * @param listenPort   the port the executor listens on, 0 for any
     * @param connectTo    {@code host:port} to connect to, or null for the executor's own address
     * @return the running executor
     * @throws IllegalStateException when it did not start in time
     */
    public static BenchExecutor listen(final TestCertificates certificates, final int listenPort, final String connectTo)
    {
        Path directory = null;
        ExecutorProcess executor = null;
        try
        {
            directory = Files.createTempDirectory("jitmem-bench-");
            final List<String> options = certificates.executorTlsOptions("--listen", "127.0.0.1:" + listenPort,
                "--exit-with-parent");
            executor = ExecutorProcess.startListening(JVM_OPTIONS, directory.resolve("executor.stderr"),
                options.toArray(String[]::new));
            final String address = connectTo != null ? connectTo : executor.field("listen");
            final int colon = address.lastIndexOf(':');
            final SocketExecutorChannel channel = TcpConnectOptions.builder(address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1))).tls(certificates.context("controller")).build()
                .connect();
            return new BenchExecutor(directory, executor, channel, false);
        }
        catch (final Exception ex)
        {
            throw startFailure(ex, executor, directory);
        }
    }

    private static IllegalStateException startFailure(final Exception ex, final ExecutorProcess executor,
        final Path directory)
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
        return failure;
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
        if (exitsWithController)
        {
            executor.awaitExit();
        }
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
