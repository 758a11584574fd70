package org.jitmem.launcher.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.launcher.ExecutorStatus.Phase;
import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.runtime.testing.SystemLoggers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.service.log.Logger;

/**
 * The launcher with the real executor program, registering its channel in a real (embedded) Felix framework: the
 * handshake, the service and its properties, a killed executor, the restart policy, a failed start, and nothing
 * left behind.
 */
final class ExecutorLauncherTest
{
    private static final Logger LOG = SystemLoggers.of(ExecutorLauncher.class);
    private static final long TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(60);

    @TempDir
    Path tmp;

    private Framework framework;
    private BundleContext context;
    private Path executors;

    @BeforeEach
    void startFramework() throws Exception
    {
        executors = Files.createDirectory(tmp.resolve("executors"));
        framework = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow().newFramework(Map.of(
            Constants.FRAMEWORK_STORAGE, tmp.resolve("felix").toString(),
            Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.start();
        context = framework.getBundleContext();
    }

    @AfterEach
    void stopFramework() throws Exception
    {
        framework.stop();
        framework.waitForStop(TIMEOUT_MILLIS);
    }

    @Test
    void launchesRegistersTheChannelAndStopsWithoutLeftovers() throws Exception
    {
        final ExecutorLauncher launcher = new ExecutorLauncher(context, settings(false, List.of()), LOG);
        final long pid;
        final Path directory;
        try
        {
            final ServiceReference<ExecutorChannel> reference = awaitChannel();
            final ExecutorStatus status = launcher.status();
            pid = status.pid();
            assertEquals(Phase.RUNNING, status.phase());
            assertNotEquals(ProcessHandle.current().pid(), pid);
            assertTrue(status.alive());
            assertEquals(pid, reference.getProperty(MapperProperties.EXECUTOR_PID));
            assertEquals(status.socket().toString(), reference.getProperty(ExecutorLauncher.SOCKET));
            assertTrue(reference.getProperty(ExecutorLauncher.PAGE_SIZE) instanceof Long pageSize &&
                Long.bitCount(pageSize) == 1, "page size: " + reference.getProperty(ExecutorLauncher.PAGE_SIZE));

            directory = status.socket().getParent();
            assertEquals(executors, directory.getParent());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
            assertTrue(Files.exists(status.socket()), "socket " + status.socket());

            final ExecutorChannel channel = context.getService(reference);
            assertEquals(pid, channel.executor().pid());
            final byte[] ping = "ping through the launched executor".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(ping, MemoryMapper.await(channel.call("executor.ping", ping)));
            final String info = new String(MemoryMapper.await(channel.call("executor.info", new byte[0])),
                StandardCharsets.UTF_8);
            assertTrue(info.contains("posixshm."), "the executor hosts the shared-memory functions: " + info);
            context.ungetService(reference);
        }
        finally
        {
            launcher.deactivate();
        }
        assertNull(context.getServiceReference(ExecutorChannel.class), "channel service unregistered");
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "executor exited");
        assertFalse(Files.exists(directory), "private directory removed");
        assertEquals(Phase.STOPPED, launcher.status().phase());
        assertTrue(launcher.status().lastExit().contains("exitCode=0"), launcher.status().lastExit());
        assertNothingLeft();
    }

    @Test
    void killedExecutorIsUnregisteredCleanedUpAndCanBeStartedAgain() throws Exception
    {
        final ExecutorLauncher launcher = new ExecutorLauncher(context, settings(false, List.of()), LOG);
        try
        {
            awaitChannel();
            final ExecutorStatus running = launcher.status();
            ProcessHandle.of(running.pid()).orElseThrow().destroyForcibly();

            awaitTrue(() -> context.getServiceReference(ExecutorChannel.class) == null, "channel unregistered");
            awaitTrue(() -> launcher.status().phase() == Phase.STOPPED, "launcher records the end");
            assertFalse(Files.exists(running.socket().getParent()), "private directory removed");
            assertFalse(launcher.status().lastExit().isEmpty());
            assertNothingLeft();

            final ExecutorStatus restarted = launcher.start().get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            assertEquals(Phase.RUNNING, restarted.phase(), restarted.toString());
            assertNotEquals(running.pid(), restarted.pid());
            assertEquals(restarted.pid(), awaitChannel().getProperty(MapperProperties.EXECUTOR_PID));

            final ExecutorStatus stopped = launcher.stop().get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            assertEquals(Phase.STOPPED, stopped.phase());
            assertNull(context.getServiceReference(ExecutorChannel.class));
            assertNothingLeft();
        }
        finally
        {
            launcher.deactivate();
        }
        assertNothingLeft();
    }

    @Test
    void restartPolicyStartsANewExecutor() throws Exception
    {
        final ExecutorLauncher launcher = new ExecutorLauncher(context, settings(true, List.of()), LOG);
        try
        {
            final long first = (Long)awaitChannel().getProperty(MapperProperties.EXECUTOR_PID);
            ProcessHandle.of(first).orElseThrow().destroyForcibly();
            awaitTrue(() -> launcher.status().phase() == Phase.RUNNING && launcher.status().pid() != first,
                "a new executor runs");
            assertEquals(1, launcher.status().restarts());
            assertEquals(launcher.status().pid(), awaitChannel().getProperty(MapperProperties.EXECUTOR_PID));
        }
        finally
        {
            launcher.deactivate();
        }
        assertNothingLeft();
    }

    @Test
    void restartsGiveUpOverTheBoundWithinTheWindowAndSayHowToStartByHand() throws Exception
    {
        final ExecutorLauncher launcher = new ExecutorLauncher(context, settings(true, List.of()), LOG);
        try
        {
            long pid = (Long)awaitChannel().getProperty(MapperProperties.EXECUTOR_PID);
            for (int restart = 1; restart <= 2; restart++)
            {
                final long killed = pid;
                ProcessHandle.of(killed).orElseThrow().destroyForcibly();
                awaitTrue(() -> launcher.status().phase() == Phase.RUNNING && launcher.status().pid() != killed,
                    "restart " + restart);
                pid = launcher.status().pid();
            }
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            awaitTrue(() -> launcher.status().phase() == Phase.STOPPED, "the launcher gives up");
            final ExecutorStatus given = launcher.status();
            assertEquals(2, given.restarts());
            assertTrue(given.detail().contains("gave up after 2 restarts within 60 s") &&
                given.detail().contains("jitmem:executor start"), given.detail());
            assertEquals(1, occurrences(given.lastExit(), "exitCode=137"), given.lastExit());
            assertNull(context.getServiceReference(ExecutorChannel.class));

            final ExecutorStatus started = launcher.start().get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            assertEquals(Phase.RUNNING, started.phase());
            assertEquals(0, started.restarts());
        }
        finally
        {
            launcher.deactivate();
        }
        assertNothingLeft();
    }

    @Test
    void restartDelayDoublesUpToItsBound()
    {
        final LauncherSettings settings = settings(true, List.of());
        assertEquals(Duration.ofMillis(100), settings.restartDelayAfter(0));
        assertEquals(Duration.ofMillis(400), settings.restartDelayAfter(2));
        assertEquals(LauncherSettings.MAX_RESTART_DELAY, settings.restartDelayAfter(40));
    }

    private static int occurrences(final String text, final String part)
    {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void failedStartIsReportedAndLeavesNothing() throws Exception
    {
        final ExecutorLauncher launcher = new ExecutorLauncher(context,
            settings(false, List.of("-XX:+ThisOptionDoesNotExist")), LOG);
        try
        {
            awaitTrue(() -> launcher.status().phase() == Phase.STOPPED, "the start fails");
            final String lastExit = launcher.status().lastExit();
            assertTrue(lastExit.contains("start failed") && lastExit.contains("exitCode="), lastExit);
            assertTrue(lastExit.contains("ThisOptionDoesNotExist"), "stderr of the child is reported: " + lastExit);
            assertNull(context.getServiceReference(ExecutorChannel.class));
            assertNothingLeft();
        }
        finally
        {
            launcher.deactivate();
        }
    }

    @Test
    void disabledLauncherLaunchesNothing() throws Exception
    {
        final LauncherSettings disabled = new LauncherSettings(false, LauncherSettings.runningJava(), List.of(),
            executors, Duration.ofSeconds(5), Duration.ofSeconds(5), false, 0, Duration.ZERO, Duration.ZERO);
        final ExecutorLauncher launcher = new ExecutorLauncher(context, disabled, LOG);
        try
        {
            assertEquals(Phase.DISABLED, launcher.status().phase());
            assertEquals(Phase.DISABLED, launcher.start().get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).phase());
            assertTrue(launcher.status().describe().startsWith("executor: DISABLED"),
                launcher.status().describe());
            assertNull(context.getServiceReference(ExecutorChannel.class));
            assertNothingLeft();
        }
        finally
        {
            launcher.deactivate();
        }
    }

    @Test
    void launchFailsWithTheExecutorErrorWhenTheJavaCommandIsMissing()
    {
        final LauncherSettings missingJava = new LauncherSettings(true, tmp.resolve("no-java").toString(), List.of(),
            executors, Duration.ofSeconds(5), Duration.ofSeconds(5), false, 0, Duration.ZERO, Duration.ZERO);
        final ExecutorUnavailableException failure = assertThrows(ExecutorUnavailableException.class,
            () -> LaunchedExecutor.launch(missingJava, detail -> { }, LOG));
        assertTrue(failure.getMessage().contains("cannot start the executor"), failure.getMessage());
        assertNothingLeft();
    }

    private LauncherSettings settings(final boolean restart, final List<String> extraOptions)
    {
        final List<String> options = Stream.concat(Stream.of("-Xmx64m", "-XX:TieredStopAtLevel=1"),
            extraOptions.stream()).toList();
        return new LauncherSettings(true, LauncherSettings.runningJava(), options, executors,
            Duration.ofSeconds(60), Duration.ofSeconds(10), restart, 2, Duration.ofMillis(100), Duration.ofSeconds(60));
    }

    private ServiceReference<ExecutorChannel> awaitChannel() throws InterruptedException
    {
        awaitTrue(() -> context.getServiceReference(ExecutorChannel.class) != null, "channel registered");
        return context.getServiceReference(ExecutorChannel.class);
    }

    private void assertNothingLeft()
    {
        try (Stream<Path> left = Files.list(executors))
        {
            assertEquals(List.of(), left.toList(), "private directories left behind");
        }
        catch (final IOException ex)
        {
            throw new AssertionError("cannot list " + executors, ex);
        }
    }

    private static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + TIMEOUT_MILLIS + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }
}
