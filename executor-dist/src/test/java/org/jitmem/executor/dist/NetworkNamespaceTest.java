package org.jitmem.executor.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.channel.TcpConnectOptions;
import org.jitmem.executor.TestCertificates;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real network between controller and executor on this machine: the executor runs in a network namespace the test
 * creates, reached over a veth pair; taking the link down cuts it, and pending calls fail with
 * {@link ExecutorUnavailableException} once the heartbeat timeout has passed. Needs root; namespace, link and
 * process are removed whatever happens, and their names are unique to this run.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class NetworkNamespaceTest
{
    private static final long PID = ProcessHandle.current().pid();
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final String SUBNET = "10.213." + (PID % 250 + 1) + ".";
    private static final String HOST_ADDRESS = SUBNET + "1";
    private static final String EXECUTOR_ADDRESS = SUBNET + "2";
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(1);
    private static final long COMMAND_TIMEOUT_SECONDS = 30;
    private static final long FAILS_WITHIN_SECONDS = 20;

    @TempDir
    Path tmp;

    @Test
    void linkTakenDownFailsPendingCallsWithinTheHeartbeatTimeout() throws Exception
    {
        Assumptions.assumeTrue(isRoot(), "skipped: network namespaces and veth pairs need root (uid 0)");
        final int run = RUNS.incrementAndGet();
        final String namespace = "jitmem-" + PID + "-" + run;
        final String hostLink = "jmh" + PID % 1_000_000 + run;
        final String executorLink = "jmn" + PID % 1_000_000 + run;
        final TestCertificates certificates = TestCertificates.create(Files.createDirectories(
            tmp.resolve("certificates")), EXECUTOR_ADDRESS);
        ListeningExecutor executor = null;
        try
        {
            ip("netns", "add", namespace);
            ip("link", "add", hostLink, "type", "veth", "peer", "name", executorLink);
            ip("link", "set", executorLink, "netns", namespace);
            ip("addr", "add", HOST_ADDRESS + "/30", "dev", hostLink);
            ip("link", "set", hostLink, "up");
            ip("netns", "exec", namespace, "ip", "addr", "add", EXECUTOR_ADDRESS + "/30", "dev", executorLink);
            ip("netns", "exec", namespace, "ip", "link", "set", executorLink, "up");
            ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up");

            executor = ListeningExecutor.start(List.of("ip", "netns", "exec", namespace), EXECUTOR_ADDRESS + ":0",
                tmp.resolve("executor.err"), certificates.executorTlsOptions("--release-grace-ms", "1000"));

            final SocketExecutorChannel channel = TcpConnectOptions.builder(EXECUTOR_ADDRESS, executor.port())
                .tls(certificates.context("controller"))
                .heartbeat(Duration.ofMillis(250), HEARTBEAT_TIMEOUT)
                .connectTimeout(Duration.ofSeconds(10))
                .build()
                .connect();
            try
            {
                assertEquals(executor.process().pid(), channel.executor().pid());
                assertEquals(EXECUTOR_ADDRESS, channel.executor().host());
                final byte[] echo = "across namespaces".getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(echo, MemoryMapper.await(channel.call("executor.ping", echo)));

                ip("link", "set", hostLink, "down");
                final long cut = System.nanoTime();
                final CompletableFuture<byte[]> pending = channel.call("executor.ping", echo).toCompletableFuture();
                final ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> pending.get(FAILS_WITHIN_SECONDS, TimeUnit.SECONDS));
                final long failedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
                assertInstanceOf(ExecutorUnavailableException.class, failure.getCause());
                assertFalse(channel.isOpen(), "the channel reports itself closed");
                System.out.println("link down: pending call failed after " + failedAfterMillis +
                    " ms (heartbeat timeout " + HEARTBEAT_TIMEOUT.toMillis() + " ms)");
            }
            finally
            {
                channel.close();
            }

            ip("link", "set", hostLink, "up");
            try (SocketExecutorChannel again = TcpConnectOptions.builder(EXECUTOR_ADDRESS, executor.port())
                .tls(certificates.context("controller"))
                .connectTimeout(Duration.ofSeconds(10))
                .build()
                .connect())
            {
                assertArrayEquals(new byte[] {1}, MemoryMapper.await(again.call("executor.ping", new byte[] {1})),
                    "the executor serves a new controller once the link is back");
            }
        }
        finally
        {
            if (executor != null)
            {
                executor.close();
            }
            ipQuietly("netns", "del", namespace);
            ipQuietly("link", "del", hostLink);
        }
    }

    private static boolean isRoot() throws IOException
    {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
            .filter(line -> line.startsWith("Uid:"))
            .map(line -> line.substring("Uid:".length()).trim().split("\\s+")[1])
            .anyMatch("0"::equals);
    }

    private static void ip(final String... arguments) throws Exception
    {
        final String output = run(arguments);
        if (output != null)
        {
            throw new IOException("ip " + String.join(" ", arguments) + " failed: " + output);
        }
    }

    private static void ipQuietly(final String... arguments)
    {
        try
        {
            run(arguments);
        }
        catch (final Exception ex)
        {
            // cleanup goes on: what remains is named after this run's pid
        }
    }

    /** @return null when the command succeeded, else its output */
    private static String run(final String... arguments) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            process.getOutputStream().close();
            if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                return "timed out";
            }
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.exitValue() == 0 ? null : "exit=" + process.exitValue() + " " + output;
        }
        finally
        {
            process.destroyForcibly();
        }
    }
}
