package org.jitmem.executor.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.jitmem.memory.MemoryLimits;

/**
 * The built executor jar listening on TCP ({@code --listen}) under limits (heap, committed memory), its standard
 * error in a file so that tests can read its log lines; closing it kills it.
 */
public final class ListeningExecutor implements AutoCloseable
{
    /** Bound on {@link #await}. */
    static final long AWAIT_SECONDS = 30;
    /** Most bytes the executor's memory may commit. */
    private static final long COMMITTED_LIMIT = 256L << 20;

    private final Process process;
    private final Path errors;
    private final int port;

    private ListeningExecutor(final Process process, final Path errors, final int port)
    {
        this.process = process;
        this.errors = errors;
        this.port = port;
    }

    /**
     * @param prefix    words before the java command, such as {@code ip netns exec <name>}, or none
     * @param listen    {@code host:port} to listen on
     * @param errors    the file standard error goes to
     * @param arguments further executor options
     * @return the executor, once it said it is ready
     * @throws Exception when it does not start
     */
    public static ListeningExecutor start(final List<String> prefix, final String listen, final Path errors,
        final List<String> arguments) throws Exception
    {
        return start(prefix, listen, errors, arguments, Map.of());
    }

    /**
     * @param prefix      words before the java command, or none
     * @param listen      {@code host:port} to listen on
     * @param errors      the file standard error goes to
     * @param arguments   further executor options
     * @param environment variables added to the executor's environment
     * @return the executor, once it said it is ready
     * @throws Exception when it does not start
     */
    public static ListeningExecutor start(final List<String> prefix, final String listen, final Path errors,
        final List<String> arguments, final Map<String, String> environment) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of("--listen", listen));
        all.addAll(arguments);
        final Process process = StandaloneExecutor.start(prefix, List.of("-Xmx128m",
            "-D" + MemoryLimits.COMMITTED_LIMIT_PROPERTY + "=" + COMMITTED_LIMIT,
            "-Djna.tmpdir=" + errors.resolveSibling("jna")), all, errors, environment);
        try
        {
            final String ready = StandaloneExecutor.awaitReadyLine(process);
            final String address = StandaloneExecutor.field(ready, "listen");
            return new ListeningExecutor(process, errors, Integer.parseInt(address.substring(
                address.lastIndexOf(':') + 1)));
        }
        catch (final Exception | Error ex)
        {
            process.destroyForcibly();
            process.waitFor(StandaloneExecutor.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("executor did not start; its errors:\n" + readErrors(errors), ex);
        }
    }

    /** @return the executor's process */
    public Process process()
    {
        return process;
    }

    /** @return the port it listens on */
    public int port()
    {
        return port;
    }

    /** @return its standard error so far */
    public String errors()
    {
        try
        {
            return readErrors(errors);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param text a piece of a log line
     * @return how many lines of standard error hold it so far
     */
    long countLines(final String text)
    {
        return errors().lines().filter(line -> line.contains(text)).count();
    }

    /**
     * Waits, bounded, for a condition, failing with the executor's standard error.
     *
     * @param condition what to wait for
     * @param what      the condition in words
     * @throws InterruptedException when interrupted
     */
    void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(AWAIT_SECONDS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + AWAIT_SECONDS + " s: " + what + "; executor errors:\n" +
                    errors());
            }
            Thread.sleep(20);
        }
    }

    /** @return the executor's threads now, from /proc */
    long threads() throws IOException
    {
        return Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")).stream()
            .filter(line -> line.startsWith("Threads:"))
            .mapToLong(line -> Long.parseLong(line.substring("Threads:".length()).trim()))
            .findFirst()
            .orElseThrow();
    }

    /** @return the executor's open descriptors now, from /proc */
    long descriptors()
    {
        try (var entries = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd")))
        {
            return entries.count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close()
    {
        process.destroy();
        try
        {
            if (!process.waitFor(StandaloneExecutor.TIMEOUT_SECONDS / 6, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(StandaloneExecutor.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String readErrors(final Path errors) throws IOException
    {
        return Files.exists(errors) ? Files.readString(errors, StandardCharsets.UTF_8) : "";
    }
}
