package org.jitmem.backend.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.Segment;
import org.jitmem.backend.remote.wire.RemoteCodec;
import org.jitmem.channel.Protocol;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.memory.MemoryLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What only the copying mapper promises: content copied in bounded frames, its own working memory. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RemoteMemoryMapperTest
{
    private static final long TIMEOUT = ExecutorProcess.TIMEOUT_SECONDS;
    private static final int MIB = 1 << 20;
    /** Frames a little larger than one piece of content: a larger frame would fail the call. */
    private static final int MAX_FRAME = MIB + 64 * 1024;

    @TempDir
    Path temp;

    private ExecutorProcess executor;
    private SocketExecutorChannel channel;
    private RemoteMemoryMapper mapper;

    @BeforeEach
    void start() throws Exception
    {
        executor = ExecutorProcess.start(temp.resolve("run").resolve("executor.sock"), List.of());
        channel = SocketExecutorChannel.connect(executor.socket(), Duration.ofSeconds(TIMEOUT), MAX_FRAME, null);
        mapper = new RemoteMemoryMapper(channel, false, MemoryLimits.machineDefaults());
    }

    @AfterEach
    void stop() throws Exception
    {
        mapper.close(Duration.ofSeconds(TIMEOUT));
        assertEquals(0, mapper.mappedReservationCount());
        assertEquals(0, mapper.memoryUsage().orElseThrow().committedBytes());
        channel.close();
        executor.close();
    }

    @Test
    void largeContentIsStreamedInBoundedFramesAndArrivesWhole() throws Exception
    {
        final ExecutorAddress load = loader();
        final int size = 5 * MIB + 123;
        final ExecutorAddressRange range = await(mapper.reserve(size + 8));
        final ByteBuffer content = mapper.prepare(range.start(), size);
        for (int i = 0; i + 8 <= size; i += 8)
        {
            content.putLong(i, 0x1234_0000_0000L + i);
        }
        assertThrows(ExecutionException.class, () -> channel.call(RemoteCodec.WRITE,
            new byte[MAX_FRAME]).toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS),
            "the channel refuses a frame above its limit");

        final ExecutorAddress key = await(mapper.initialize(AllocInfo.of(range.start(),
            new Segment(0, size, 8, MemoryProtection.READ, MemoryLifetime.STANDARD))));

        assertEquals(MemoryProtection.READ, ProcMaps.of(mapper.executorPid()).protection(range.start().value(),
            size));
        for (final long offset : new long[] {0, MIB - 8, MIB, 3L * MIB + 8, size - 11})
        {
            assertEquals(0x1234_0000_0000L + offset, peek(load, range.start().add(offset)), "offset " + offset);
        }
        await(mapper.deinitialize(List.of(key)));
        await(mapper.release(List.of(range.start())));
    }

    @Test
    void workingMemoryIsCommittedAsPreparedAndGivenBackAtDeinitialize() throws Exception
    {
        final long page = mapper.pageSize();
        final ExecutorAddressRange range = await(mapper.reserve(4 * MIB));
        final ByteBuffer content = mapper.prepare(range.start(), MIB + 8);
        content.putLong(MIB, 42);
        final long prepared = mapper.memoryUsage().orElseThrow().committedBytes();
        assertEquals(MIB + page, prepared, "committed page by page as handed out");
        final ExecutorAddress key = await(mapper.initialize(AllocInfo.of(range.start(),
            Segment.of(0, MIB + 8, MemoryProtection.READ))));
        assertEquals(prepared, mapper.memoryUsage().orElseThrow().committedBytes(), "kept while initialized");

        await(mapper.deinitialize(List.of(key)));

        assertEquals(page, mapper.memoryUsage().orElseThrow().committedBytes(),
            "whole pages given back; the last, partly used, stays");
        final byte[] after = new byte[16];
        mapper.prepare(range.start(), 16).get(after);
        assertArrayEquals(new byte[16], after, "given-back pages read zero");
        assertEquals(42, mapper.prepare(range.start().add(MIB), 8).getLong(0),
            "the partly used page keeps its content");
        await(mapper.release(List.of(range.start())));
        assertEquals(0, mapper.memoryUsage().orElseThrow().reservedBytes());
    }

    @Test
    void deadExecutorFailsEveryOperationAndWorkingMemoryStaysWritableUntilReleased() throws Exception
    {
        final ExecutorAddressRange range = await(mapper.reserve(MIB));
        final ByteBuffer working = mapper.prepare(range.start(), MIB);

        executor.process().destroyForcibly();
        assertTrue(executor.process().waitFor(TIMEOUT, TimeUnit.SECONDS));
        channel.closed().toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS);

        for (int i = 0; i < MIB; i += 4096)
        {
            working.put(i, (byte)i);
        }
        assertFailsWith(ExecutorUnavailableException.class, mapper.reserve(MIB));
        assertFailsWith(ExecutorUnavailableException.class, mapper.initialize(AllocInfo.of(range.start(),
            Segment.of(0, 8, MemoryProtection.READ))));
        assertFailsWith(ExecutorUnavailableException.class, mapper.call(ActionCall.of(range.start())));
        assertFailsWith(ExecutorUnavailableException.class, mapper.deinitialize(List.of(range.start())));
        assertThrows(ExecutorUnavailableException.class, () -> mapper.prepare(range.start(), 8));
        assertEquals(1, mapper.mappedReservationCount(), "working memory stays until released");
        mapper.close(Duration.ofSeconds(TIMEOUT));
        assertEquals(1, mapper.mappedReservationCount(), "closing the mapper of a gone executor keeps working " +
            "memory a writer may still hold");
        working.put(MIB - 1, (byte)1);

        assertFailsWith(ExecutorUnavailableException.class, mapper.release(List.of(range.start())));
        assertEquals(0, mapper.mappedReservationCount());
        assertEquals(0, mapper.memoryUsage().orElseThrow().reservedBytes());
        assertEquals(0, mapper.memoryUsage().orElseThrow().committedBytes());
    }

    @Test
    void aReserveAnsweredAfterCloseFailsAsARefusedReserveAndGivesItAllBack() throws Exception
    {
        final ExecutorService completions = Executors.newSingleThreadExecutor();
        final CountDownLatch gate = new CountDownLatch(1);
        try (SocketExecutorChannel held = SocketExecutorChannel.connect(executor.socket(),
            Duration.ofSeconds(TIMEOUT), MAX_FRAME, completions, 0))
        {
            final RemoteMemoryMapper closing = new RemoteMemoryMapper(held, false, MemoryLimits.machineDefaults());
            // Replies wait behind the gate, so the mapper is closed before it sees what the executor reserved.
            completions.execute(() -> awaitQuietly(gate));
            final CompletionStage<ExecutorAddressRange> reserved = closing.reserve(MIB);
            closing.close(Duration.ofSeconds(TIMEOUT));
            gate.countDown();

            final ExecutionException failure = assertThrows(ExecutionException.class,
                () -> reserved.toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS));
            final MemoryRevokedException revoked = assertInstanceOf(MemoryRevokedException.class, failure.getCause());
            assertEquals(MapperOperation.RESERVE, revoked.operation());
            assertEquals(0, revoked.getSuppressed().length, "the executor took the reservation back");
            assertEquals(0, closing.mappedReservationCount());
            assertEquals(0, closing.memoryUsage().orElseThrow().reservedBytes());
        }
        finally
        {
            gate.countDown();
            completions.shutdown();
            assertTrue(completions.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        }
    }

    /** @return a function in the executor that returns the word at the address its argument names */
    private ExecutorAddress loader() throws Exception
    {
        final byte[] load = MachineCode.loadFromArgument();
        final ExecutorAddress code = await(mapper.reserve(load.length)).start();
        mapper.prepare(code, load.length).put(load);
        await(mapper.initialize(AllocInfo.of(code, Segment.of(0, load.length, MemoryProtection.READ_EXEC))));
        return code;
    }

    private long peek(final ExecutorAddress load, final ExecutorAddress address) throws Exception
    {
        return await(mapper.call(ActionCall.of(load, MachineCode.loadArgument(address.value()))));
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            assertTrue(latch.await(TIMEOUT, TimeUnit.SECONDS));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> T await(final CompletionStage<T> stage) throws Exception
    {
        return stage.toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS);
    }

    private static <E extends Throwable> void assertFailsWith(final Class<E> type, final CompletionStage<?> stage)
    {
        final ExecutionException failure = assertThrows(ExecutionException.class,
            () -> stage.toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS));
        assertInstanceOf(type, failure.getCause());
    }
}
