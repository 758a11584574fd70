package org.jitmem.mappertests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

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
import org.jitmem.api.MemoryUsage;
import org.jitmem.api.Segment;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.MapperCycles;
import org.jitmem.machine.ProcMaps;
import org.jitmem.memory.MemoryLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link MemoryMapper} contract, the same for every backend: each backend's tests extend this class and say how to
 * open and close a mapper. Protections are read from {@code /proc/<executor pid>/maps}; what the executor's memory
 * holds is read by code running in the executor (a probe allocation in a reservation of its own), so nothing here
 * depends on how content reaches the executor. After each test every mapper opened is closed, must hold no reserved
 * or committed bytes, and this process must hold no descriptor more than before.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
public abstract class MemoryMapperContract
{
    /** Seconds any single operation may take. */
    protected static final long TIMEOUT_SECONDS = 60;
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;
    /** Far below what committing any of the huge reserves would add. */
    private static final long BARELY = 128 * MIB;
    private static final long FAILURE_CODE = 7;
    private static final int SLOTS = 8;

    private final List<MemoryMapper> opened = new ArrayList<>();
    private List<String> descriptorsBefore;

    /**
     * Opens a mapper, starting its executor where it has one; every mapper opened is closed after the test.
     *
     * @param allowWriteExecute accept segments that are both writable and executable
     * @param limits            the mapper's limits on reserved and committed bytes
     * @return the mapper
     * @throws Exception when it cannot be opened
     */
    protected abstract MemoryMapper open(boolean allowWriteExecute, MemoryLimits limits) throws Exception;

    /**
     * Ends a mapper as its backend does when its service goes: releases everything, refuses later use. The executor
     * stays until {@link #stopExecutors}.
     *
     * @param mapper a mapper from {@link #open}
     * @throws Exception when closing fails
     */
    protected abstract void close(MemoryMapper mapper) throws Exception;

    /**
     * Stops every executor the test started; called once after every mapper is closed.
     *
     * @throws Exception when an executor could not be stopped
     */
    protected void stopExecutors() throws Exception
    {
    }

    /** @return the backend's type, as {@link MemoryMapper#type()} states it */
    protected abstract String type();

    /** @return the protection of reserved memory that is not initialized, in the executor */
    protected abstract MemoryProtection freeProtection();

    /**
     * Closes every mapper, checks that none holds memory and that this process holds no descriptor more, then stops
     * the executors.
     *
     * @throws Exception when something was left behind
     */
    @AfterEach
    final void closeEverything() throws Exception
    {
        try
        {
            for (final MemoryMapper mapper : opened)
            {
                close(mapper);
                mapper.memoryUsage().ifPresent(usage ->
                {
                    assertEquals(0, usage.reservedBytes(), "reserved bytes left: " + usage);
                    assertEquals(0, usage.committedBytes(), "committed bytes left: " + usage);
                });
            }
        }
        finally
        {
            stopExecutors();
        }
        if (descriptorsBefore != null)
        {
            assertEquals(descriptorsBefore, socketsAndMemoryFiles(ProcessHandle.current().pid()),
                "no descriptor left in this process");
        }
    }

    /** @return a mapper with W^X on and the machine's default limits */
    private MemoryMapper mapper() throws Exception
    {
        return mapper(false, MemoryLimits.machineDefaults());
    }

    private MemoryMapper mapper(final boolean allowWriteExecute, final MemoryLimits limits) throws Exception
    {
        if (descriptorsBefore == null)
        {
            descriptorsBefore = socketsAndMemoryFiles(ProcessHandle.current().pid());
        }
        final MemoryMapper mapper = open(allowWriteExecute, limits);
        opened.add(mapper);
        return mapper;
    }

    @Test
    void describesItself() throws Exception
    {
        final MemoryMapper mapper = mapper();
        assertEquals(type(), mapper.type());
        assertEquals(mapper.executorPid() != ProcessHandle.current().pid(), mapper.crossProcess());
        assertTrue(mapper.pageSize() >= 4096 && Long.bitCount(mapper.pageSize()) == 1, "page size " +
            mapper.pageSize());
        assertEquals(Map.of(MapperProperties.TYPE, type(), MapperProperties.CROSS_PROCESS, mapper.crossProcess(),
            MapperProperties.EXECUTOR_PID, mapper.executorPid(), MapperProperties.PAGE_SIZE, mapper.pageSize()),
            MapperProperties.of(mapper), "the service properties are read from the mapper");
    }

