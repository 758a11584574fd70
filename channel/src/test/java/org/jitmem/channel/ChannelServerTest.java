package org.jitmem.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both ends of the channel in this process, over a real socket. */
class ChannelServerTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long PAGE_SIZE = 4096;
    /** Long calls at once in the tests that block calls. */
    private static final int BLOCKED_CALLS = 2;
    /** One per long call, one for the lane's scanning and one for a socket reading handed over. */
    private static final int WORKERS = BLOCKED_CALLS + 2;

    @TempDir
    Path temp;

    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);

    @Test
    void servesCallsAndReleasesEverythingOnClose() throws Exception
    {
        final Path directory = temp.resolve("run");
        final ChannelServer server = start(directory.resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
        assertEquals("rwx------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS)));
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(server.socketPath(), LinkOption.NOFOLLOW_LINKS)));
        final SocketExecutorChannel first = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT);
        final SocketExecutorChannel second = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT);
        assertEquals(ProcessHandle.current().pid(), first.executor().pid());
        assertEquals(PAGE_SIZE, first.executor().pageSize());
        assertArrayEquals(new byte[] {5, 6}, call(second, "echo", new byte[] {5, 6}));
        assertEquals(2, opened.get());

        second.close();
        assertEquals(2, opened.get());
        assertFalse(server.primaryClosed().toCompletableFuture().isDone());
        first.close();
        server.primaryClosed().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        server.close();
        server.close();
        assertEquals(2, closed.get());
        assertTrue(Files.notExists(directory));
    }

    @Test
    void completionsRunWhereAsked() throws Exception
    {
        final ExecutorService completions = Executors.newCachedThreadPool();
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
            SocketExecutorChannel direct = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT,
                Protocol.DEFAULT_MAX_FRAME_SIZE, null, 0);
            SocketExecutorChannel handedOff = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT,
                Protocol.DEFAULT_MAX_FRAME_SIZE, completions))
        {
            final CompletableFuture<String> completedOn = direct.call("block", new byte[0])
                .thenApply(result -> Thread.currentThread().getName()).toCompletableFuture();
            release.countDown();
            final String readerThread = completedOn.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(readerThread.startsWith("jitmem-channel-reader"), readerThread);
            final byte[] nested = handedOff.call("echo", new byte[] {1})
                .thenApply(result -> handedOff.call("echo", new byte[] {2}).toCompletableFuture().join())
                .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertArrayEquals(new byte[] {2}, nested, "a dependent on the completion executor may block");
        }
        finally
        {
            completions.shutdownNow();
        }
    }

    @Test
    void refusesADirectoryOthersCanEnter() throws Exception
    {
        final Path directory = Files.createDirectory(temp.resolve("open"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        final InvalidRequestException error = assertThrows(InvalidRequestException.class,
            () -> start(directory.resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE));
        assertTrue(error.reason().startsWith("socket directory is not private"), error.reason());
        assertEquals(List.of(), List.of(directory.toFile().list()));
    }

    @Test
    void keepsAnExistingPrivateDirectory() throws Exception
    {
        final Path directory = Files.createDirectory(temp.resolve("mine"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        start(directory.resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE).close();
        assertTrue(Files.isDirectory(directory));
        assertTrue(Files.notExists(directory.resolve("s")));
    }

    @Test
    void versionMismatchIsAClearError() throws Exception
    {
        final Path socket = temp.resolve("old.sock");
        try (ServerSocketChannel fake = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            fake.bind(UnixDomainSocketAddress.of(socket));
            final CompletableFuture<Void> hello = CompletableFuture.runAsync(() ->
            {
                try (SocketChannel peer = fake.accept())
                {
                    final byte[] payload = Protocol.encodeHello(new ExecutorInfo(Protocol.VERSION + 1, 1, PAGE_SIZE,
                        "arch", "os"), Protocol.DEFAULT_MAX_FRAME_SIZE);
                    new FrameWriter(peer).write(Protocol.HELLO, 0, Protocol.EMPTY, payload);
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            final ExecutorUnavailableException error = assertThrows(ExecutorUnavailableException.class,
                () -> SocketExecutorChannel.connect(socket, TIMEOUT));
            assertEquals("protocol version mismatch: executor=" + (Protocol.VERSION + 1) + " controller=" +
                Protocol.VERSION, error.reason());
            hello.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void silentPeerTimesOutTheHandshake() throws Exception
    {
        final Path socket = temp.resolve("silent.sock");
        try (ServerSocketChannel silent = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            silent.bind(UnixDomainSocketAddress.of(socket));
            final ExecutorUnavailableException error = assertThrows(ExecutorUnavailableException.class,
                () -> SocketExecutorChannel.connect(socket, Duration.ofMillis(300)));
            assertTrue(error.reason().startsWith("handshake timed out"), error.reason());
        }
    }

    @Test
    void failingProvidersRefuseTheConnection() throws Exception
    {
        try (ChannelServer server = ChannelServer.start(temp.resolve("run").resolve("s"), PAGE_SIZE, executor ->
        {
            throw new InvalidRequestException(org.jitmem.api.MapperOperation.CHANNEL, "no functions today",
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }, Protocol.DEFAULT_MAX_FRAME_SIZE, 2))
        {
            final ExecutorUnavailableException error = assertThrows(ExecutorUnavailableException.class,
                () -> SocketExecutorChannel.connect(server.socketPath(), TIMEOUT));
            assertTrue(error.reason().contains("no functions today"), error.reason());
            server.primaryClosed().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void sequentialRoundTripsReuseTheConnection() throws Exception
    {
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
            SocketExecutorChannel channel = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT,
                Protocol.DEFAULT_MAX_FRAME_SIZE, null, 0))
        {
            assertFalse(channel.hasLane());
            final long socketCalls = channel.socketCalls();
            for (int i = 0; i < 1_000; i++)
            {
                final byte[] argument = ByteBuffer.allocate(8).putInt(i).putInt(-i).array();
                assertArrayEquals(argument, call(channel, "echo", argument));
            }
            assertEquals(1_000, channel.socketCalls() - socketCalls);
            assertEquals(1, opened.get(), "one connection served every call");
            assertEquals(0, closed.get());
        }
    }

    @Test
    void longCallsHoldUpNoOtherCall() throws Exception
    {
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
            SocketExecutorChannel channel = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT))
        {
            final List<CompletableFuture<byte[]>> blocked = new ArrayList<>();
            for (int i = 0; i < BLOCKED_CALLS; i++)
            {
                blocked.add(channel.call("block", new byte[] {(byte)i}).toCompletableFuture());
                assertArrayEquals(new byte[] {7}, call(channel, "echo", new byte[] {7}));
            }
            assertTrue(blocked.stream().noneMatch(CompletableFuture::isDone));
            release.countDown();
            for (int i = 0; i < BLOCKED_CALLS; i++)
            {
                assertArrayEquals(new byte[] {(byte)i},
                    blocked.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            }
            assertArrayEquals(new byte[] {8}, call(channel, "echo", new byte[] {8}));
        }
    }

    @Test
    void aLaneCallIsTakenByItsWaiterAndOneNobodyWaitsForByTheCollector() throws Exception
    {
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
            SocketExecutorChannel channel = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT))
        {
            assertTrue(channel.hasLane());
            final long laneCalls = channel.laneCalls();
            final long socketCalls = channel.socketCalls();
            final String waiter = Thread.currentThread().getName();
            int takenByWaiter = 0;
            for (int i = 0; i < 100; i++)
            {
                final String completedOn = channel.call("echo", new byte[] {(byte)i})
                    .thenApply(result -> Thread.currentThread().getName()).toCompletableFuture().join();
                takenByWaiter += waiter.equals(completedOn) ? 1 : 0;
            }
            assertTrue(takenByWaiter > 0, "no reply was taken by its waiting thread");
            assertPaths(channel, laneCalls + 100, socketCalls, "short calls take the lane");
            final CompletableFuture<String> unawaited = new CompletableFuture<>();
            channel.call("block", new byte[] {1}).thenAccept(result -> unawaited.complete(
                Thread.currentThread().getName()));
            release.countDown();
            final String collectedOn = unawaited.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(collectedOn.startsWith("jitmem-channel-lane"), collectedOn);
        }
    }

    @Test
    void largeCallsLargeResultsAndCallsBeyondTheSlotsUseTheSocket() throws Exception
    {
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
            SocketExecutorChannel channel = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT))
        {
            assertTrue(channel.hasLane());
            final long lane = channel.laneCalls();
            final long socket = channel.socketCalls();
            final byte[] large = new byte[3 * LaneLayout.DEFAULT_SLOT_SIZE];
            large[large.length - 1] = 42;
            assertArrayEquals(large, call(channel, "echo", large));
            assertPaths(channel, lane, socket + 1, "a call larger than a slot takes the socket");
            final int grown = 2 * LaneLayout.DEFAULT_SLOT_COUNT;
            for (int i = 0; i < grown; i++)
            {
                assertEquals(i * 1024, call(channel, "grow", new byte[] {(byte)i}).length);
            }
            assertPaths(channel, lane + grown, socket + 1, "a short call takes the lane, its large result the socket");
            // A slot whose reply went by socket is freed when the lane's collector sees it, maybe after the reply.
            final long freeBy = System.nanoTime() + TIMEOUT.toNanos();
            while (channel.freeLaneSlots() < LaneLayout.DEFAULT_SLOT_COUNT && System.nanoTime() - freeBy < 0)
            {
                Thread.sleep(1);
            }
            assertEquals(LaneLayout.DEFAULT_SLOT_COUNT, channel.freeLaneSlots(), "every slot free again");

            final List<CompletableFuture<byte[]>> blocked = new ArrayList<>();
            for (int i = 0; i < LaneLayout.DEFAULT_SLOT_COUNT; i++)
            {
                blocked.add(channel.call("block", new byte[] {(byte)i}).toCompletableFuture());
            }
            final long filled = lane + grown + LaneLayout.DEFAULT_SLOT_COUNT;
            assertPaths(channel, filled, socket + 1, "each blocked call holds a slot");
            assertArrayEquals(new byte[] {9}, call(channel, "echo", new byte[] {9}));
            assertPaths(channel, filled, socket + 2, "with every slot held, a short call takes the socket");
            release.countDown();
            for (int i = 0; i < blocked.size(); i++)
            {
                assertArrayEquals(new byte[] {(byte)i}, blocked.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            }
            assertArrayEquals(new byte[] {10}, call(channel, "echo", new byte[] {10}));
            assertPaths(channel, filled + 1, socket + 2, "taken replies free their slots");

            final long before = channel.laneCalls() + channel.socketCalls();
            final ExecutorService callers = Executors.newFixedThreadPool(2 * LaneLayout.DEFAULT_SLOT_COUNT);
            try
            {
                final List<CompletableFuture<Void>> done = new ArrayList<>();
                for (int t = 0; t < 2 * LaneLayout.DEFAULT_SLOT_COUNT; t++)
                {
                    final int thread = t;
                    done.add(CompletableFuture.runAsync(() ->
                    {
                        for (int i = 0; i < 500; i++)
                        {
                            final byte[] own = ByteBuffer.allocate(8).putInt(thread).putInt(i).array();
                            assertArrayEquals(own, channel.call("echo", own).toCompletableFuture().join());
                        }
                    }, callers));
                }
                CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(TIMEOUT.toSeconds(),
                    TimeUnit.SECONDS);
            }
            finally
            {
                callers.shutdownNow();
            }
            assertEquals(2 * LaneLayout.DEFAULT_SLOT_COUNT * 500,
                channel.laneCalls() + channel.socketCalls() - before, "every call took one of the two paths");
            assertTrue(channel.hasLane());
        }
    }

    /**
     * Lanes sleep for up to ten minutes in these tests (see the module's pom), so a reply that only a sleeper's
     * timeout would find hangs this test: a call longer than the waiter's spin, and one long enough to be handed
     * over, must each wake whoever takes its reply.
     */
    @Test
    void longLaneCallsWakeWhoeverTakesTheirReply() throws Exception
    {
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
            SocketExecutorChannel channel = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT))
        {
            assertTrue(channel.hasLane());
            for (final byte tenthsOfMillis : new byte[] {3, 50, 3, 100})
            {
                assertArrayEquals(new byte[] {tenthsOfMillis}, call(channel, "pause", new byte[] {tenthsOfMillis}));
                final CompletableFuture<byte[]> unawaited = new CompletableFuture<>();
                channel.call("pause", new byte[] {tenthsOfMillis}).thenAccept(unawaited::complete);
                assertArrayEquals(new byte[] {tenthsOfMillis}, unawaited.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void laneErrorsTravelAsData() throws Exception
    {
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE);
            SocketExecutorChannel channel = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT))
        {
            final ExecutionException failed = assertThrows(ExecutionException.class,
                () -> call(channel, "fail", new byte[0]));
            final MemoryMapperException error = assertInstanceOf(MemoryMapperException.class, failed.getCause());
            assertTrue(error.getMessage().contains("failed on purpose"), error.getMessage());
            final ExecutionException unknown = assertThrows(ExecutionException.class,
                () -> call(channel, "no.such.function", new byte[0]));
            assertInstanceOf(InvalidRequestException.class, unknown.getCause());
            assertArrayEquals(new byte[] {3}, call(channel, "echo", new byte[] {3}));
        }
    }

    @Test
    void aLaneLeavesNoMappingNorDescriptor() throws Exception
    {
        assertEquals(0, laneTraces());
        try (ChannelServer server = start(temp.resolve("run").resolve("s"), Protocol.DEFAULT_MAX_FRAME_SIZE))
        {
            final SocketExecutorChannel channel = SocketExecutorChannel.connect(server.socketPath(), TIMEOUT);
            assertTrue(channel.hasLane());
            assertArrayEquals(new byte[] {1}, call(channel, "echo", new byte[] {1}));
            assertEquals(0, Files.list(Path.of("/proc/self/fd")).filter(ChannelServerTest::isLaneDescriptor).count(),
                "the executor's descriptor of the lane is closed once the controller mapped it");
            assertEquals(2, laneTraces(), "one mapping of the lane in each end");
            final CompletableFuture<byte[]> blocked = channel.call("block", new byte[0]).toCompletableFuture();
            channel.close();
            final ExecutionException failed = assertThrows(ExecutionException.class,
                () -> blocked.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            assertInstanceOf(ExecutorUnavailableException.class, failed.getCause());
            release.countDown();
        }
        assertEquals(0, laneTraces());
    }

    @Test
    void reportsErrorsOfTheFrameCodec()
    {
        final InvalidRequestException error = assertThrows(InvalidRequestException.class,
            () -> Protocol.decodeCall(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array()));
        assertTrue(error.reason().startsWith("malformed frame payload: type=CALL"), error.reason());
        final ExecutionException failed = assertThrows(ExecutionException.class, () -> CompletableFuture
            .failedFuture(Protocol.decodeError(Protocol.encodeError(new IllegalStateException("x"), "f.g"))).get());
        assertInstanceOf(MemoryMapperException.class, failed.getCause());
    }

    @Test
    void aLimitErrorKeepsItsTypeAndFigures()
    {
        final MemoryLimitException sent = new MemoryLimitException(MapperOperation.RESERVE,
            MemoryUsage.Limit.COMMITTED, 0x7000_0000L, 3 * 4096, 5 * 4096, 6 * 4096);
        final MemoryMapperException outer = new MemoryMapperException(MapperOperation.RELEASE, "batch", 1, 2, 0);
        outer.addSuppressed(sent);
        final MemoryMapperException decoded = Protocol.decodeError(Protocol.encodeError(outer, "memory.release"));
        final MemoryLimitException received = assertInstanceOf(MemoryLimitException.class,
            decoded.getSuppressed()[0]);
        assertEquals(MemoryUsage.Limit.COMMITTED, received.limit());
        assertEquals(MapperOperation.RESERVE, received.operation());
        assertEquals(0x7000_0000L, received.address());
        assertEquals(3 * 4096, received.requested());
        assertEquals(5 * 4096, received.used());
        assertEquals(6 * 4096, received.maximum());
        assertEquals(sent.getMessage(), received.getMessage());

        final byte[] unknownLimit = Protocol.encodeError(sent, "memory.reserve");
        unknownLimit[unknownLimit.length - 2 - 16 - 1] = 9; // the limit's ordinal, before used, maximum and the count
        final InvalidRequestException malformed = assertThrows(InvalidRequestException.class,
            () -> Protocol.decodeError(unknownLimit));
        assertTrue(malformed.reason().contains("unknown memory limit: ordinal=9"), malformed.reason());
    }

    private static void assertPaths(final SocketExecutorChannel channel, final long laneCalls, final long socketCalls,
        final String message)
    {
        assertEquals(laneCalls, channel.laneCalls(), message + ": lane calls");
        assertEquals(socketCalls, channel.socketCalls(), message + ": socket calls");
    }

    /** @return the lane mappings and descriptors of this process */
    private static long laneTraces() throws Exception
    {
        final long mappings = ProcMaps.self().mappings().stream()
            .filter(mapping -> mapping.isMemfd(SocketExecutorChannel.LANE_MEMFD_NAME)).count();
        try (java.util.stream.Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd")))
        {
            return mappings + descriptors.filter(ChannelServerTest::isLaneDescriptor).count();
        }
    }

    private static boolean isLaneDescriptor(final Path descriptor)
    {
        try
        {
            return ProcMaps.isMemfd(Files.readSymbolicLink(descriptor).toString(),
                SocketExecutorChannel.LANE_MEMFD_NAME);
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
    }

    private ChannelServer start(final Path socket, final int maxFrameSize)
    {
        return ChannelServer.start(socket, PAGE_SIZE, executor -> List.of(new CountingProvider()), maxFrameSize,
            WORKERS);
    }

    private static byte[] call(final SocketExecutorChannel channel, final String function, final byte[] argument)
        throws Exception
    {
        return channel.call(function, argument).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Counts how many providers were opened and closed. */
    private final class CountingProvider implements ExecutorFunctionProvider
    {
        CountingProvider()
        {
            opened.incrementAndGet();
        }

        @Override
        public Map<String, ExecutorFunction> functions()
        {
            return Map.of("echo", argument -> argument, "pause", argument ->
            {
                LockSupport.parkNanos(argument[0] * 100_000L);
                return argument;
            }, "grow", argument -> new byte[argument[0] * 1024], "fail",
                argument ->
                {
                    throw new IllegalStateException("failed on purpose");
                }, "block", argument ->
            {
                try
                {
                    release.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                return argument;
            });
        }

        @Override
        public void close()
        {
            closed.incrementAndGet();
        }
    }
}
