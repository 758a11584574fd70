package org.jitmem.executor.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.channel.TcpConnectOptions;
import org.jitmem.executor.FaultProxy;
import org.jitmem.executor.TestCertificates;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network faults between a controller and an executor listening on TCP with mutual TLS, injected by a proxy in the
 * test: delay is tolerated, dropped bytes and half-open connections fail every pending call with
 * {@link ExecutorUnavailableException} once the heartbeat timeout has passed, and the executor releases what a
 * vanished controller reserved once the release grace period has passed (read in {@code /proc/<pid>/maps}).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class RemoteExecutorFaultTest
{
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(1);
    /** Generous bound on "within the heartbeat timeout": proves the call does not hang, times nothing. */
    private static final long FAILS_WITHIN_SECONDS = 20;

    @TempDir
    static Path tmp;
    private static TestCertificates certificates;
    private static ListeningExecutor executor;

    @BeforeAll
    static void startExecutor() throws Exception
    {
        certificates = TestCertificates.create(Files.createDirectories(tmp.resolve("certificates")));
        executor = ListeningExecutor.start(List.of(), "127.0.0.1:0", tmp.resolve("executor.err"),
            certificates.executorTlsOptions("--heartbeat-interval-ms", "250", "--heartbeat-timeout-ms", "1000",
                "--release-grace-ms", "3000"));
    }

    @AfterAll
    static void stopExecutor() throws Exception
    {
        if (executor != null)
        {
            executor.close();
        }
    }

    @Test
    void delayedLinkKeepsServing() throws Exception
    {
        try (FaultProxy proxy = proxy(); SocketExecutorChannel channel = connect(proxy))
        {
            proxy.delayMillis(100);
            for (int i = 0; i < 5; i++)
            {
                final byte[] echo = {(byte)i};
                assertArrayEquals(echo, MemoryMapper.await(channel.call("executor.ping", echo)));
            }
            Thread.sleep(HEARTBEAT_TIMEOUT.toMillis() * 2);
            assertTrue(channel.isOpen(), "heartbeats cross a slow link");
        }
    }

    @Test
    void halfOpenConnectionFailsPendingCallsAndClosesTheChannel() throws Exception
    {
        cutAndExpectFailure(FaultProxy.Mode.HALF_OPEN);
    }

    @Test
    void droppedBytesFailPendingCallsAndCloseTheChannel() throws Exception
    {
        cutAndExpectFailure(FaultProxy.Mode.DROP);
    }

    @Test
    void vanishedControllersReservationIsReleasedAfterTheGracePeriodAndNoOtherOne() throws Exception
    {
        final long pid = executor.process().pid();
        final long before = executor.countLines("no frame within the heartbeat timeout");
        try (FaultProxy proxy = proxy(); SocketExecutorChannel vanishing = connect(proxy);
            SocketExecutorChannel staying = connect(null))
        {
            final ExecutorAddressRange gone = reserve(vanishing);
            final ExecutorAddressRange kept = reserve(staying);
            assertTrue(ProcMaps.of(pid).isMapped(gone.start().value(), gone.size()), "reserved: " + gone);

            proxy.mode(FaultProxy.Mode.HALF_OPEN);
            executor.await(() -> executor.countLines("no frame within the heartbeat timeout") > before,
                "the executor gives the silent controller up");
            assertTrue(ProcMaps.of(pid).isMapped(gone.start().value(), gone.size()),
                "kept during the grace period: " + gone);
            executor.await(() -> ProcMaps.of(pid).isUnmapped(gone.start().value(), gone.size()),
                "released after the grace period: " + gone);
            assertTrue(ProcMaps.of(pid).isMapped(kept.start().value(), kept.size()),
                "the other controller's reservation stays: " + kept);
            assertArrayEquals(new byte[] {3}, MemoryMapper.await(staying.call("executor.ping", new byte[] {3})));
        }
    }

    private static ExecutorAddressRange reserve(final SocketExecutorChannel channel)
    {
        return SharedMemoryCodec.decodeReservation(MemoryMapper.await(channel.call(SharedMemoryCodec.RESERVE,
            SharedMemoryCodec.encodeLong(16 * channel.executor().pageSize())))).range();
    }

    private static void cutAndExpectFailure(final FaultProxy.Mode fault) throws Exception
    {
        try (FaultProxy proxy = proxy(); SocketExecutorChannel channel = connect(proxy))
        {
            assertArrayEquals(new byte[] {7}, MemoryMapper.await(channel.call("executor.ping", new byte[] {7})));
            proxy.mode(fault);
            final CompletableFuture<byte[]> pending = channel.call("executor.ping", new byte[] {8})
                .toCompletableFuture();
            final ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> pending.get(FAILS_WITHIN_SECONDS, TimeUnit.SECONDS));
            assertInstanceOf(ExecutorUnavailableException.class, failure.getCause());
            assertFalse(channel.isOpen(), "the channel reports itself closed");
            assertInstanceOf(ExecutorUnavailableException.class, channel.closed().toCompletableFuture().get(
                FAILS_WITHIN_SECONDS, TimeUnit.SECONDS));
            if (fault == FaultProxy.Mode.HALF_OPEN)
            {
                // dropping bytes lets the proxy pass on the executor's own close, which may come first
                assertTrue(String.valueOf(failure.getCause().getCause()).contains("heartbeat timeout"),
                    String.valueOf(failure.getCause().getCause()));
            }
        }
    }

    private static FaultProxy proxy() throws Exception
    {
        return new FaultProxy(new InetSocketAddress("127.0.0.1", executor.port()));
    }

    /** @return a channel through the proxy, or straight to the executor when it is null */
    private static SocketExecutorChannel connect(final FaultProxy proxy)
    {
        return TcpConnectOptions.builder("127.0.0.1", proxy == null ? executor.port() : proxy.port())
            .tls(certificates.context("controller"))
            .heartbeat(Duration.ofMillis(250), HEARTBEAT_TIMEOUT)
            .connectTimeout(Duration.ofSeconds(10))
            .build()
            .connect();
    }


}
