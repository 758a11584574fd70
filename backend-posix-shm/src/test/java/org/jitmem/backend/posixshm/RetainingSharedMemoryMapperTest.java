package org.jitmem.backend.posixshm;

import static org.jitmem.backend.posixshm.SharedMemoryTesting.address;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.await;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.memfdDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;


import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.RetainingMemoryMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retained reservations over the shared-memory mapper, with a real executor process on a real channel. */
class RetainingSharedMemoryMapperTest
{
    private static final long PAGE = PageSize.get();
    private static final long TIMEOUT = ExecutorProcess.TIMEOUT_SECONDS;
    private static final long PATTERN = 0x5A5A_A5A5_0F0F_F0F0L;

    @TempDir
    Path temp;

    private ExecutorProcess executor;
    private SocketExecutorChannel channel;
    private SharedMemoryMapper inner;
    private RetainingMemoryMapper mapper;

    @AfterEach
    void stop() throws IOException
    {
        if (mapper != null)
        {
            mapper.close(Duration.ofSeconds(TIMEOUT));
            assertEquals(0, mapper.retainedCount());
        }
        SharedMemoryTesting.stop(inner, channel, executor);
    }

    @Test
    void pooledRangeHasNoAccessInTheExecutorIsZeroedThereAndComesBackWithoutARoundTrip() throws Exception
    {
        start(RetainingMemoryMapper.DEFAULT_RETAINED_BYTES);
        final long pid = mapper.executorPid();
        final ExecutorAddressRange range = await(mapper.reserve(2 * PAGE));
        final ExecutorAddress code = range.start();
        final ExecutorAddress data = code.add(PAGE);
        final ByteBuffer working = mapper.prepare(code, range.size());
        while (working.hasRemaining())
        {
            working.putLong(PATTERN);
        }
        final ExecutorAddress key = initializeLoader(range);
        assertEquals(PATTERN, loadInExecutor(code, data.value() + 8), "the executor reads what the controller wrote");
        await(mapper.deinitialize(List.of(key)));

        await(mapper.release(List.of(range.start())));

        assertEquals(1, mapper.retainedCount());
        assertEquals(2 * PAGE, mapper.retainedBytes());
        assertEquals(1, inner.mappedReservationCount());
        assertEquals(1, memfdDescriptors(pid).size(), "still reserved in the executor");
        final ProcMaps executorMaps = ProcMaps.of(pid);
        assertTrue(executorMaps.isMapped(code.value(), range.size()));
        assertEquals(MemoryProtection.NONE, executorMaps.protection(code.value(), range.size()), "no access");
        assertTrue(ProcMaps.self().isMapped(address(working), range.size()), "working memory kept");

        final CompletionStage<ExecutorAddressRange> again = mapper.reserve(2 * PAGE - 1);
        assertTrue(again.toCompletableFuture().isDone(), "completed without a round trip");
        assertEquals(range, await(again));
        assertEquals(0, mapper.retainedCount());
        final ByteBuffer zeroed = mapper.prepare(code, range.size());
        for (int offset = 0; offset < range.size(); offset += Long.BYTES)
        {
            assertEquals(0, zeroed.getLong(offset), "controller sees zero at offset " + offset);
        }
        final ExecutorAddress reusedKey = initializeLoader(range);
        for (final long offset : new long[] {0, 8, PAGE / 2, PAGE - 8})
        {
            assertEquals(0, loadInExecutor(code, data.value() + offset), "executor sees zero at offset " + offset);
        }
        await(mapper.deinitialize(List.of(reusedKey)));
        await(mapper.release(List.of(range.start())));
        assertEquals(1, mapper.retainedCount());
    }

    @Test
    void overTheBoundTheRangeIsGoneFromBothProcesses() throws Exception
    {
        start(PAGE);
        final long pid = mapper.executorPid();
        final ExecutorAddressRange kept = await(mapper.reserve(PAGE));
        final ExecutorAddressRange over = await(mapper.reserve(PAGE));
        final long keptWorking = address(mapper.prepare(kept.start(), 8));
        final long overWorking = address(mapper.prepare(over.start(), 8));
        assertEquals(2, memfdDescriptors(pid).size());

        await(mapper.release(List.of(kept.start(), over.start())));

        assertEquals(1, mapper.retainedCount());
        assertEquals(1, memfdDescriptors(pid).size());
        final ProcMaps executorMaps = ProcMaps.of(pid);
        final ProcMaps controllerMaps = ProcMaps.self();
        assertTrue(executorMaps.isMapped(kept.start().value(), PAGE));
        assertTrue(controllerMaps.isMapped(keptWorking, PAGE));
        assertTrue(executorMaps.hasNoSharedMapping(over.start().value(), PAGE), "gone from the executor");
        assertTrue(controllerMaps.hasNoSharedMapping(overWorking, PAGE), "gone from the controller");

        mapper.close(Duration.ofSeconds(TIMEOUT));
        assertEquals(Set.of(), memfdDescriptors(pid));
        assertTrue(ProcMaps.of(pid).hasNoSharedMapping(kept.start().value(), PAGE));
        assertTrue(ProcMaps.self().hasNoSharedMapping(keptWorking, PAGE));
    }

    @Test
    void afterTheExecutorIsKilledNoPooledRangeIsHandedOut() throws Exception
    {
        start(RetainingMemoryMapper.DEFAULT_RETAINED_BYTES);
        final ExecutorAddressRange range = await(mapper.reserve(PAGE));
        final long working = address(mapper.prepare(range.start(), 8));
        await(mapper.release(List.of(range.start())));
        assertEquals(1, mapper.retainedCount());

        executor.process().destroyForcibly();
        assertTrue(executor.process().waitFor(TIMEOUT, TimeUnit.SECONDS));
        channel.closed().toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS);

        final ExecutionException failure = assertThrows(ExecutionException.class,
            () -> mapper.reserve(PAGE).toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS));
        assertInstanceOf(ExecutorUnavailableException.class, failure.getCause());
        assertEquals(0, mapper.retainedCount(), "the pool is dropped");
        assertTrue(ProcMaps.self().hasNoSharedMapping(working, PAGE), "working memory unmapped");
    }

    private void start(final long retainedBytes) throws Exception
    {
        executor = ExecutorProcess.start(temp.resolve("run-" + System.nanoTime()).resolve("executor.sock"),
            List.of());
        channel = executor.connect();
        inner = new SharedMemoryMapper(channel, false);
        mapper = new RetainingMemoryMapper(inner, retainedBytes);
    }

    /** Writes the load function at the start of the range; its second page becomes a read-only data segment. */
    private ExecutorAddress initializeLoader(final ExecutorAddressRange range) throws Exception
    {
        final byte[] load = MachineCode.loadFromArgument();
        mapper.prepare(range.start(), load.length).put(load);
        return await(mapper.initialize(new AllocInfo(range.start(), List.of(
            Segment.of(0, load.length, MemoryProtection.READ_EXEC),
            Segment.of(PAGE, PAGE, MemoryProtection.READ)), List.of())));
    }

    private long loadInExecutor(final ExecutorAddress function, final long address) throws Exception
    {
        return await(mapper.call(ActionCall.of(function, MachineCode.loadArgument(address))));
    }

}
