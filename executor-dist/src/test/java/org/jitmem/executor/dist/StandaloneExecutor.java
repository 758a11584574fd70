package org.jitmem.executor.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The built executor jar started with {@code java -jar}, nothing else on its class path. */
final class StandaloneExecutor
{
    /** Bound in seconds on every wait of these tests. */
    static final long TIMEOUT_SECONDS = 60;
    /** System property naming the jar under test. */
    static final String JAR_PROPERTY = "jitmem.executor.jar";
    /** The jar under test. */
    static final Path JAR = Path.of(System.getProperty(JAR_PROPERTY));
    private static final String READY_PREFIX = "jitmem-executor ready";

    private StandaloneExecutor()
    {
    }

    /**
     * @param jvmOptions JVM options before {@code -jar}
     * @param socket     the socket to listen on
     * @param errors     where the executor's standard error goes, or null to inherit it
     * @param options    executor options after {@code --socket <path>}
     * @return the started process; its ready line is read with {@link #awaitReadyLine}
     * @throws IOException when it cannot be started
     */
    static Process start(final List<String> jvmOptions, final Path socket, final Path errors,
        final String... options) throws IOException
    {
        final List<String> arguments = new ArrayList<>(List.of("--socket", socket.toString()));
        arguments.addAll(List.of(options));
        return start(List.of(), jvmOptions, arguments, errors);
    }

    /**
     * @param prefix     words before the java command, such as {@code ip netns exec <name>}
     * @param jvmOptions JVM options before {@code -jar}
     * @param arguments  the executor's arguments
     * @param errors     where the executor's standard error goes, or null to inherit it
     * @return the started process
     * @throws IOException when it cannot be started
     */
    static Process start(final List<String> prefix, final List<String> jvmOptions, final List<String> arguments,
        final Path errors) throws IOException
    {
        return start(prefix, jvmOptions, arguments, errors, Map.of());
    }

    /**
     * @param prefix      words before the java command, such as {@code ip netns exec <name>}
     * @param jvmOptions  JVM options before {@code -jar}
     * @param arguments   the executor's arguments
     * @param errors      where the executor's standard error goes, or null to inherit it
     * @param environment variables added to the executor's environment
     * @return the started process
     * @throws IOException when it cannot be started
     */
    static Process start(final List<String> prefix, final List<String> jvmOptions, final List<String> arguments,
        final Path errors, final Map<String, String> environment) throws IOException
    {
        final List<String> command = new ArrayList<>(prefix);
        command.add(javaCommand());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(arguments);
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectError(errors == null ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.appendTo(
                errors.toFile()));
        builder.environment().putAll(environment);
        return builder.start();
    }

    /**
     * @param process a process that prints a line starting with {@code prefix} once ready
     * @param prefix  the start of that line
     * @return the line
     * @throws Exception when the process ends first or the line does not come within the timeout
     */
    static String awaitLine(final Process process, final String prefix) throws Exception
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        return CompletableFuture.supplyAsync(() ->
        {
            try
            {
                for (String line = out.readLine(); line != null; line = out.readLine())
                {
                    if (line.startsWith(prefix))
                    {
                        return line;
                    }
                }
                throw new IllegalStateException("process ended before its ready line: exit=" + process.waitFor());
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("cannot read the process's output", ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ex);
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** @return the executor's ready line */
    static String awaitReadyLine(final Process process) throws Exception
    {
        return awaitLine(process, READY_PREFIX);
    }

    /**
     * @param line a line of {@code key=value} words
     * @param key  a key
     * @return its value
     */
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

    /** @return this JVM's java command */
    static String javaCommand()
    {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