    @Test
    void contentProtectionsAndActionsReachTheExecutor() throws Exception
    {
        final MemoryMapper mapper = mapper();
        final long page = mapper.pageSize();
        final Probe probe = Probe.of(mapper);
        final ExecutorAddressRange range = await(mapper.reserve(3 * page + 1));
        assertEquals(4 * page, range.size(), "rounded up to whole pages");
        assertEquals(freeProtection(), maps(mapper).protection(range.start().value(), range.size()));
        final ExecutorAddress code = range.start();
        final ExecutorAddress data = code.add(page);
        final ExecutorAddress readOnly = code.add(2 * page);
        final ExecutorAddress untouched = code.add(3 * page);

        final byte[] constant = MachineCode.returnConstant(0x5EED);
        mapper.prepare(code, constant.length).put(constant);
        mapper.prepare(data, 24).putLong(-1).putLong(-2).putLong(-3);
        // Executor memory that held content before, so that the zero fill below has something to clear.
        await(mapper.deinitialize(List.of(await(mapper.initialize(AllocInfo.of(data,
            Segment.of(0, 24, MemoryProtection.READ_WRITE)))))));
        mapper.prepare(readOnly, 8).putLong(0x0DDBA11L);
        final ExecutorAddress key = await(mapper.initialize(new AllocInfo(code, List.of(
            Segment.of(0, constant.length, MemoryProtection.READ_EXEC),
            new Segment(page, 8, 16, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD),
            Segment.of(2 * page, 8, MemoryProtection.READ)),
            List.of(new ActionPair(probe.store(0, 0xF1), probe.store(1, 0xD1))))));

        assertEquals(code, key, "the key is the lowest segment address");
        final ProcMaps maps = maps(mapper);
        assertEquals(MemoryProtection.READ_EXEC, maps.protection(code.value(), page));
        assertEquals(MemoryProtection.READ_WRITE, maps.protection(data.value(), page));
        assertEquals(MemoryProtection.READ, maps.protection(readOnly.value(), page));
        assertEquals(freeProtection(), maps.protection(untouched.value(), page));
        assertEquals(0x5EED, (long)await(mapper.call(ActionCall.of(code))));
        assertEquals(-1, probe.peek(data), "content reached the executor");
        assertEquals(0, probe.peek(data.add(8)), "tail zero-filled");
        assertEquals(0, probe.peek(data.add(16)), "tail zero-filled");
        assertEquals(0x0DDBA11L, probe.peek(readOnly));
        assertEquals(0xF1, probe.slot(0), "finalize action ran");
        assertEquals(0, probe.slot(1), "dealloc action waits for deinitialize");

        await(mapper.deinitialize(List.of(key)));
        assertEquals(0xD1, probe.slot(1), "dealloc action ran");
        assertEquals(freeProtection(), maps(mapper).protection(code.value(), range.size()), "protections reset");
        assertFailsWith(InvalidRequestException.class, mapper.deinitialize(List.of(key)));

        await(mapper.release(List.of(range.start())));
        assertTrue(maps(mapper).isUnmapped(code.value(), range.size()), "unmapped in the executor");
        assertThrows(InvalidRequestException.class, () -> mapper.prepare(code, 8));
        assertFailsWith(InvalidRequestException.class, mapper.release(List.of(range.start())));
    }

    @Test
    void failingFinalizeActionRunsEarlierDeallocsInReverseAndRecordsNothing() throws Exception
    {
        final MemoryMapper mapper = mapper();
        final long page = mapper.pageSize();
        final Probe probe = Probe.of(mapper);
        final ExecutorAddressRange range = await(mapper.reserve(page));
        final ExecutorAddress code = range.start();
        final Segment text = Segment.of(0, 8, MemoryProtection.READ);

        final ActionFailedException failure = assertFailsWith(ActionFailedException.class,
            mapper.initialize(new AllocInfo(code, List.of(text), List.of(
                new ActionPair(probe.store(0, 1), probe.store(2, 10)),
                new ActionPair(probe.store(1, 2), probe.store(2, 11)),
                new ActionPair(probe.failing(), probe.store(3, 12))))));

        assertEquals(2, failure.actionIndex());
        assertEquals(FAILURE_CODE, failure.result());
        assertEquals(MapperOperation.INITIALIZE, failure.operation());
        assertEquals(10, probe.slot(2), "dealloc 1 ran, then dealloc 0");
        assertEquals(0, probe.slot(3), "the failed action's dealloc does not run");
        assertEquals(freeProtection(), maps(mapper).protection(code.value(), page), "protections reset");
        assertFailsWith(InvalidRequestException.class, mapper.deinitialize(List.of(code)), "nothing recorded");
        final ExecutorAddress key = await(mapper.initialize(AllocInfo.of(code, text)));
        assertEquals(MemoryProtection.READ, maps(mapper).protection(code.value(), page), "the range is usable");
        await(mapper.deinitialize(List.of(key)));
    }

