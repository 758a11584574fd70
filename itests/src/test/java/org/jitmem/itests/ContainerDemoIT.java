package org.jitmem.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runnable container, started the way a person starts it: {@code java -jar jitmem-container.jar demo}. */
final class ContainerDemoIT
{
    private static final long TIMEOUT_SECONDS = 300;
    private static final Pattern EXECUTOR_RUNNING = Pattern.compile("executor running: pid (\\d+), socket ");
    private static final Pattern POSIX_SHM_SELECTED = Pattern.compile("(?m)^\\* posix-shm\\s+service\\.id=");
    private static final Pattern INPROCESS_SELECTED = Pattern.compile("(?m)^\\* inprocess\\s+service\\.id=");
    /** One log event: ISO time, level, logger (named in its bundle's namespace), message. */
    private static final Pattern LOG_LINE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}" +
        "(Z|[+-]\\d{2}:\\d{2}) (TRACE|DEBUG|INFO |WARN |ERROR) \\S+ .*");
    private static final Pattern LOG_LINE_START = Pattern.compile("(?m)^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}");
    private static final String JIT_CALL_RESULT = "len(\"hello from JIT'd code\") = 21, run by pid ";

    @TempDir
    Path tmp;

    @Test
    void demoStartsEveryBundleReportsAndCleansUp() throws IOException, InterruptedException
    {
        final Path output = tmp.resolve("demo.out");
        final Path errors = tmp.resolve("demo.err");
        final Path state = tmp.resolve("state");
        final Path javaTmp = Files.createDirectory(tmp.resolve("java-tmp"));
        final Process process = new ProcessBuilder(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Djava.io.tmpdir=" + javaTmp,
            "-Djitmem.state=" + state,
            "-jar", containerJar().toString(), "demo")
            .redirectOutput(output.toFile())
            .redirectError(errors.toFile())
            .start();
        process.getOutputStream().close();
        final boolean exited;
        try
        {
            exited = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        finally
        {
            process.destroyForcibly();
        }
        final String text = Files.readString(output, StandardCharsets.UTF_8);
        final String errorText = Files.readString(errors, StandardCharsets.UTF_8);
        assertTrue(exited, "container still running after " + TIMEOUT_SECONDS + " s:\n" + text + errorText);
        assertFalse(LOG_LINE_START.matcher(text).find(), "a log line in the demo's report:\n" + text);
        assertEquals("", errorText, "warnings or errors on standard error");

        final Path logFile = state.resolve("log").resolve("jitmem.log");
        assertTrue(Files.isRegularFile(logFile), "no log file: " + logFile);
        final List<String> log = Files.readAllLines(logFile, StandardCharsets.UTF_8);
        for (final String line : log)
        {
            assertTrue(LOG_LINE.matcher(line).matches(), "not one line per event: " + line);
        }
        final String logText = String.join("\n", log);
        assertTrue(logText.contains(" started org.jitmem.api "), logText);
        assertTrue(logText.contains(" started org.apache.felix.scr "), logText);
        assertFalse(logText.contains(" not started "), logText);
        assertTrue(logText.contains(" org.jitmem.runtime.internal.MapperSelector memory mapper bound: type=posix-shm "),
            "a component's OSGi logger reaches the file:\n" + logText);
        // The launcher's framework storage (osgi.<n>.fw), the jars it extracts (resource<n>.jar) and the executor's
        // socket directory are removed at exit.
        try (Stream<Path> left = Files.list(javaTmp))
        {
            final List<Path> leftOver = left
                .filter(p -> p.getFileName().toString().matches("(jitmem-|osgi\\.|resource).*")).toList();
            assertEquals(List.of(), leftOver, "work directory left behind");
        }
        assertFalse(text.contains("no application for these arguments"), text);

        assertTrue(logText.contains(" started org.jitmem.backend.inprocess "), logText);
        assertTrue(logText.contains(" started org.jitmem.backend.posixshm "), logText);
        assertTrue(logText.contains(" started org.jitmem.channel "), logText);
        final Matcher executor = EXECUTOR_RUNNING.matcher(text);
        assertTrue(executor.find(), "the runtime launched an executor:\n" + text);
        final long executorPid = Long.parseLong(executor.group(1));
        assertNotEquals(process.pid(), executorPid);

        final int sharedFirst = find(POSIX_SHM_SELECTED, text, 0);
        final int inProcessAfterStop = find(INPROCESS_SELECTED, text, sharedFirst);
        find(POSIX_SHM_SELECTED, text, inProcessAfterStop);
        assertTrue(text.contains(JIT_CALL_RESULT + executorPid + " (the executor)"), "JIT'd code ran in the " +
            "executor:\n" + text);
        assertTrue(text.contains(JIT_CALL_RESULT + process.pid() + " (this JVM)"), "JIT'd code ran in-process " +
            "after the hot swap:\n" + text);
        assertFalse(text.contains("WRONG"), text);
        assertTrue(text.contains("timings (us):"), text);
        assertEquals(0, process.exitValue(), text);
        assertFalse(ProcessHandle.of(executorPid).map(ProcessHandle::isAlive).orElse(false),
            "executor still running after the container exited: pid=" + executorPid);
    }

    /** @return where the pattern first matches after {@code from}, in order of the demo's steps */
    private static int find(final Pattern pattern, final String text, final int from)
    {
        final Matcher matcher = pattern.matcher(text);
        assertTrue(matcher.find(from), "expected after offset " + from + ": " + pattern + "\n" + text);
        return matcher.end();
    }

    static Path containerJar()
    {
        final String jar = System.getProperty("jitmem.itest.containerJar");
        assertTrue(jar != null && Files.isRegularFile(Paths.get(jar)), "container jar not built: " + jar);
        return Paths.get(jar);
    }
}
