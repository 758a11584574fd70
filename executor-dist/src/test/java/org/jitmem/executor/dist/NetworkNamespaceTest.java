package org.jitmem.executor.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

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
 * process are removed whatever happens ({@link NetworkNamespace}).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class NetworkNamespaceTest
{
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(1);
    private static final long FAILS_WITHIN_SECONDS = 20;

    @TempDir
    Path tmp;

    @Test
    void linkTakenDownFailsPendingCallsWithinTheHeartbeatTimeout() throws Exception
    {
        Assumptions.assumeTrue(NetworkNamespace.isRoot(),
            "skipped: network namespaces and veth pairs need root (uid 0)");
        try (NetworkNamespace namespace = NetworkNamespace.create())
        {
            final TestCertificates certificates = TestCertificates.create(Files.createDirectories(
                tmp.resolve("certificates")), namespace.executorAddress());
            try (ListeningExecutor executor = ListeningExecutor.start(namespace.prefix(), namespace.executorAddress() +
                ":0", tmp.resolve("executor.err"), certificates.executorTlsOptions("--release-grace-ms", "1000")))
            {
                cutAndMend(namespace, certificates, executor);
            }
        }
    }

    private static void cutAndMend(final NetworkNamespace namespace, final TestCertificates certificates,
        final ListeningExecutor executor) throws Exception
    {
        final String executorAddress = namespace.executorAddress();
        final SocketExecutorChannel channel = TcpConnectOptions.builder(executorAddress, executor.port())
            .tls(certificates.context("controller"))
            .heartbeat(Duration.ofMillis(250), HEARTBEAT_TIMEOUT)
            .connectTimeout(Duration.ofSeconds(10))
            .build()
            .connect();
        try
        {
            assertEquals(executor.process().pid(), channel.executor().pid());
            assertEquals(executorAddress, channel.executor().host());
            final byte[] echo = "across namespaces".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(echo, MemoryMapper.await(channel.call("executor.ping", echo)));

            namespace.linkDown();
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

        namespace.linkUp();
        try (SocketExecutorChannel again = TcpConnectOptions.builder(executorAddress, executor.port())
            .tls(certificates.context("controller"))
            .connectTimeout(Duration.ofSeconds(10))
            .build()
            .connect())
        {
            assertArrayEquals(new byte[] {1}, MemoryMapper.await(again.call("executor.ping", new byte[] {1})),
                "the executor serves a new controller once the link is back");
        }
    }
}
