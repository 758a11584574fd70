package org.jitmem.backend.posixshm;

import static org.jitmem.backend.posixshm.SharedMemoryTesting.assertFailsWith;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.await;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.memfdDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryUsage;
import org.jitmem.api.Segment;
import org.jitmem.backend.posixshm.executor.SharedMemoryFunctions;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.machine.ProcMaps;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reserve takes address space only, in a real executor with a committed limit of its own: Shmem and the executor's
 * resident set barely move for reservations of 2 GiB and of twice the machine's memory, memory is committed as it is
 * prepared or zero-filled, and every limit, the controller's and the executor's own, refuses at once with the limit,
 * the requested size and the current use. No test here commits more than a few MiB.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SharedMemoryLimitsTest
{
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;
    /** Far below what a whole-reservation fallocate of even the smaller reserve would add. */
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
    void hugeReservesCommitNothingAndPrepareCommitsWhatItHandsOut() throws Exception
    {
        start(MemoryLimits.DEFAULT_RESERVED_LIMIT, 256 * MIB, List.of());
        for (final long size : new long[] {2 * GIB, 2 * MemoryLimits.physicalMemory()})
        {
            final long shmem = MemoryLimits.meminfo("Shmem", -1);
            final long rss = ProcMaps.residentBytes(mapper.executorPid());
            final long ownRss = ProcMaps.residentBytes(ProcessHandle.current().pid());
            final ExecutorAddressRange range = await(mapper.reserve(size));
            final long shmemAfter = MemoryLimits.meminfo("Shmem", -1);
            final long rssAfter = ProcMaps.residentBytes(mapper.executorPid());
            final long ownRssAfter = ProcMaps.residentBytes(ProcessHandle.current().pid());
            System.out.printf(Locale.ROOT, "reserve %,d bytes: Shmem %,d -> %,d, executor RSS %,d -> %,d, " +
                "controller RSS %,d -> %,d%n", size, shmem, shmemAfter, rss, rssAfter, ownRss, ownRssAfter);
            assertTrue(shmemAfter - shmem < BARELY, "Shmem barely moves");
            assertTrue(rssAfter - rss < BARELY, "the executor's RSS barely moves");
            assertTrue(ownRssAfter - ownRss < BARELY, "the controller's RSS barely moves");
            assertEquals(new MemoryUsage(size, MemoryLimits.DEFAULT_RESERVED_LIMIT, 0, 256 * MIB),
                mapper.memoryUsage().orElseThrow());

            mapper.prepare(range.start().add((size - 2 * MIB) & -MIB), (int)MIB).putLong(0, 1);
            assertEquals(MIB, mapper.memoryUsage().orElseThrow().committedBytes(), "prepare commits what it hands out");
            final long shmemPrepared = MemoryLimits.meminfo("Shmem", -1);
            System.out.printf(Locale.ROOT, "prepare 1 MiB of it: Shmem %,d%n", shmemPrepared);
            assertTrue(shmemPrepared - shmem < BARELY);
            await(mapper.release(List.of(range.start())));
            assertEquals(new MemoryUsage(0, MemoryLimits.DEFAULT_RESERVED_LIMIT, 0, 256 * MIB),
                mapper.memoryUsage().orElseThrow());
        }
    }

    @Test
    void theControllersLimitsRefuseBeforeTheExecutorIsAsked() throws Exception
    {
        start(64 * MIB, 2 * MIB, List.of());
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
    void theExecutorEnforcesItsOwnLimitsWhateverTheController() throws Exception
    {
        start(MemoryLimits.DEFAULT_RESERVED_LIMIT, 256 * MIB, List.of(
            "-D" + MemoryLimits.RESERVED_LIMIT_PROPERTY + "=" + GIB,
            "-D" + MemoryLimits.COMMITTED_LIMIT_PROPERTY + "=" + MIB));
        final MemoryMapperException reserve = assertFailsWith(MemoryMapperException.class, mapper.reserve(2 * GIB));
        assertEquals(MapperOperation.RESERVE, reserve.operation());
        assertTrue(reserve.getMessage().contains("limit=reserved requested=" + 2 * GIB + " used=0"),
            reserve.getMessage());
        assertEquals(0, mapper.memoryUsage().orElseThrow().reservedBytes(), "a refused reserve holds nothing");
        assertEquals(0, memfdDescriptors(mapper.executorPid()).size());

        final ExecutorAddressRange range = await(mapper.reserve(8 * MIB));
        final MemoryMapperException initialize = assertFailsWith(MemoryMapperException.class,
            mapper.initialize(AllocInfo.of(range.start(), new Segment(0, 8, 2 * MIB, MemoryProtection.READ_WRITE,
                MemoryLifetime.STANDARD))));
        assertEquals(MapperOperation.INITIALIZE, initialize.operation());
        assertTrue(initialize.getMessage().contains("limit=committed"), initialize.getMessage());
        assertFalse(ProcMaps.of(mapper.executorPid()).protection(range.start().value()).writable(),
            "the refused initialize left the memory as it was");
        await(mapper.release(List.of(range.start())));
    }

    @Test
    void namedObjectsAreSizedNotAllocated() throws Exception
    {
        start(MemoryLimits.DEFAULT_RESERVED_LIMIT, 256 * MIB,
            List.of("-D" + SharedMemoryFunctions.BACKING_PROPERTY + "=named"));
        final long shmem = MemoryLimits.meminfo("Shmem", -1);
        final ExecutorAddressRange range = await(mapper.reserve(2 * GIB));
        assertTrue(MemoryLimits.meminfo("Shmem", -1) - shmem < BARELY, "Shmem barely moves");
        mapper.prepare(range.start(), 8).putLong(0, 7);
        await(mapper.release(List.of(range.start())));
    }

    private void start(final long reservedLimit, final long committedLimit, final List<String> properties)
        throws Exception
    {
        executor = ExecutorProcess.start(temp.resolve("run").resolve("executor.sock"), properties);
        channel = executor.connect();
        mapper = new SharedMemoryMapper(channel, false, new MemoryLimits(reservedLimit, committedLimit));
    }
}
