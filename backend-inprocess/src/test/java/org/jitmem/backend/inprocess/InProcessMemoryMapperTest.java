package org.jitmem.backend.inprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionFailedException;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.Segment;
import org.jitmem.api.MemoryUsage;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.MapperCycles;
import org.jitmem.machine.ProcMaps;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.posix.PageSize;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class InProcessMemoryMapperTest
{
    private static final long PAGE = PageSize.get();
    private static final long FAILURE_CODE = 3;

    private final InProcessMemoryMapper mapper = new InProcessMemoryMapper(false);

    @AfterEach
    void close()
    {
        mapper.close();
        assertEquals(0, mapper.reservationCount());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hugeReservesCommitNothingAndTheLimitsRefuseAtOnce()
    {
        final long mib = 1 << 20;
        final InProcessMemoryMapper limited = new InProcessMemoryMapper(false,
            new MemoryLimits(MemoryLimits.DEFAULT_RESERVED_LIMIT, 64 * mib));
        try
        {
            final long pid = ProcessHandle.current().pid();
            for (final long size : new long[] {2L << 30, 2 * MemoryLimits.physicalMemory()})
            {
                final long rss = ProcMaps.residentBytes(pid);
                final ExecutorAddressRange range = MemoryMapper.await(limited.reserve(size));
                final long rssAfter = ProcMaps.residentBytes(pid);
                System.out.printf(Locale.ROOT, "in-process reserve %,d bytes: RSS %,d -> %,d%n", size, rss, rssAfter);
                assertTrue(rssAfter - rss < 128 * mib, "RSS barely moves");
                assertEquals(new MemoryUsage(size, MemoryLimits.DEFAULT_RESERVED_LIMIT, 0, 64 * mib),
                    limited.memoryUsage().orElseThrow());
                limited.prepare(range.start().add((size - 128 * mib) & -mib), (int)(64 * mib));
                final MemoryLimitException commit = assertThrows(MemoryLimitException.class,
                    () -> limited.prepare(range.start(), 1));
                assertEquals(MemoryUsage.Limit.COMMITTED, commit.limit());
                assertEquals(range.start().value(), commit.address());
                assertTrue(commit.requested() >= PAGE && commit.requested() <= 64 * 1024,
                    "a page, or a chunk of a reservation too large to track page by page: " + commit.requested());
                assertEquals(64 * mib, commit.used());
                MemoryMapper.await(limited.release(List.of(range.start())));
            }
            final MemoryLimitException reserve = assertThrows(MemoryLimitException.class,
                () -> MemoryMapper.await(limited.reserve(MemoryLimits.DEFAULT_RESERVED_LIMIT + PAGE)));
            assertEquals(MemoryUsage.Limit.RESERVED, reserve.limit());
            assertEquals(0, reserve.used());
            assertEquals(new MemoryUsage(0, MemoryLimits.DEFAULT_RESERVED_LIMIT, 0, 64 * mib),
                limited.memoryUsage().orElseThrow());
        }
        finally
        {
            limited.close();
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void eightThreadsOfTwoThousandCyclesLeaveNothingBehind() throws Exception
    {
        final List<ExecutorAddressRange> ranges = MapperCycles.run(mapper, 8, 2_000, 120);
        assertEquals(16_000, ranges.size());
        assertEquals(0, mapper.reservationCount());
        assertEquals(0, mapper.allocationCount());
        final MemoryUsage usage = mapper.memoryUsage().orElseThrow();
        assertEquals(0, usage.reservedBytes());
        assertEquals(0, usage.committedBytes());
        final ProcMaps maps = ProcMaps.self();
        for (int thread = 1; thread <= 8; thread++)
        {
            final ExecutorAddressRange last = ranges.get(thread * 2_000 - 1);
            assertTrue(maps.isUnmapped(last.start().value(), last.size()), "last reservation unmapped: " + last);
        }
    }

    @Test
    void describesItself()
    {
        assertEquals(MapperProperties.TYPE_INPROCESS, mapper.type());
        assertFalse(mapper.crossProcess());
        assertEquals(ProcessHandle.current().pid(), mapper.executorPid());
        assertEquals(PageSize.get(), mapper.pageSize());
        assertEquals(java.util.Map.of(MapperProperties.TYPE, MapperProperties.TYPE_INPROCESS,
            MapperProperties.CROSS_PROCESS, false, MapperProperties.EXECUTOR_PID, ProcessHandle.current().pid(),
            MapperProperties.PAGE_SIZE, PageSize.get()), MapperProperties.of(mapper),
            "the service properties are read from the mapper");
    }

    @Test
    void fullCycleRunsJitCodeAndItsActions()
    {
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(2 * PAGE + 1));
        assertEquals(3 * PAGE, range.size());
        final ExecutorAddress code = range.start();
        final ExecutorAddress data = code.add(PAGE);
        final ExecutorAddress readOnly = code.add(2 * PAGE);

        final byte[] store = MachineCode.storeFromArgument();
        final byte[] constant = MachineCode.returnConstant(1234);
        final ByteBuffer text = mapper.prepare(code, 64 + constant.length);
        text.put(store).position(64);
        text.put(constant);
        final ByteBuffer marker = mapper.prepare(data, 8);
        marker.putLong(0, -1);

        final ExecutorAddress key = MemoryMapper.await(mapper.initialize(new AllocInfo(range.start(), List.of(
            Segment.of(0, 64 + constant.length, MemoryProtection.READ_EXEC),
            new Segment(PAGE, 8, 16, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD),
            Segment.of(2 * PAGE, 8, MemoryProtection.READ)),
            List.of(new ActionPair(
                ActionCall.of(code, MachineCode.storeArgument(data.value() + 8, 0xF1L)),
                ActionCall.of(code, MachineCode.storeArgument(data.value() + 16, 0xD1L)))))));
        assertEquals(code, key);

        final ByteBuffer view = mapper.prepare(data, 24);
        assertEquals(-1, view.getLong(0), "content kept");
        assertEquals(0xF1L, view.getLong(8), "finalize action stored its marker");
        assertEquals(0, view.getLong(16), "zero-filled");
        final ProcMaps maps = ProcMaps.self();
        assertEquals(MemoryProtection.READ_EXEC, maps.protection(code.value(), PAGE));
        assertEquals(MemoryProtection.READ_WRITE, maps.protection(data.value(), PAGE));
        assertEquals(MemoryProtection.READ, maps.protection(readOnly.value(), PAGE));

        assertEquals(1234L, MemoryMapper.await(mapper.call(ActionCall.of(code.add(64)))));

        MemoryMapper.await(mapper.deinitialize(List.of(key)));
        assertEquals(0xD1L, mapper.prepare(data, 24).getLong(16), "dealloc action stored its marker");
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(code.value(), range.size()));
        assertEquals(0, mapper.allocationCount());

        MemoryMapper.await(mapper.release(List.of(range.start())));
        assertTrue(ProcMaps.self().isUnmapped(code.value(), range.size()));
        assertEquals(0, mapper.reservationCount());
    }

    @Test
    void failingFinalizeActionFailsTheStage()
    {
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(PAGE));
        final ExecutorAddress code = range.start();
        mapper.prepare(code, 16).put(MachineCode.returnValue(FAILURE_CODE));
        final ActionFailedException failure = failure(ActionFailedException.class, mapper.initialize(
            new AllocInfo(code, List.of(Segment.of(0, 16, MemoryProtection.READ_EXEC)),
                List.of(new ActionPair(ActionCall.of(code), ActionCall.NONE)))));
        assertEquals(0, failure.actionIndex());
        assertEquals(FAILURE_CODE, failure.result());
        assertEquals(0, mapper.allocationCount());
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(code.value(), PAGE));
    }

    @Test
    void errorsSurfaceAsFailedStagesWithTypedExceptions()
    {
        assertEquals(MapperOperation.RESERVE, failure(InvalidRequestException.class, mapper.reserve(0)).operation());
        assertEquals(MapperOperation.RESERVE, failure(InvalidRequestException.class, mapper.reserve(-PAGE)).operation());
        failure(InvalidRequestException.class, mapper.reserve(Long.MAX_VALUE));
        final ExecutorAddress outside = ExecutorAddress.of(PAGE);
        failure(InvalidRequestException.class,
            mapper.initialize(AllocInfo.of(outside, Segment.of(0, 1, MemoryProtection.READ))));
        failure(InvalidRequestException.class, mapper.deinitialize(List.of(outside)));
        failure(InvalidRequestException.class, mapper.release(List.of(outside)));
        failure(InvalidRequestException.class, mapper.call(ActionCall.of(outside)));
        assertThrows(InvalidRequestException.class, () -> mapper.prepare(outside, 8));

        final ExecutorAddress base = MemoryMapper.await(mapper.reserve(PAGE)).start();
        failure(InvalidRequestException.class,
            mapper.initialize(AllocInfo.of(base, Segment.of(0, 8, MemoryProtection.READ_WRITE_EXEC))));
        failure(InvalidRequestException.class,
            mapper.initialize(AllocInfo.of(base, Segment.of(0, PAGE + 1, MemoryProtection.READ))));
        assertThrows(InvalidRequestException.class, () -> mapper.prepare(base, PAGE + 1));
        MemoryMapper.await(mapper.release(List.of(base)));
        failure(InvalidRequestException.class, mapper.release(List.of(base)));
    }

    @Test
    void writeExecuteAllowedWhenConfigured()
    {
        try (InProcessMemoryMapper permissive = new InProcessMemoryMapper(true))
        {
            final ExecutorAddress base = MemoryMapper.await(permissive.reserve(PAGE)).start();
            permissive.prepare(base, 16).put(MachineCode.returnArgumentLength());
            MemoryMapper.await(permissive.initialize(AllocInfo.of(base,
                Segment.of(0, 16, MemoryProtection.READ_WRITE_EXEC))));
            assertEquals(MemoryProtection.READ_WRITE_EXEC, ProcMaps.self().protection(base.value(), PAGE));
            assertEquals(3L, MemoryMapper.await(permissive.call(ActionCall.of(base, new byte[3]))));
        }
    }

    @Test
    void closeReleasesEverythingAndRevokesLaterUse()
    {
        final InProcessMemoryMapper closing = new InProcessMemoryMapper(false);
        final ExecutorAddressRange range = MemoryMapper.await(closing.reserve(PAGE));
        closing.prepare(range.start(), 16).put(MachineCode.returnConstant(1));
        MemoryMapper.await(closing.initialize(AllocInfo.of(range.start(),
            Segment.of(0, 16, MemoryProtection.READ_EXEC))));
        closing.close();
        closing.close();
        assertTrue(ProcMaps.self().isUnmapped(range.start().value(), PAGE));
        assertEquals(0, closing.reservationCount());
        failure(MemoryRevokedException.class, closing.reserve(PAGE));
        failure(MemoryRevokedException.class, closing.call(ActionCall.of(range.start())));
        assertThrows(MemoryRevokedException.class, () -> closing.prepare(range.start(), 8));
    }

    private static <E extends MemoryMapperException> E failure(final Class<E> type, final CompletionStage<?> stage)
    {
        assertTrue(stage.toCompletableFuture().isDone(), "in-process stages complete at once");
        final ExecutionException failed = assertThrows(ExecutionException.class,
            () -> stage.toCompletableFuture().get());
        return assertInstanceOf(type, failed.getCause());
    }
}
