package org.jitmem.launcher.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.channel.PrivateDirectories;
import org.jitmem.channel.SocketExecutorChannel;
import org.osgi.service.log.Logger;

/**
 * One executor program running as a child process: its private 0700 directory (the program's jar, its socket, its
 * native library), the process, the threads draining its output into the log, and the channel to it. {@link #stop}
 * is the one release path; it leaves no process, socket or directory behind. When this process is killed, the
 * executor exits with it and removes the directory itself ({@code --remove-directory-on-exit}).
 */
final class LaunchedExecutor
{
    /** The standalone executor: the program with the shared-memory functions, runnable with {@code java -jar}. */
    static final String EXECUTOR_JAR = "jitmem-executor.jar";
    /** Where the build embeds {@link #EXECUTOR_JAR} in this bundle. */
    static final String EMBEDDED_JAR = "/executor/" + EXECUTOR_JAR;
    /** Prefix of every private directory, under the configured parent. */
    static final String DIRECTORY_PREFIX = "jitmem-executor-";

    /** A log event of the executor program, as its one-line format writes it; the executor's time is dropped. */
    private static final Pattern EXECUTOR_EVENT =
        Pattern.compile("\\S+ (SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST) (.*)");
    private static final String READY_PREFIX = "jitmem-executor ready";
    private static final String SOCKET_NAME = "executor.sock";
    private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long PROGRESS_LOG_SECONDS = 5;
    private static final long MIN_CONNECT_MILLIS = 1_000;
    private static final long READER_JOIN_MILLIS = 2_000;
    private static final int KEPT_ERROR_LINES = 20;

    private final Logger log;
    private final Path directory;
    private final Path socket;
    private final Process process;
    private final Duration stopTimeout;
    private final CompletableFuture<String> ready = new CompletableFuture<>();
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private final ArrayDeque<String> lastErrorLines = new ArrayDeque<>();
    private final List<Thread> readers = new ArrayList<>(2);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Instant startedAt = Instant.now();
    private volatile SocketExecutorChannel channel;
    private volatile String exit = "";

    private LaunchedExecutor(final Logger log, final Path directory, final Process process, final Duration stopTimeout)
    {
        this.log = log;
        this.directory = directory;
        this.socket = directory.resolve(SOCKET_NAME);
        this.process = process;
        this.stopTimeout = stopTimeout;
    }

    /**
     * Extracts the embedded standalone executor into a new private directory, starts it, waits (bounded) for its ready
     * line and connects to it. On any failure everything created so far is removed again.
     *
     * @param settings the launcher settings
     * @param progress told, in words, what is happening while the start is under way
     * @param log      where events go, the executor's standard error among them
     * @return the running executor with its channel open
     * @throws ExecutorUnavailableException when the executor could not be started, did not get ready in time, or
     *                                      the waiting thread was interrupted
     */
    static LaunchedExecutor launch(final LauncherSettings settings, final Consumer<String> progress, final Logger log)
    {
        final Path directory = createDirectory(settings.directory());
        final Process process;
        try
        {
            final Path jar = extractEmbeddedJar(directory);
            final List<String> command = new ArrayList<>();
            command.add(settings.javaCommand());
            command.addAll(settings.jvmOptions());
            command.add("-Djna.tmpdir=" + directory.resolve("jna"));
            command.addAll(List.of("-jar", jar.toString(), "--socket", directory.resolve(SOCKET_NAME).toString(),
                "--exit-with-parent", "--remove-directory-on-exit"));
            progress.accept("starting: " + String.join(" ", command));
            process = new ProcessBuilder(command).directory(directory.toFile()).start();
        }
        catch (final IOException | RuntimeException ex)
        {
            deleteTree(directory, log);
            throw unavailable("cannot start the executor: directory=" + directory + " reason=" + ex, ex);
        }
        final LaunchedExecutor executor = new LaunchedExecutor(log, directory, process, settings.stopTimeout());
        try
        {
            executor.drainOutput();
            executor.awaitReady(settings.startTimeout(), progress);
            executor.connect(settings.startTimeout());
            return executor;
        }
        catch (final RuntimeException ex)
        {
            final String exitText = executor.stop();
            final String errors = executor.lastErrors();
            throw unavailable("executor did not start: pid=" + process.pid() + " reason=" + ex.getMessage() +
                " exit=" + exitText + (errors.isEmpty() ? "" : " stderr=" + errors), ex);
        }
    }

