package org.jitmem.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-assembled aarch64 instruction-cache flush run for real, on any host: a C harness cross-compiled with
 * {@code aarch64-linux-gnu-gcc -static} maps the routine executable, writes fresh code into other pages again and
 * again, flushes it with the routine and calls it, under qemu's user-mode emulator. qemu keeps its caches coherent, so
 * this proves that the routine is valid, allowed at EL0, ends on every range and returns 0 without disturbing its
 * caller, not that a real core would see stale code without it. Skipped only when the cross compiler or qemu is
 * missing (Debian: {@code gcc-aarch64-linux-gnu qemu-user}).
 */
@Timeout(120)
final class InstructionCacheAarch64Test
{
    private static final String COMPILER = "aarch64-linux-gnu-gcc";
    private static final String EMULATOR = "qemu-aarch64";
    private static final long TIMEOUT_SECONDS = 60;
    /** {@code mov x0, #1}: patched over the routine's {@code mov x0, #0}, so that it reports a failure. */
    private static final int MOV_X0_1 = 0xD2800020;

    @TempDir
    Path temp;

    private Path harness;

    @BeforeEach
    void buildHarness() throws Exception
    {
        assumeTrue(onPath(COMPILER) && onPath(EMULATOR), "skipped: " + COMPILER + " and " + EMULATOR +
            " are needed on the PATH (Debian packages gcc-aarch64-linux-gnu and qemu-user)");
        final Path source = temp.resolve("flush-harness.c");
        try (InputStream resource = InstructionCacheAarch64Test.class.getResourceAsStream("flush-harness.c"))
        {
            Files.copy(resource, source);
        }
        harness = temp.resolve("flush-harness");
        final Result compiled = run(COMPILER, "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-o",
            harness.toString(), source.toString());
        assertEquals(0, compiled.status(), compiled.output());
    }

    @Test
    void theRoutineFlushesAndFreshCodeRunsAfterIt() throws Exception
    {
        final Result result = runRoutine(InstructionCache.aarch64InstructionCacheFlush());
        assertEquals(0, result.status(), result.output());
        assertEquals("flushed 300", result.output().strip());
    }

    @Test
    void theHarnessNoticesARoutineThatReportsFailure() throws Exception
    {
        final byte[] routine = InstructionCache.aarch64InstructionCacheFlush();
        ByteBuffer.wrap(routine).order(ByteOrder.LITTLE_ENDIAN).putInt(routine.length - 8, MOV_X0_1);
        final Result result = runRoutine(routine);
        assertNotEquals(0, result.status(), result.output());
        assertTrue(result.output().contains("flush returned: 1"), result.output());
    }

    private Result runRoutine(final byte[] routine) throws Exception
    {
        final Path file = Files.write(temp.resolve("routine-" + Arrays.hashCode(routine) + ".bin"), routine);
        return run(EMULATOR, harness.toString(), file.toString());
    }

    private static boolean onPath(final String command)
    {
        final String path = System.getenv("PATH");
        return path != null && Arrays.stream(path.split(":")).filter(directory -> !directory.isEmpty())
            .map(directory -> Path.of(directory, command)).anyMatch(Files::isExecutable);
    }

    private Result run(final String... command) throws IOException, InterruptedException
    {
        final Path output = Files.createTempFile(temp, "output", ".txt");
        final Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
            .redirectOutput(output.toFile()).start();
        try
        {
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "still running: " + List.of(command));
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        }
        finally
        {
            process.destroyForcibly();
        }
    }

    private record Result(int status, String output)
    {
    }
}
