package org.jitmem.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorMain;

/**
 * A real executor process started from this JVM's class path (so that the executor functions on it, found through
 * {@code META-INF/services}, are served), with the channel connected to it. Closing it closes the channel, waits for
 * the executor to exit and removes its socket directory.
 */
public final class BenchExecutor implements AutoCloseable
{
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String READY = "jitmem-executor ready";

    private final Process process;
    private final Path directory;
    private final SocketExecutorChannel channel;

    private BenchExecutor(final Process process, final Path directory, final SocketExecutorChannel channel)
    {
        this.process = process;
        this.directory = directory;
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
        Process process = null;
        try
        {
            directory = Files.createTempDirectory("jitmem-bench-");
            final Path socket = directory.resolve("run").resolve("executor.sock");
            process = new ProcessBuilder(command(socket)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            awaitReady(process);
            final SocketExecutorChannel channel = SocketExecutorChannel.connect(socket, TIMEOUT);
            return new BenchExecutor(process, directory, channel);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (process != null)
            {
                process.destroyForcibly();
                waitFor(process);
            }
            deleteTree(directory);
            throw new IllegalStateException("executor did not start: " + ex, ex);
        }
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
        if (!waitFor(process))
        {
            process.destroyForcibly();
            waitFor(process);
        }
        deleteTree(directory);
    }

    private static List<String> command(final Path socket)
    {
        final String java = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xms64m", "-Xmx256m", "-cp",
            System.getProperty("java.class.path"), ExecutorMain.class.getName(), "--socket", socket.toString(),
            "--exit-with-parent"));
    }

    private static void awaitReady(final Process process) throws IOException
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null; line = out.readLine())
        {
            if (line.startsWith(READY))
            {
                return;
            }
        }
        throw new IOException("executor ended before it was ready: alive=" + process.isAlive());
    }

    private static boolean waitFor(final Process process)
    {
        try
        {
            return process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void deleteTree(final Path directory)
    {
        if (directory == null || !Files.exists(directory))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot remove the executor directory: directory=" + directory, ex);
        }
    }
}
