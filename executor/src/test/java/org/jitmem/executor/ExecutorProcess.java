package org.jitmem.executor;

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

/** A real executor started as a child JVM on this test's class path; waits for its ready line. */
final class ExecutorProcess implements AutoCloseable
{
    static final long TIMEOUT_SECONDS = 60;

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
     * @param socket     socket path; its directory should not exist yet
     * @param properties system properties such as {@code -Dname=value}
     * @param options    executor options after {@code --socket}
     */
    static ExecutorProcess start(final Path socket, final List<String> properties, final String... options)
        throws Exception
    {
        final List<String> arguments = new ArrayList<>(List.of("--socket", socket.toString()));
        arguments.addAll(List.of(options));
        final Process process = java(ExecutorMain.class, properties, arguments).start();
        final String ready = readLine(process, "jitmem-executor ready");
        return new ExecutorProcess(process, socket, ready);
    }

    /** @return a builder for a JVM running {@code mainClass} on this test's class path, stderr inherited */
    static ProcessBuilder java(final Class<?> mainClass, final List<String> properties, final List<String> arguments)
    {
        final String java = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
            System.getProperty("java.class.path")));
        command.addAll(properties);
        command.add(mainClass.getName());
        command.addAll(arguments);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    /** Reads standard output until a line starting with {@code prefix}, with a bounded wait. */
    static String readLine(final Process process, final String prefix) throws Exception
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

    /** @return the value of {@code key=} in a line of {@code key=value} words */
    static String field(final String line, final String key)
    {
        for (final String word : line.split(" "))
        {
            if (word.startsWith(key + "="))
            {
                return word.substring(key.length() + 1);
            }
        }
        throw new IllegalArgumentException("no field: key=" + key + " line=" + line);
    }

    /** @return true once the process with this pid has ended (a zombie counts as ended), false on timeout */
    static boolean awaitGone(final long pid) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline)
        {
            if (isGone(pid))
            {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    private static boolean isGone(final long pid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    /** Removes a directory tree left behind by a killed executor. */
    static void deleteTree(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
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
    }

    Process process()
    {
        return process;
    }

    Path socket()
    {
        return socket;
    }

    String readyLine()
    {
        return readyLine;
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
        deleteTree(socket.getParent());
    }
}
