package org.jitmem.backend.posixshm;

import static org.jitmem.backend.posixshm.SharedMemoryTesting.address;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.assertFailsWith;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.await;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.memfdDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.api.Segment;
import org.jitmem.backend.posixshm.executor.SharedMemoryFunctions;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.posix.PageSize;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The controller in this JVM, a real executor process on the other end of a real channel. */
class SharedMemoryMapperTest
{
    private static final long PAGE = PageSize.get();
    private static final long TIMEOUT = ExecutorProcess.TIMEOUT_SECONDS;
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;
    /** Far below what a whole-reservation fallocate of even the smaller huge reserve would add. */
    private static final long BARELY = 128 * MIB;

    @TempDir
    Path temp;

    private ExecutorProcess executor;
    private SocketExecutorChannel channel;
    private SharedMemoryMapper mapper;

    @AfterEach
    void stop() throws IOException
    {
        SharedMemoryTesting.stop(mapper, channel, executor);
    }

    @Test
    void controllerWritesCodeAndDataOnceAndTheExecutorRunsIt() throws Exception
    {
        start(false, List.of());
        final ExecutorAddressRange range = await(mapper.reserve(3 * PAGE + 1));
        assertEquals(4 * PAGE, range.size());
        final long pid = mapper.executorPid();
        final ExecutorAddress code = range.start();
        final ExecutorAddress data = code.add(PAGE);
        final ExecutorAddress readOnly = code.add(2 * PAGE);
        final ExecutorAddress untouched = code.add(3 * PAGE);
        assertEquals(MemoryProtection.NONE, ProcMaps.of(pid).protection(code.value(), range.size()));
        assertTrue(ProcMaps.of(pid).mappingAt(code.value()).orElseThrow().shared());

        final byte[] store = MachineCode.storeFromArgument();
        final byte[] load = MachineCode.loadFromArgument();
        final ByteBuffer text = mapper.prepare(code, 128 + load.length);
        text.put(store).position(64);
        text.put(MachineCode.returnConstant(0x5EED)).position(128);
        text.put(load);
        mapper.prepare(data, 8).putLong(-1);
        mapper.prepare(readOnly, 8).putLong(0x0DDBA11L);

        final ExecutorAddress key = await(mapper.initialize(new AllocInfo(code, List.of(
            Segment.of(0, 128 + load.length, MemoryProtection.READ_EXEC),
            new Segment(PAGE, 8, 16, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD),
            Segment.of(2 * PAGE, 8, MemoryProtection.READ)),
            List.of(new ActionPair(ActionCall.of(code, MachineCode.storeArgument(data.value() + 8, 0xF1)),
                ActionCall.NONE)))));

        assertEquals(code, key);
        final ProcMaps maps = ProcMaps.of(pid);
        assertEquals(MemoryProtection.READ_EXEC, maps.protection(code.value()));
        assertEquals(MemoryProtection.READ_WRITE, maps.protection(data.value()));
        assertEquals(MemoryProtection.READ, maps.protection(readOnly.value()));
        assertEquals(MemoryProtection.NONE, maps.protection(untouched.value()));
        assertEquals(0xF1, mapper.prepare(data, 24).getLong(8), "finalize action ran in the executor");
        assertEquals(0, mapper.prepare(data, 24).getLong(16), "tail zero-filled");
        assertEquals(0x5EED, (long)await(mapper.call(ActionCall.of(code.add(64)))));
        assertEquals(0x0DDBA11L, (long)await(mapper.call(ActionCall.of(code.add(128),
            MachineCode.loadArgument(readOnly.value())))), "the executor reads what the controller wrote");
        await(mapper.call(ActionCall.of(code, MachineCode.storeArgument(data.value(), 0xABC))));
        assertEquals(0xABC, mapper.prepare(data, 8).getLong(0), "the controller sees what the executor wrote");

        await(mapper.deinitialize(List.of(key)));
        assertEquals(MemoryProtection.NONE, ProcMaps.of(pid).protection(code.value(), range.size()));
        final int fd = memfdDescriptors(pid).size();
        assertEquals(1, fd);
        await(mapper.release(List.of(range.start())));
        assertTrue(ProcMaps.of(pid).hasNoSharedMapping(code.value(), range.size()));
        assertEquals(Set.of(), memfdDescriptors(pid), "executor closed its memfd");
        assertEquals(0, mapper.mappedReservationCount());
    }