    @Test
    void deallocsRunInReverseAndReleaseTearsDownLastInFirstOut() throws Exception
    {
        final MemoryMapper mapper = mapper();
        final long page = mapper.pageSize();
        final Probe probe = Probe.of(mapper);
        final ExecutorAddressRange range = await(mapper.reserve(2 * page));
        final ExecutorAddress first = range.start();
        final ExecutorAddress second = first.add(page);
        final Segment readable = Segment.of(0, 8, MemoryProtection.READ);

        final ExecutorAddress key = await(mapper.initialize(new AllocInfo(first, List.of(readable), List.of(
            new ActionPair(ActionCall.NONE, probe.store(0, 1)), new ActionPair(ActionCall.NONE, probe.store(0, 2))))));
        await(mapper.deinitialize(List.of(key)));
        assertEquals(1, probe.slot(0), "dealloc 1 ran before dealloc 0");

        final ExecutorAddress a = await(mapper.initialize(new AllocInfo(first, List.of(readable),
            List.of(new ActionPair(ActionCall.NONE, probe.store(1, 1))))));
        final ExecutorAddress b = await(mapper.initialize(new AllocInfo(second, List.of(readable),
            List.of(new ActionPair(ActionCall.NONE, probe.store(1, 2))))));
        await(mapper.deinitialize(List.of(a, b)));
        assertEquals(1, probe.slot(1), "a batch goes in the reverse of the order given");

        await(mapper.initialize(new AllocInfo(second, List.of(readable),
            List.of(new ActionPair(ActionCall.NONE, probe.store(2, 2))))));
        await(mapper.initialize(new AllocInfo(first, List.of(readable),
            List.of(new ActionPair(ActionCall.NONE, probe.store(2, 1))))));
        await(mapper.release(List.of(range.start())));
        assertEquals(2, probe.slot(2), "release deinitialized the allocation initialized last first");
        assertTrue(maps(mapper).isUnmapped(first.value(), range.size()));
    }

    @Test
    void batchFailuresNameEachFailedKey() throws Exception
    {
        final MemoryMapper mapper = mapper();
        final long page = mapper.pageSize();
        final Probe probe = Probe.of(mapper);
        final ExecutorAddressRange range = await(mapper.reserve(3 * page));
        final Segment readable = Segment.of(0, 8, MemoryProtection.READ);
        final ExecutorAddress clean = await(mapper.initialize(AllocInfo.of(range.start(), readable)));
        final List<ExecutorAddress> unclean = new ArrayList<>();
        for (int i = 1; i <= 2; i++)
        {
            unclean.add(await(mapper.initialize(new AllocInfo(range.start().add(i * page), List.of(readable),
                List.of(new ActionPair(ActionCall.NONE, probe.failing()))))));
        }

        final MemoryMapperException failure = assertFailsWith(MemoryMapperException.class,
            mapper.deinitialize(List.of(unclean.get(0), clean, unclean.get(1))));

        final List<Long> failed = new ArrayList<>(List.of(failure.address()));
        Arrays.stream(failure.getSuppressed()).map(MemoryMapperException.class::cast)
            .forEach(suppressed -> failed.add(suppressed.address()));
        assertEquals(Set.of(unclean.get(0).value(), unclean.get(1).value()), Set.copyOf(failed), failure.toString());
        assertEquals(2, failed.size(), "one failure per failed key");
        assertEquals(MapperOperation.DEINITIALIZE, failure.operation());
        assertTrue(failure.getMessage().contains("failed with result " + FAILURE_CODE), failure.getMessage());
        for (final ExecutorAddress key : List.of(clean, unclean.get(0), unclean.get(1)))
        {
            assertFailsWith(InvalidRequestException.class, mapper.deinitialize(List.of(key)), "every key processed");
        }
        assertEquals(freeProtection(), maps(mapper).protection(range.start().value(), range.size()));
        await(mapper.release(List.of(range.start())));
    }

