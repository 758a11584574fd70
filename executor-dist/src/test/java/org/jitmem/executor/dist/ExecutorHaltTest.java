package org.jitmem.executor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.backend.posixshm.SharedMemoryMapper;
import org.jitmem.backend.posixshm.executor.SharedMemoryFunctions;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone executor ends, and leaves nothing behind, once its controller or its parent is gone, even while
 * JIT'd code that never returns runs in it.
 */
@Timeout(120)
final class ExecutorHaltTest
{
    /** Generous: the executor ends within a second; this only tells "ends" from "hangs". */
    private static final Duration ENDS = Duration.ofSeconds(5);
    /** The name of a named shared memory object of the backend. */
    private static final Pattern SHM_OBJECT = Pattern.compile("jitmem-[0-9a-f]{22}");

    @TempDir
    Path tmp;

    @Test
    void killedControllerEndsTheExecutorWhileItsCodeSpins() throws Exception
    {
        final Path directory = privateDirectory();
        final Path socket = directory.resolve("executor.sock");
        final Path errors = tmp.resolve("executor.stderr");
        final Set<String> shmBefore = shmObjects();
        final Process executor = StandaloneExecutor.start(List.of("-Xmx128m", jnaTemp(directory),
            "-D" + SharedMemoryFunctions.BACKING_PROPERTY + "=named"), socket, errors, "--remove-directory-on-exit");
        final List<ProcessHandle> started = new ArrayList<>(List.of(executor.toHandle()));
        try
        {
            StandaloneExecutor.awaitReadyLine(executor);
            final Process controller = new ProcessBuilder(StandaloneExecutor.javaCommand(), "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), SpinningController.class.getName(), "--socket",
                socket.toString()).redirectError(tmp.resolve("controller.stderr").toFile()).start();
            started.add(controller.toHandle());
            StandaloneExecutor.awaitLine(controller, SpinningController.SPINNING);

            controller.destroyForcibly();

            assertTrue(executor.waitFor(ENDS.toSeconds(), TimeUnit.SECONDS), "the executor ends");
            assertEquals(0, executor.exitValue());
            assertTrue(Files.readString(errors).contains("reason=controller disconnected (calls still running)"),
                "it halted without waiting for the code: " + Files.readString(errors));
            assertTrue(Files.notExists(directory), "its whole directory removed");
            assertEquals(shmBefore, shmObjects(), "no shared memory object left");
        }
        finally
        {
            stop(started, directory);
        }
    }

    @Test
    void deadParentEndsTheExecutorWhileItsCodeSpins() throws Exception
    {
        final Path directory = privateDirectory();
        final Path socket = directory.resolve("executor.sock");
        final Path errors = tmp.resolve("executor.stderr");
        final Process parent = new ProcessBuilder(StandaloneExecutor.javaCommand(), "-Xmx128m",
            "-D" + StandaloneExecutor.JAR_PROPERTY + "=" + StandaloneExecutor.JAR, "-cp",
            System.getProperty("java.class.path"), ExecutorParent.class.getName(), "--socket", socket.toString(),
            "--errors", errors.toString(), "-Xmx128m", jnaTemp(directory))
            .redirectError(tmp.resolve("parent.stderr").toFile()).start();
        final List<ProcessHandle> started = new ArrayList<>(List.of(parent.toHandle()));
        try
        {
            final long executorPid = Long.parseLong(StandaloneExecutor.field(
                StandaloneExecutor.awaitLine(parent, ExecutorParent.READY), "executorPid"));
            ProcessHandle.of(executorPid).ifPresent(started::add);
            try (SocketExecutorChannel channel = SocketExecutorChannel.connect(socket,
                Duration.ofSeconds(StandaloneExecutor.TIMEOUT_SECONDS)))
            {
                final SharedMemoryMapper mapper = new SharedMemoryMapper(channel, false);
                SpinningController.spin(mapper);

                parent.destroyForcibly();

                assertTrue(ExecutorProcess.awaitGone(executorPid, ENDS), "the executor ends");
                assertInstanceOf(ExecutorUnavailableException.class, channel.closed().toCompletableFuture()
                    .get(StandaloneExecutor.TIMEOUT_SECONDS, TimeUnit.SECONDS), "the controller sees it go");
                assertTrue(Files.readString(errors).contains("reason=standard input closed (calls still running)"),
                    "it halted without waiting for the code: " + Files.readString(errors));
                assertTrue(Files.notExists(directory), "its whole directory removed");
                mapper.close(Duration.ofSeconds(StandaloneExecutor.TIMEOUT_SECONDS));
            }
        }
        finally
        {
            stop(started, directory);
        }
    }

    private Path privateDirectory() throws IOException
    {
        return Files.createDirectory(tmp.resolve("run"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static String jnaTemp(final Path directory)
    {
        return "-Djna.tmpdir=" + directory.resolve("jna");
    }

    private static Set<String> shmObjects() throws IOException
    {
        try (Stream<Path> objects = Files.list(Path.of("/dev/shm")))
        {
            return objects.map(object -> object.getFileName().toString())
                .filter(name -> SHM_OBJECT.matcher(name).matches()).collect(Collectors.toSet());
        }
    }

    private static void stop(final List<ProcessHandle> started, final Path directory) throws Exception
    {
        for (final ProcessHandle process : started)
        {
            process.destroyForcibly();
            ExecutorProcess.awaitGone(process.pid());
        }
        ExecutorProcess.deleteTree(directory);
    }
}
