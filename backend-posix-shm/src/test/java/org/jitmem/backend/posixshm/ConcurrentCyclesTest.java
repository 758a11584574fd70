package org.jitmem.backend.posixshm;

import static org.jitmem.backend.posixshm.SharedMemoryTesting.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.machine.MapperCycles;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads run full cycles on one bare shared-memory mapper, so that releases and reserves of the same executor
 * addresses interleave: no cycle ever sees another's memory or loses its own, and afterwards nothing is mapped or
 * open in either process.
 */
class ConcurrentCyclesTest
{
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
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void eightThreadsOfTwoThousandCyclesLeaveNothingBehind() throws Exception
    {
        executor = ExecutorProcess.start(temp.resolve("run").resolve("executor.sock"), List.of());
        channel = executor.connect();
        mapper = new SharedMemoryMapper(channel, false);
        final long pid = mapper.executorPid();
        final long self = ProcessHandle.current().pid();
        final List<String> descriptors = SharedMemoryTesting.socketsAndMemoryFiles(self);

        final List<ExecutorAddressRange> ranges = MapperCycles.run(mapper, 8, 2_000, TIMEOUT * 5);

        assertEquals(16_000, ranges.size());
        assertTrue(ranges.stream().map(ExecutorAddressRange::start).distinct().count() < ranges.size(),
            "addresses were reused, so releases and reserves did meet");
        assertEquals(0, mapper.mappedReservationCount());
        assertEquals(0, mapper.memoryUsage().orElseThrow().reservedBytes());
        assertEquals(0, mapper.memoryUsage().orElseThrow().committedBytes());
        assertEquals(Set.of(), SharedMemoryTesting.jitmemMappings(ProcMaps.of(pid)), "nothing mapped in the executor");
        assertEquals(Set.of(), SharedMemoryTesting.jitmemMappingsOfThisProcess(), "nothing mapped in the controller");
        assertEquals(Set.of(), SharedMemoryTesting.memfdDescriptors(pid), "no descriptor left in the executor");
        assertEquals(descriptors, SharedMemoryTesting.socketsAndMemoryFiles(self), "no descriptor left here");
    }
}