    @Test
    void badInputGetsTypedErrors() throws Exception
    {
        final MemoryMapper mapper = mapper();
        final long page = mapper.pageSize();
        for (final long size : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE})
        {
            final InvalidRequestException failure = assertFailsWith(InvalidRequestException.class,
                mapper.reserve(size));
            assertEquals(MapperOperation.RESERVE, failure.operation());
            assertEquals(size, failure.length());
        }
        final ExecutorAddressRange range = await(mapper.reserve(page));
        final ExecutorAddress start = range.start();
        for (final long[] bad : new long[][] {{page, 1}, {0, page + 1}, {-1, 1}, {0, -1}})
        {
            final InvalidRequestException failure = assertThrows(InvalidRequestException.class,
                () -> mapper.prepare(start.add(bad[0]), bad[1]));
            assertEquals(MapperOperation.PREPARE, failure.operation());
            assertEquals(start.value() + bad[0], failure.address());
        }
        assertFailsWith(InvalidRequestException.class, mapper.initialize(AllocInfo.of(start,
            Segment.of(page - 8, 16, MemoryProtection.READ))), "segment past the reservation");
        assertFailsWith(InvalidRequestException.class, mapper.initialize(AllocInfo.of(start.add(-page),
            Segment.of(0, 8, MemoryProtection.READ))), "mapping base outside every reservation");
        assertFailsWith(InvalidRequestException.class, mapper.initialize(new AllocInfo(start, List.of(
            Segment.of(0, 16, MemoryProtection.READ), Segment.of(8, 16, MemoryProtection.READ)), List.of())),
            "overlapping segments");
        assertFailsWith(InvalidRequestException.class, mapper.deinitialize(List.of(start)), "unknown key");
        assertFailsWith(InvalidRequestException.class, mapper.call(ActionCall.of(start)), "not executable");
        final InvalidRequestException release = assertFailsWith(InvalidRequestException.class,
            mapper.release(List.of(start.add(page))));
        assertEquals(MapperOperation.RELEASE, release.operation());
        assertEquals(start.value() + page, release.address());
        assertEquals(freeProtection(), maps(mapper).protection(start.value(), page), "nothing was applied");
        await(mapper.release(List.of(start)));
    }

    @Test
    void writeExecuteIsRefusedByDefaultAndAcceptedWhereAllowed() throws Exception
    {
        final MemoryMapper strict = mapper();
        final ExecutorAddressRange refused = await(strict.reserve(strict.pageSize()));
        final InvalidRequestException failure = assertFailsWith(InvalidRequestException.class,
            strict.initialize(AllocInfo.of(refused.start(), Segment.of(0, 8, MemoryProtection.READ_WRITE_EXEC))));
        assertTrue(failure.reason().contains("W^X"), failure.getMessage());
        assertEquals(freeProtection(), maps(strict).protection(refused.start().value(), strict.pageSize()));
        await(strict.release(List.of(refused.start())));

        final MemoryMapper permissive = mapper(true, MemoryLimits.machineDefaults());
        final ExecutorAddressRange allowed = await(permissive.reserve(permissive.pageSize()));
        final byte[] code = MachineCode.returnArgumentLength();
        permissive.prepare(allowed.start(), code.length).put(code);
        await(permissive.initialize(AllocInfo.of(allowed.start(),
            Segment.of(0, code.length, MemoryProtection.READ_WRITE_EXEC))));
        assertEquals(MemoryProtection.READ_WRITE_EXEC,
            maps(permissive).protection(allowed.start().value(), permissive.pageSize()));
        assertEquals(3L, (long)await(permissive.call(ActionCall.of(allowed.start(), new byte[3]))));
        await(permissive.release(List.of(allowed.start())));
    }

    @Test
    void limitsRefuseBeforeAnythingIsTaken() throws Exception
    {
        final MemoryMapper mapper = mapper(false, new MemoryLimits(64 * MIB, 2 * MIB));
        final ExecutorAddressRange range = await(mapper.reserve(48 * MIB));
        final MemoryLimitException reserve = assertFailsWith(MemoryLimitException.class, mapper.reserve(32 * MIB));
        assertEquals(MemoryUsage.Limit.RESERVED, reserve.limit());
        assertEquals(MapperOperation.RESERVE, reserve.operation());
        assertEquals(32 * MIB, reserve.requested());
        assertEquals(48 * MIB, reserve.used());

        mapper.prepare(range.start(), (int)(2 * MIB)).put(0, (byte)1);
        final MemoryLimitException prepare = assertThrows(MemoryLimitException.class,
            () -> mapper.prepare(range.start().add(4 * MIB), 8));
        assertEquals(MemoryUsage.Limit.COMMITTED, prepare.limit());
        assertEquals(MapperOperation.PREPARE, prepare.operation());
        assertEquals(range.start().value() + 4 * MIB, prepare.address());
        assertEquals(2 * MIB, prepare.used());
        assertTrue(prepare.getMessage().contains("limit=committed"), prepare.getMessage());
        await(mapper.release(List.of(range.start())));
        assertEquals(new MemoryUsage(0, 64 * MIB, 0, 2 * MIB), mapper.memoryUsage().orElseThrow());
        await(mapper.release(List.of(await(mapper.reserve(64 * MIB)).start())));
    }

    @Test
    void hugeReservesCommitNothingAndPrepareCommitsWhatItHandsOut() throws Exception
    {
        final MemoryMapper mapper = mapper(false, new MemoryLimits(MemoryLimits.DEFAULT_RESERVED_LIMIT, 256 * MIB));
        final long self = ProcessHandle.current().pid();
        for (final long size : new long[] {2 * GIB, 2 * MemoryLimits.physicalMemory()})
        {
            final long rss = ProcMaps.residentBytes(mapper.executorPid());
            final long ownRss = ProcMaps.residentBytes(self);
            final ExecutorAddressRange range = await(mapper.reserve(size));
            final long rssAfter = ProcMaps.residentBytes(mapper.executorPid());
            final long ownRssAfter = ProcMaps.residentBytes(self);
            System.out.printf(Locale.ROOT, "%s reserve %,d bytes: executor RSS %,d -> %,d, controller RSS %,d -> " +
                "%,d%n", type(), size, rss, rssAfter, ownRss, ownRssAfter);
            assertTrue(rssAfter - rss < BARELY, "the executor's RSS barely moves");
            assertTrue(ownRssAfter - ownRss < BARELY, "the controller's RSS barely moves");
            assertEquals(new MemoryUsage(size, MemoryLimits.DEFAULT_RESERVED_LIMIT, 0, 256 * MIB),
                mapper.memoryUsage().orElseThrow());
            mapper.prepare(range.start().add((size - 2 * MIB) & -MIB), (int)MIB).putLong(0, 1);
            assertEquals(MIB, mapper.memoryUsage().orElseThrow().committedBytes(), "prepare commits what it hands out");
            await(mapper.release(List.of(range.start())));
            assertEquals(new MemoryUsage(0, MemoryLimits.DEFAULT_RESERVED_LIMIT, 0, 256 * MIB),
                mapper.memoryUsage().orElseThrow());
        }
    }

    @Test
    void closedMapperHasReleasedEverythingAndRefusesLaterUse() throws Exception
    {
        final MemoryMapper mapper = mapper();
        final long page = mapper.pageSize();
        final ExecutorAddressRange range = await(mapper.reserve(2 * page));
        final byte[] code = MachineCode.returnConstant(1);
        mapper.prepare(range.start(), code.length).put(code);
        await(mapper.initialize(AllocInfo.of(range.start(), Segment.of(0, code.length, MemoryProtection.READ_EXEC))));

        close(mapper);
        close(mapper);

        assertTrue(maps(mapper).isUnmapped(range.start().value(), range.size()), "unmapped in the executor");
        assertFailsWith(MemoryRevokedException.class, mapper.reserve(page));
        assertFailsWith(MemoryRevokedException.class, mapper.call(ActionCall.of(range.start())));
        assertThrows(MemoryRevokedException.class, () -> mapper.prepare(range.start(), 8));
    }

    @Test
    void concurrentCyclesLeaveNothingBehind() throws Exception
    {
        final MemoryMapper mapper = mapper();
        final List<ExecutorAddressRange> ranges = MapperCycles.run(mapper, 8, 1_000, TIMEOUT_SECONDS * 4);
        assertEquals(8_000, ranges.size());
        final MemoryUsage usage = mapper.memoryUsage().orElseThrow();
        assertEquals(0, usage.reservedBytes());
        assertEquals(0, usage.committedBytes());
        final ProcMaps maps = maps(mapper);
        for (int thread = 1; thread <= 8; thread++)
        {
            final ExecutorAddressRange last = ranges.get(thread * 1_000 - 1);
            assertTrue(maps.isUnmapped(last.start().value(), last.size()), "last reservation unmapped: " + last);
        }
    }

    /**
     * @param stage a mapper's stage
     * @param <T>   its value type
     * @return its value
     * @throws Exception its failure, unwrapped, or a timeout
     */
    protected static <T> T await(final CompletionStage<T> stage) throws Exception
    {
        try
        {
            return stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof Exception cause ? cause : ex;
        }
    }

    /**
     * @param type    the failure expected
     * @param stage   a stage that must fail with it
     * @param message what the failure means
     * @param <E>     the failure's type
     * @return the failure
     */
    public static <E extends Throwable> E assertFailsWith(final Class<E> type, final CompletionStage<?> stage,
        final String... message)
    {
        final ExecutionException failure = assertThrows(ExecutionException.class,
            () -> stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS), String.join(" ", message));
        return assertInstanceOf(type, failure.getCause(), String.join(" ", message));
    }

    /**
     * @param pid a process
     * @return the targets of its descriptors that are sockets or memory files
     * @throws IOException when they cannot be read
     */
    public static List<String> socketsAndMemoryFiles(final long pid) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return fds.map(fd ->
            {
                try
                {
                    return Files.readSymbolicLink(fd).toString();
                }
                catch (final IOException gone)
                {
                    return "";
                }
            }).filter(target -> target.startsWith("socket:") || target.startsWith("/memfd:")).sorted()
                .collect(Collectors.toList());
        }
    }

    private static ProcMaps maps(final MemoryMapper mapper)
    {
        return ProcMaps.of(mapper.executorPid());
    }

    /**
     * Code and slots in the executor, in a reservation of their own, through which the tests read executor memory
     * and observe actions: a store function, a load function, a function that fails, and {@value #SLOTS} slots.
     */
    private record Probe(MemoryMapper mapper, ExecutorAddress store, ExecutorAddress load, ExecutorAddress fail,
        ExecutorAddress slots)
    {
        static Probe of(final MemoryMapper mapper) throws Exception
        {
            final long page = mapper.pageSize();
            final ExecutorAddress code = await(mapper.reserve(2 * page)).start();
            final byte[] load = MachineCode.loadFromArgument();
            final byte[] fail = MachineCode.returnValue(FAILURE_CODE);
            final ByteBuffer text = mapper.prepare(code, 128 + fail.length);
            text.put(MachineCode.storeFromArgument()).position(64);
            text.put(load).position(128);
            text.put(fail);
            mapper.prepare(code.add(page), SLOTS * 8).put(new byte[SLOTS * 8]);
            await(mapper.initialize(AllocInfo.of(code, Segment.of(0, 128 + fail.length, MemoryProtection.READ_EXEC),
                Segment.of(page, SLOTS * 8, MemoryProtection.READ_WRITE))));
            return new Probe(mapper, code, code.add(64), code.add(128), code.add(page));
        }

        /** @return an action that stores {@code value} in slot {@code index} */
        ActionCall store(final int index, final long value)
        {
            return ActionCall.of(store, MachineCode.storeArgument(slots.value() + 8L * index, value));
        }

        /** @return an action that fails with {@link #FAILURE_CODE} */
        ActionCall failing()
        {
            return ActionCall.of(fail);
        }

        long slot(final int index) throws Exception
        {
            return peek(slots.add(8L * index));
        }

        /** @return the word at a readable executor address, read by the executor */
        long peek(final ExecutorAddress address) throws Exception
        {
            return await(mapper.call(ActionCall.of(load, MachineCode.loadArgument(address.value()))));
        }
    }
}
