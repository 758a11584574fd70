package org.jitmem.executor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jitmem.channel.PrivateDirectories;
import org.jitmem.channel.SocketExecutorChannel;

/**
 * A real child JVM on this JVM's class path (so that the executor program finds the executor functions on it through
 * {@code META-INF/services}), started with {@code --socket <path>}; waits for the line the child prints once ready.
 * Closing it kills the child, waits for it and removes the socket's directory.
 */
public final class ExecutorProcess implements AutoCloseable
{
    /** Bound in seconds on every wait for a child process. */
    public static final long TIMEOUT_SECONDS = 60;

    /** JVM options of test children: a small heap, a quick start and a committed limit of 256 MiB. */
    public static final List<String> TEST_JVM_OPTIONS = List.of("-Xmx128m", "-XX:TieredStopAtLevel=1",
        "-Djitmem.memory.committedLimit=268435456");

    /** Start of the line the executor program prints once it accepts connections. */
    public static final String EXECUTOR_READY = "jitmem-executor ready";

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
     * Starts the executor program with the test JVM options.
     *
     * @param socket     socket path in a directory that does not exist yet
     * @param properties system properties such as {@code -Dname=value}
     * @param options    executor options after {@code --socket <path>}
     * @return the started executor, ready for connections
     * @throws Exception when it did not get ready in time
     */
    public static ExecutorProcess start(final Path socket, final List<String> properties, final String... options)
        throws Exception
    {
        return start(ExecutorMain.class, testJvmOptions(properties), socket, EXECUTOR_READY, options);
    }

    /**
     * Starts a main class of this class path; on failure nothing is left behind.
     *
     * @param mainClass   main class taking {@code --socket <path>} first
     * @param jvmOptions  all JVM options, such as {@link #testJvmOptions(List)}
     * @param socket      socket path in a directory that does not exist yet
     * @param readyPrefix start of the line the child prints once ready
     * @param options     arguments after {@code --socket <path>}
     * @return the started process
     * @throws Exception when it did not get ready in time
     */
    public static ExecutorProcess start(final Class<?> mainClass, final List<String> jvmOptions, final Path socket,
        final String readyPrefix, final String... options) throws Exception
    {
        final List<String> arguments = new ArrayList<>(List.of("--socket", socket.toString()));
        arguments.addAll(List.of(options));
        // Never the test JVM's own stderr: a child that outlives a crashed test JVM would hold the build's pipe open.
        final Path errors = socket.toAbsolutePath().getParent().resolveSibling(
            socket.getParent().getFileName() + "-" + mainClass.getSimpleName() + ".stderr");
        return launch(mainClass, jvmOptions, arguments, socket, errors, readyPrefix);
    }

    /**
     * Starts the executor program listening on TCP ({@code --listen}); on failure nothing is left behind. It has no
     * socket: {@link #socket()} is null, and {@link #field} names its {@code listen} address.
     *
     * @param jvmOptions all JVM options
     * @param errors     the file standard error is appended to
     * @param options    the executor's options, {@code --listen <host:port>} and its TLS stores among them
     * @return the started executor, ready for connections
     * @throws Exception when it did not get ready in time
     */
    public static ExecutorProcess startListening(final List<String> jvmOptions, final Path errors,
        final String... options) throws Exception
    {
        return launch(ExecutorMain.class, jvmOptions, List.of(options), null, errors, EXECUTOR_READY);
    }

    private static ExecutorProcess launch(final Class<?> mainClass, final List<String> jvmOptions,
        final List<String> arguments, final Path socket, final Path errors, final String readyPrefix) throws Exception
    {
        final String java = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(arguments);
        final Process process = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(errors.toFile())).start();
        try
        {
            return new ExecutorProcess(process, socket, readLine(process, readyPrefix));
        }
        catch (final Exception ex)
        {
            try
            {
                new ExecutorProcess(process, socket, "").close();
            }
            catch (final IOException cleanup)
            {
                ex.addSuppressed(cleanup);
            }
            throw ex;
        }
    }

    /**
     * @param properties system properties such as {@code -Dname=value}
     * @return {@link #TEST_JVM_OPTIONS} followed by the properties
     */
    public static List<String> testJvmOptions(final List<String> properties)
    {
        final List<String> options = new ArrayList<>(TEST_JVM_OPTIONS);
        options.addAll(properties);
        return options;
    }

    /**
     * @param pid a process id
     * @return true once the process has ended (a zombie counts), false after the timeout
     * @throws InterruptedException when interrupted while waiting
     */
    public static boolean awaitGone(final long pid) throws InterruptedException
    {
        return awaitGone(pid, Duration.ofSeconds(TIMEOUT_SECONDS));
    }

    /**
     * @param pid   a process id
     * @param bound how long to wait
     * @return true once the process has ended (a zombie counts), false after the bound
     * @throws InterruptedException when interrupted while waiting
     */
    public static boolean awaitGone(final long pid, final Duration bound) throws InterruptedException
    {
        final long deadline = System.nanoTime() + bound.toNanos();
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

    /**
     * Removes a directory tree, such as one left behind by a killed executor.
     *
     * @param directory the tree's root; nothing happens when it does not exist
     * @throws IOException when a file cannot be removed
     */
    public static void deleteTree(final Path directory) throws IOException
    {
        PrivateDirectories.deleteTree(directory);
    }

    /** @return the child process */
    public Process process()
    {
        return process;
    }

    /** @return the executor's socket, null when it listens on TCP */
    public Path socket()
    {
        return socket;
    }

    /**
     * @param key a key of the ready line's {@code key=value} words
     * @return its value
     */
    public String field(final String key)
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

    /** @return a new channel to the executor, owned by the caller */
    public SocketExecutorChannel connect()
    {
        return SocketExecutorChannel.connect(socket, Duration.ofSeconds(TIMEOUT_SECONDS));
    }

    /**
     * Waits for the child to end by itself.
     *
     * @return true when it ended within the timeout
     */
    public boolean awaitExit()
    {
        try
        {
            return process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() throws IOException
    {
        process.destroyForcibly();
        awaitExit();
        if (socket != null)
        {
            deleteTree(socket.getParent());
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
        return line.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
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
}
