package org.jitmem.executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How an executor and its controller notice that the other one is gone. */
class ExecutorLifecycleTest
{
    @TempDir
    Path temp;

    @Test
    void controllerClosingEndsTheExecutorAfterClosingItsProviders() throws Exception
    {
        final Path closeLog = temp.resolve("close.log");
        try (ExecutorProcess executor = ExecutorProcess.start(temp.resolve("run").resolve("executor.sock"),
            List.of("-D" + TestFunctions.CLOSE_LOG + "=" + closeLog)))
        {
            final SocketExecutorChannel channel = executor.connect();
            assertArrayEquals(new byte[] {1}, channel.call("test.echo", new byte[] {1}).toCompletableFuture()
                .get(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            channel.close();
            channel.close();
            assertFalse(channel.isOpen());
            assertInstanceOf(ExecutorUnavailableException.class, channel.closed().toCompletableFuture().join());
            assertUnavailable(channel.call("test.echo", new byte[0]).toCompletableFuture());

            assertTrue(executor.process().waitFor(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(0, executor.process().exitValue());
            assertEquals(List.of("closed"), Files.readAllLines(closeLog));
            assertTrue(Files.notExists(executor.socket().getParent()), "socket directory removed");
        }
    }

    @Test
    void killedExecutorFailsPendingAndLaterCalls() throws Exception
    {
        try (ExecutorProcess executor = ExecutorProcess.start(temp.resolve("run").resolve("executor.sock"),
            List.of(), "--workers", "4"))
        {
            final long lanesBefore = laneMappings();
            final SocketExecutorChannel channel = executor.connect();
            assertTrue(channel.hasLane(), "short calls take the shared-memory lane");
            assertEquals(lanesBefore + 1, laneMappings(), "the controller maps the executor's lane");
            final List<CompletableFuture<byte[]>> pending = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                pending.add(sleep(channel));
            }
            assertArrayEquals(new byte[] {3}, channel.call("executor.ping", new byte[] {3}).toCompletableFuture()
                .get(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS), "a free worker answers beside long calls");
            for (int i = 0; i < 10; i++)
            {
                pending.add(sleep(channel));
            }

            executor.process().destroyForcibly();

            for (final CompletableFuture<byte[]> call : pending)
            {
                assertUnavailable(call);
            }
            final Throwable reason = channel.closed().toCompletableFuture().get(ExecutorProcess.TIMEOUT_SECONDS,
                TimeUnit.SECONDS);
            assertInstanceOf(ExecutorUnavailableException.class, reason);
            assertFalse(channel.isOpen());
            assertUnavailable(channel.call("executor.ping", new byte[0]).toCompletableFuture());
            channel.close();
            assertEquals(lanesBefore, laneMappings(), "the lane goes with the channel");
        }
    }

    /** @return this process's mappings of channel lanes */
    private static long laneMappings()
    {
        return ProcMaps.self().mappings().stream()
            .filter(mapping -> mapping.isMemfd(SocketExecutorChannel.LANE_MEMFD_NAME)).count();
    }

    @Test
    void killedControllerEndsTheExecutorAndRemovesItsSocket() throws Exception
    {
        try (ExecutorProcess controller = ExecutorProcess.start(ControllerMain.class,
            ExecutorProcess.TEST_JVM_OPTIONS, temp.resolve("run").resolve("executor.sock"), "controller ready"))
        {
            final long executorPid = Long.parseLong(controller.field("executorPid"));
            assertTrue(Files.exists(controller.socket()));

            controller.process().destroyForcibly();

            assertTrue(ExecutorProcess.awaitGone(executorPid), "executor exited");
            assertTrue(Files.notExists(controller.socket().getParent()), "socket directory removed");
        }
    }

    @Test
    void killedControllerEndsTheExecutorWhichRemovesItsWholeDirectory() throws Exception
    {
        final Path directory = privateDirectory();
        try (ExecutorProcess controller = ExecutorProcess.start(ControllerMain.class,
            ExecutorProcess.TEST_JVM_OPTIONS, directory.resolve("executor.sock"), "controller ready",
            jnaTemp(directory), "--remove-directory-on-exit"))
        {
            final long executorPid = Long.parseLong(controller.field("executorPid"));
            assertEquals(List.of("executor.sock", "jna"), entries(directory));

            controller.process().destroyForcibly();

            assertTrue(ExecutorProcess.awaitGone(executorPid), "executor exited");
            assertTrue(Files.notExists(directory), "the whole directory removed");
        }
    }

    @Test
    void killedControllerLeavesWhatTheExecutorDidNotCreateWithoutTheOption() throws Exception
    {
        final Path directory = privateDirectory();
        final Path kept = Files.writeString(directory.resolve("kept.txt"), "kept");
        try (ExecutorProcess controller = ExecutorProcess.start(ControllerMain.class,
            ExecutorProcess.TEST_JVM_OPTIONS, directory.resolve("executor.sock"), "controller ready",
            jnaTemp(directory)))
        {
            final long executorPid = Long.parseLong(controller.field("executorPid"));

            controller.process().destroyForcibly();

            assertTrue(ExecutorProcess.awaitGone(executorPid), "executor exited");
            assertTrue(Files.notExists(controller.socket()), "socket removed");
            assertEquals(List.of("jna", "kept.txt"), entries(directory));
            assertEquals("kept", Files.readString(kept));
        }
    }

    @Test
    void terminatedExecutorRemovesItsWholeDirectory() throws Exception
    {
        final Path directory = privateDirectory();
        try (ExecutorProcess executor = ExecutorProcess.start(directory.resolve("executor.sock"),
            List.of(jnaTemp(directory)), "--remove-directory-on-exit"))
        {
            executor.process().destroy();
            assertTrue(executor.awaitExit(), "executor exited on SIGTERM");
            assertTrue(Files.notExists(directory), "the whole directory removed");
        }
    }

    @Test
    void removeDirectoryOnExitRefusesADirectoryWithUnexpectedEntries() throws Exception
    {
        final Path directory = privateDirectory();
        final Path kept = Files.writeString(directory.resolve("kept.txt"), "kept");

        assertEquals(1, ExecutorMain.run(new String[] {"--socket", directory.resolve("executor.sock").toString(),
            "--remove-directory-on-exit"}));

        assertEquals(List.of("kept.txt"), entries(directory), "nothing removed, socket closed");
        assertEquals("kept", Files.readString(kept));
    }

    @Test
    void exitWithParentEndsTheExecutorWhenItsInputCloses() throws Exception
    {
        try (ExecutorProcess executor = ExecutorProcess.start(temp.resolve("run").resolve("executor.sock"),
            List.of(), "--exit-with-parent"))
        {
            executor.process().getOutputStream().close();
            assertTrue(executor.process().waitFor(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(0, executor.process().exitValue());
            assertTrue(Files.notExists(executor.socket().getParent()), "socket directory removed");
        }
    }

    @Test
    void connectingToNoExecutorFailsAfterTheTimeout()
    {
        final ExecutorUnavailableException error = assertThrows(ExecutorUnavailableException.class,
            () -> SocketExecutorChannel.connect(temp.resolve("none.sock"), Duration.ofMillis(200)));
        assertTrue(error.reason().contains("none.sock"), error.reason());
    }

    private Path privateDirectory() throws IOException
    {
        return Files.createDirectory(temp.resolve("run"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static String jnaTemp(final Path directory)
    {
        return "-Djna.tmpdir=" + directory.resolve("jna");
    }

    private static List<String> entries(final Path directory) throws IOException
    {
        try (Stream<Path> entries = Files.list(directory))
        {
            return entries.map(entry -> entry.getFileName().toString()).sorted().toList();
        }
    }

    private static CompletableFuture<byte[]> sleep(final SocketExecutorChannel channel)
    {
        return channel.call("test.sleep", TestFunctions.millis(TimeUnit.MINUTES.toMillis(10))).toCompletableFuture();
    }

    private static void assertUnavailable(final CompletableFuture<byte[]> call)
    {
        final ExecutionException thrown = assertThrows(ExecutionException.class,
            () -> call.get(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertInstanceOf(ExecutorUnavailableException.class, thrown.getCause());
    }
}