    @Test
    void releaseDeinitializesFirstWhileTheMemoryIsStillMapped() throws Exception
    {
        start(false, List.of("-D" + SharedMemoryFunctions.BACKING_PROPERTY + "=named"));
        final Set<String> shmBefore = shmObjects();
        final ExecutorAddressRange range = await(mapper.reserve(2 * PAGE));
        assertEquals(shmBefore, shmObjects(), "the name is unlinked once both sides mapped it");
        final ExecutorAddress code = range.start();
        final ExecutorAddress data = code.add(PAGE);
        final ExecutorAddressRange other = await(mapper.reserve(PAGE));
        mapper.prepare(code, 64).put(MachineCode.storeFromArgument());
        mapper.prepare(other.start(), 8).putLong(0);
        await(mapper.initialize(new AllocInfo(other.start(), List.of(Segment.of(0, 8, MemoryProtection.READ_WRITE)),
            List.of())));
        await(mapper.initialize(new AllocInfo(code, List.of(Segment.of(0, 64, MemoryProtection.READ_EXEC),
            Segment.of(PAGE, 8, MemoryProtection.READ)), List.of(
            new ActionPair(ActionCall.NONE, ActionCall.of(code, MachineCode.storeArgument(other.start().value(),
                0x600D))), new ActionPair(ActionCall.NONE, ActionCall.NONE)))));
        final ByteBuffer observed = mapper.prepare(other.start(), 8);

        await(mapper.release(List.of(code)));

        assertEquals(0x600D, observed.getLong(0), "dealloc ran inside release");
        assertTrue(ProcMaps.of(mapper.executorPid()).hasNoSharedMapping(data.value(), PAGE));
        await(mapper.release(List.of(other.start())));
        assertEquals(shmBefore, shmObjects());
    }

