package org.jitmem.launcher.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A launched executor outlives neither its controller nor its private directory, even under kill -9. */
final class LaunchedExecutorTest
{
    private static final long TIMEOUT_SECONDS = 60;

    @TempDir
    Path tmp;

    @Test
    void killedControllerLeavesNoExecutorAndNoDirectory() throws Exception
    {
        final Process controller = new ProcessBuilder(LauncherSettings.runningJava(), "-Xmx128m",
            "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), LauncherMain.class.getName(),
            tmp.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try
        {
            final String ready = readyLine(controller);
            final long executorPid = Long.parseLong(field(ready, "executorPid"));
            final Path directory = Path.of(field(ready, "directory"));
            assertEquals(List.of(directory), entries(tmp));
            assertTrue(Files.exists(directory.resolve(LaunchedExecutor.EXECUTOR_JAR)));

            controller.destroyForcibly();

            awaitTrue(() -> ProcessHandle.of(executorPid).map(handle -> !handle.isAlive()).orElse(true),
                "executor exited");
            awaitTrue(() -> Files.notExists(directory), "private directory removed");
            assertEquals(List.of(), entries(tmp));
        }
        finally
        {
            controller.destroyForcibly();
            controller.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private static String readyLine(final Process process) throws Exception
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        final String line = out.readLine();
        if (line == null || !line.startsWith("launcher ready"))
        {
            throw new AssertionError("no ready line: line=" + line);
        }
        return line;
    }

    private static String field(final String line, final String key)
    {
        return Stream.of(line.split(" ")).filter(word -> word.startsWith(key + "="))
            .map(word -> word.substring(key.length() + 1)).findFirst()
            .orElseThrow(() -> new AssertionError("no field: key=" + key + " line=" + line));
    }

    private static List<Path> entries(final Path directory) throws Exception
    {
        try (Stream<Path> entries = Files.list(directory))
        {
            return entries.toList();
        }
    }

    private static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + TIMEOUT_SECONDS + " s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
