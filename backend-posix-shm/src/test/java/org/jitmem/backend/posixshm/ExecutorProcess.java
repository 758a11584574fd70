package org.jitmem.backend.posixshm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real child JVM on this test's class path, so that the executor program finds the shared-memory functions with
 * its ServiceLoader; waits for the line the child prints when it is ready.
 */
final class ExecutorProcess implements AutoCloseable
{
    /** Bound on every wait for a child process. */
    static final long TIMEOUT_SECONDS = 60;

    private static final String EXECUTOR_MAIN = "org.jitmem.executor.ExecutorMain";

    private final Process process;
    private final Path socket;
    private final String readyLine;

    private ExecutorProcess(final Process process, final Path socket, final String readyLine)
    {
        this.process = process;
        this.socket = socket;
        this.readyLine = readyLine;
    }

    /**
     * @param socket     socket path in a directory that does not exist yet
     * @param properties system properties such as {@code -Dname=value}
     * @return the started executor, ready for connections
     */
    static ExecutorProcess startExecutor(final Path socket, final List<String> properties) throws Exception
    {
        return start(EXECUTOR_MAIN, socket, properties, "jitmem-executor ready");
    }

    /**
     * @param mainClass   main class on this class path
     * @param socket      socket path passed as the first argument
     * @param properties  system properties
     * @param readyPrefix start of the line printed once ready
     * @return the started process
     */
    static ExecutorProcess start(final String mainClass, final Path socket, final List<String> properties,
        final String readyPrefix) throws Exception
    {
        final String java = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
            System.getProperty("java.class.path")));
        command.addAll(properties);
        command.add(mainClass);
        command.addAll(List.of("--socket", socket.toString()));
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new ExecutorProcess(process, socket, readLine(process, readyPrefix));
    }

    /** @return the process */
    Process process()
    {
        return process;
    }

    /** @return the executor's socket */
    Path socket()
    {
        return socket;
    }

    /**
     * @param key a key of the ready line's {@code key=value} words
     * @return its value
     */
    String field(final String key)
    {
        for (final String word : readyLine.split(" "))
        {
            if (word.startsWith(key + "="))
            {
                return word.substring(key.length() + 1);
            }
        }
        throw new IllegalArgumentException("no field: key=" + key + " line=" + readyLine);
    }

    /**
     * @param pid a process id
     * @return true once the process has ended (a zombie counts), false after the timeout
     */
    static boolean awaitGone(final long pid) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline)
        {
            try
            {
                final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z"))
                {
                    return true;
                }
            }
            catch (final IOException gone)
            {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Override
    public void close() throws IOException
    {
        process.destroyForcibly();
        try
        {
            process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (Files.exists(socket.getParent()))
        {
            try (Stream<Path> paths = Files.walk(socket.getParent()))
            {
                for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static String readLine(final Process process, final String prefix) throws Exception
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        final CompletableFuture<String> line = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                for (String next = out.readLine(); next != null; next = out.readLine())
                {
                    if (next.startsWith(prefix))
                    {
                        return next;
                    }
                }
                throw new IllegalStateException("process ended before printing: prefix=" + prefix);
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        try
        {
            return line.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            process.destroyForcibly();
            throw ex;
        }
    }
}