    @Test
    void killedExecutorFailsEveryOperationAndLeavesNothingMapped() throws Exception
    {
        start(false, List.of("-D" + SharedMemoryFunctions.BACKING_PROPERTY + "=named"));
        final Set<String> shmBefore = shmObjects();
        final ExecutorAddressRange range = await(mapper.reserve(4 * PAGE));
        final long working = address(mapper.prepare(range.start(), 8));
        assertTrue(ProcMaps.self().isMapped(working, 4 * PAGE));

        executor.process().destroyForcibly();
        assertTrue(executor.process().waitFor(TIMEOUT, TimeUnit.SECONDS));

        channel.closed().toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS);
        assertFailsWith(ExecutorUnavailableException.class, mapper.reserve(PAGE));
        assertFailsWith(ExecutorUnavailableException.class, mapper.initialize(AllocInfo.of(range.start(),
            Segment.of(0, 8, MemoryProtection.READ))));
        assertFailsWith(ExecutorUnavailableException.class, mapper.call(ActionCall.of(range.start())));
        assertFailsWith(ExecutorUnavailableException.class, mapper.deinitialize(List.of(range.start())));
        assertFailsWith(ExecutorUnavailableException.class, mapper.release(List.of(range.start())));
        assertThrows(ExecutorUnavailableException.class, () -> mapper.prepare(range.start(), 8));
        assertEquals(0, mapper.mappedReservationCount());
        assertTrue(ProcMaps.self().hasNoSharedMapping(working, 4 * PAGE), "working memory unmapped");
        assertEquals(shmBefore, shmObjects());
    }

    @Test
    void pendingCallsFailWhenTheExecutorDies() throws Exception
    {
        start(false, List.of());
        final ExecutorAddressRange range = await(mapper.reserve(PAGE));
        final byte[] spin = {(byte)0xEB, (byte)0xFE};
        org.junit.jupiter.api.Assumptions.assumeTrue(MachineCode.architecture() == MachineCode.Architecture.X86_64,
            "the endless loop is x86-64 code");
        mapper.prepare(range.start(), spin.length).put(spin);
        await(mapper.initialize(AllocInfo.of(range.start(), Segment.of(0, spin.length, MemoryProtection.READ_EXEC))));
        final CompletableFuture<Long> endless = mapper.call(ActionCall.of(range.start())).toCompletableFuture();

        executor.process().destroyForcibly();

        assertFailsWith(ExecutorUnavailableException.class, endless);
        assertTrue(ExecutorProcess.awaitGone(executor.process().pid()));
        assertFailsWith(ExecutorUnavailableException.class, mapper.release(List.of(range.start())));
    }

    @Test
    void closingTheMapperReleasesEverythingInTheExecutor() throws Exception
    {
        start(false, List.of());
        final ExecutorAddressRange range = await(mapper.reserve(PAGE));
        await(mapper.reserve(PAGE));
        assertEquals(2, memfdDescriptors(mapper.executorPid()).size());

        mapper.close(Duration.ofSeconds(TIMEOUT));

        assertEquals(Set.of(), memfdDescriptors(mapper.executorPid()));
        assertTrue(ProcMaps.of(mapper.executorPid()).hasNoSharedMapping(range.start().value(), PAGE));
        assertFailsWith(MemoryRevokedException.class, mapper.reserve(PAGE));
        assertTrue(channel.isOpen());
    }

    @Test
    void killedControllerEndsTheExecutorAndLeavesNothingBehind() throws Exception
    {
        final Set<String> shmBefore = shmObjects();
        try (ExecutorProcess controller = ExecutorProcess.start(ControllerMain.class,
            ExecutorProcess.testJvmOptions(List.of("-D" + SharedMemoryFunctions.BACKING_PROPERTY + "=named")),
            temp.resolve("run").resolve("executor.sock"), "controller ready"))
        {
            final long executorPid = Long.parseLong(controller.field("executorPid"));
            final long start = Long.parseLong(controller.field("start"));
            assertEquals(MemoryProtection.READ, ProcMaps.of(executorPid).protection(start));

            controller.process().destroyForcibly();

            assertTrue(ExecutorProcess.awaitGone(executorPid), "executor exits when its controller dies");
            assertEquals(shmBefore, shmObjects());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hugeReservesAddNoSharedMemoryAndPrepareOnlyWhatItHandsOut() throws Exception
    {
        start(false, List.of(), new MemoryLimits(MemoryLimits.DEFAULT_RESERVED_LIMIT, 256 * MIB));
        for (final long size : new long[] {2 * GIB, 2 * MemoryLimits.physicalMemory()})
        {
            final long shmem = MemoryLimits.meminfo("Shmem", -1);
            final ExecutorAddressRange range = await(mapper.reserve(size));
            final long shmemReserved = MemoryLimits.meminfo("Shmem", -1);
            mapper.prepare(range.start().add((size - 2 * MIB) & -MIB), (int)MIB).putLong(0, 1);
            final long shmemPrepared = MemoryLimits.meminfo("Shmem", -1);
            System.out.printf(Locale.ROOT, "reserve %,d bytes, prepare 1 MiB of it: Shmem %,d -> %,d -> %,d%n", size,
                shmem, shmemReserved, shmemPrepared);
            assertTrue(shmemReserved - shmem < BARELY, "Shmem barely moves");
            assertTrue(shmemPrepared - shmem < BARELY, "Shmem barely moves");
            await(mapper.release(List.of(range.start())));
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theControllersLimitsRefuseBeforeTheExecutorIsAsked() throws Exception
    {
        start(false, List.of(), new MemoryLimits(64 * MIB, 2 * MIB));
        final ExecutorAddressRange range = await(mapper.reserve(48 * MIB));
        final MemoryLimitException reserve = assertFailsWith(MemoryLimitException.class,
            mapper.reserve(32 * MIB));
        assertEquals(MemoryUsage.Limit.RESERVED, reserve.limit());
        assertEquals(32 * MIB, reserve.requested());
        assertEquals(48 * MIB, reserve.used());
        assertEquals(1, memfdDescriptors(mapper.executorPid()).size(), "the executor was not asked");
        assertFailsWith(MemoryLimitException.class, mapper.reserve(ExecutorMemory.ADDRESS_SPACE_LIMIT));

        mapper.prepare(range.start(), (int)(2 * MIB));
        final MemoryLimitException prepare = assertThrows(MemoryLimitException.class,
            () -> mapper.prepare(range.start().add(4 * MIB), 8));
        assertEquals(MemoryUsage.Limit.COMMITTED, prepare.limit());
        assertEquals(MapperOperation.PREPARE, prepare.operation());
        assertEquals(range.start().value() + 4 * MIB, prepare.address());
        assertEquals(WorkingMapping.COMMIT_CHUNK, prepare.requested());
        assertEquals(2 * MIB, prepare.used());
        assertTrue(prepare.getMessage().contains("limit=committed"), prepare.getMessage());
        await(mapper.release(List.of(range.start())));
        await(mapper.release(List.of(await(mapper.reserve(64 * MIB)).start())));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theExecutorEnforcesItsOwnLimitsWhateverTheController() throws Exception
    {
        start(false, List.of("-D" + MemoryLimits.RESERVED_LIMIT_PROPERTY + "=" + GIB,
            "-D" + MemoryLimits.COMMITTED_LIMIT_PROPERTY + "=" + MIB), MemoryLimits.machineDefaults());
        final MemoryLimitException reserve = assertFailsWith(MemoryLimitException.class, mapper.reserve(2 * GIB));
        assertEquals(MapperOperation.RESERVE, reserve.operation());
        assertEquals(MemoryUsage.Limit.RESERVED, reserve.limit());
        assertEquals(2 * GIB, reserve.requested());
        assertEquals(GIB, reserve.maximum());
        assertTrue(reserve.getMessage().contains("limit=reserved requested=" + 2 * GIB + " used=0"),
            reserve.getMessage());
        assertEquals(0, mapper.memoryUsage().orElseThrow().reservedBytes(), "a refused reserve holds nothing");
        assertEquals(0, memfdDescriptors(mapper.executorPid()).size());

        final ExecutorAddressRange range = await(mapper.reserve(8 * MIB));
        final MemoryLimitException initialize = assertFailsWith(MemoryLimitException.class,
            mapper.initialize(AllocInfo.of(range.start(), new Segment(0, 8, 2 * MIB, MemoryProtection.READ_WRITE,
                MemoryLifetime.STANDARD))));
        assertEquals(MapperOperation.INITIALIZE, initialize.operation());
        assertEquals(MemoryUsage.Limit.COMMITTED, initialize.limit());
        assertEquals(MIB, initialize.maximum());
        assertTrue(initialize.getMessage().contains("limit=committed"), initialize.getMessage());
        assertFalse(ProcMaps.of(mapper.executorPid()).protection(range.start().value()).writable(),
            "the refused initialize left the memory as it was");
        await(mapper.release(List.of(range.start())));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void namedObjectsAreSizedNotAllocated() throws Exception
    {
        start(false, List.of("-D" + SharedMemoryFunctions.BACKING_PROPERTY + "=named"),
            MemoryLimits.machineDefaults());
        final long shmem = MemoryLimits.meminfo("Shmem", -1);
        final ExecutorAddressRange range = await(mapper.reserve(2 * GIB));
        assertTrue(MemoryLimits.meminfo("Shmem", -1) - shmem < BARELY, "Shmem barely moves");
        mapper.prepare(range.start(), 8).putLong(0, 7);
        await(mapper.release(List.of(range.start())));
    }

    private void start(final boolean allowWriteExecute, final List<String> properties) throws Exception
    {
        start(allowWriteExecute, properties, MemoryLimits.machineDefaults());
    }

    private void start(final boolean allowWriteExecute, final List<String> properties, final MemoryLimits limits)
        throws Exception
    {
        executor = ExecutorProcess.start(temp.resolve("run-" + System.nanoTime()).resolve("executor.sock"),
            properties);
        channel = executor.connect();
        mapper = new SharedMemoryMapper(channel, allowWriteExecute, limits);
    }

    private static Set<String> shmObjects() throws IOException
    {
        try (Stream<Path> objects = Files.list(Path.of("/dev/shm")))
        {
            return objects.map(object -> object.getFileName().toString())
                .filter(name -> SharedMemoryTesting.SHARED_MEMORY_OBJECT.matcher(name).matches())
                .collect(Collectors.toSet());
        }
    }
}