    /** @return the executor's process id */
    long pid()
    {
        return process.pid();
    }

    /** @return the socket the channel is connected to */
    Path socket()
    {
        return socket;
    }

    /** @return the private directory, removed by {@link #stop} */
    Path directory()
    {
        return directory;
    }

    /** @return when the process was started */
    Instant startedAt()
    {
        return startedAt;
    }

    /** @return the channel to the executor, open until the executor ends or {@link #stop} */
    SocketExecutorChannel channel()
    {
        return channel;
    }

    /** @return true while the process runs */
    boolean isAlive()
    {
        return process.isAlive();
    }

    /** @return completes, with the reason in words, when the process exits or the channel closes */
    CompletionStage<String> ended()
    {
        return ended;
    }

    /**
     * Closes the channel (the executor then releases what it holds and exits), waits for the process to exit within
     * the stop timeout, kills it when it has not, and removes the private directory. Idempotent; runs to the end even
     * when the calling thread is interrupted, whose interrupt status it keeps.
     *
     * @return how the process ended, in words
     */
    String stop()
    {
        if (!closed.compareAndSet(false, true))
        {
            return exit;
        }
        final boolean interrupted = Thread.interrupted();
        try
        {
            final SocketExecutorChannel open = channel;
            if (open != null)
            {
                open.close();
            }
            closeQuietly(process.getOutputStream());
            boolean exited = waitFor(stopTimeout);
            boolean killed = false;
            if (!exited)
            {
                log.warn("executor did not exit in time, killing it: pid={} timeout={}",
                    Long.toString(process.pid()), stopTimeout);
                process.destroyForcibly();
                killed = true;
                exited = waitFor(stopTimeout);
            }
            joinReaders();
            deleteTree(directory, log);
            exit = exited ? (killed ? "killed, " : "") + "exitCode=" + process.exitValue() :
                "still running after kill: pid=" + process.pid();
            ended.complete("closed: " + exit);
            return exit;
        }
        finally
        {
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void drainOutput()
    {
        process.onExit().thenRun(() ->
        {
            ready.completeExceptionally(new IllegalStateException("executor exited before it was ready: exitCode=" +
                process.exitValue()));
            ended.complete("process exited: exitCode=" + process.exitValue());
        });
        startReader(process.getInputStream(), "output", line ->
        {
            if (line.startsWith(READY_PREFIX))
            {
                ready.complete(line);
            }
            log.debug("executor pid={} out: {}", Long.toString(process.pid()), line);
        });
        startReader(process.getErrorStream(), "error", line ->
        {
            synchronized (lastErrorLines)
            {
                if (lastErrorLines.size() == KEPT_ERROR_LINES)
                {
                    lastErrorLines.removeFirst();
                }
                lastErrorLines.addLast(line);
            }
            logErrorLine(line);
        });
    }

    /**
     * Logs one line of the executor's standard error: its own log events ({@code <time> <LEVEL> <logger> <message>},
     * one a line) keep their level, anything else it prints is information.
     */
    private void logErrorLine(final String line)
    {
        final Matcher event = EXECUTOR_EVENT.matcher(line);
        final String pid = Long.toString(process.pid());
        if (!event.matches())
        {
            log.info("executor pid={} err: {}", pid, line);
            return;
        }
        switch (event.group(1))
        {
            case "SEVERE" -> log.error("executor pid={}: {}", pid, event.group(2));
            case "WARNING" -> log.warn("executor pid={}: {}", pid, event.group(2));
            case "INFO" -> log.info("executor pid={}: {}", pid, event.group(2));
            default -> log.debug("executor pid={}: {}", pid, event.group(2));
        }
    }

    private void startReader(final InputStream stream, final String name, final Consumer<String> lines)
    {
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8)))
            {
                for (String line = in.readLine(); line != null; line = in.readLine())
                {
                    lines.accept(line);
                }
            }
            catch (final IOException ex)
            {
                log.debug("executor output closed: pid=" + process.pid() + " stream=" + name, ex);
            }
            ready.completeExceptionally(new IllegalStateException("executor closed its standard " + name +
                " before it was ready"));
        }, "jitmem-executor-" + name + "-" + process.pid());
        reader.setDaemon(true);
        readers.add(reader);
        reader.start();
    }

    private void awaitReady(final Duration timeout, final Consumer<String> progress)
    {
        final long start = System.nanoTime();
        final long deadline = start + timeout.toNanos();
        progress.accept("waiting for the ready line: pid=" + process.pid() + " timeout=" + timeout.toSeconds() + " s");
        while (true)
        {
            final long remaining = deadline - System.nanoTime();
            if (remaining <= 0)
            {
                throw new IllegalStateException("no ready line in time: timeout=" + timeout);
            }
            try
            {
                final String line = ready.get(Math.min(remaining, PROGRESS_NANOS), TimeUnit.NANOSECONDS);
                progress.accept("ready: " + line);
                return;
            }
            catch (final TimeoutException ex)
            {
                final long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                final String message = "still waiting for the ready line: pid=" + process.pid() + " elapsed=" +
                    seconds + " s";
                progress.accept(message);
                if (seconds > 0 && seconds % PROGRESS_LOG_SECONDS == 0)
                {
                    log.info(message);
                }
            }
            catch (final ExecutionException ex)
            {
                throw new IllegalStateException(ex.getCause().getMessage(), ex.getCause());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the ready line", ex);
            }
        }
    }

    private void connect(final Duration timeout)
    {
        final SocketExecutorChannel connected = SocketExecutorChannel.connect(socket,
            Duration.ofMillis(Math.max(MIN_CONNECT_MILLIS, timeout.toMillis())));
        channel = connected;
        if (connected.executor().pid() != process.pid())
        {
            throw new IllegalStateException("another process answered on the socket: expectedPid=" + process.pid() +
                " pid=" + connected.executor().pid());
        }
        connected.closed().thenAccept(reason -> ended.complete("channel closed: " +
            (reason == null ? "on request" : reason.getMessage())));
        if (closed.get())
        {
            connected.close();
        }
    }

    private String lastErrors()
    {
        synchronized (lastErrorLines)
        {
            return String.join(" | ", lastErrorLines);
        }
    }

    private boolean waitFor(final Duration timeout)
    {
        try
        {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private void joinReaders()
    {
        for (final Thread reader : readers)
        {
            try
            {
                reader.join(READER_JOIN_MILLIS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Path createDirectory(final Path parent)
    {
        try
        {
            Files.createDirectories(parent);
            return Files.createTempDirectory(parent, DIRECTORY_PREFIX,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        catch (final IOException | RuntimeException ex)
        {
            throw unavailable("cannot create the executor's private directory: parent=" + parent + " reason=" + ex, ex);
        }
    }

    private static Path extractEmbeddedJar(final Path directory) throws IOException
    {
        try (InputStream embedded = LaunchedExecutor.class.getResourceAsStream(EMBEDDED_JAR))
        {
            if (embedded == null)
            {
                throw new IOException("not embedded in the runtime: resource=" + EMBEDDED_JAR);
            }
            final Path jar = directory.resolve(EXECUTOR_JAR);
            Files.copy(embedded, jar);
            return jar;
        }
    }

    /**
     * Removes a directory tree without following links.
     *
     * @param directory the tree's root
     * @param log       where a failure goes
     * @return true when nothing is left
     */
    static boolean deleteTree(final Path directory, final Logger log)
    {
        try
        {
            PrivateDirectories.deleteTree(directory);
            return true;
        }
        catch (final IOException ex)
        {
            log.warn("cannot remove the executor's private directory: directory=" + directory, ex);
            return false;
        }
    }

    private void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ex)
        {
            log.debug("closing failed: " + ex);
        }
    }

    private static ExecutorUnavailableException unavailable(final String reason, final Throwable cause)
    {
        return new ExecutorUnavailableException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN, cause);
    }
}
