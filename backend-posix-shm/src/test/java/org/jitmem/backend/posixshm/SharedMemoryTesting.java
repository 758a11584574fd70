package org.jitmem.backend.posixshm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.machine.ProcMaps;
import org.jitmem.mappertests.MemoryMapperContract;

/** What the shared-memory mapper tests look at: replies, working memory, and what a process holds. */
final class SharedMemoryTesting
{
    /** Seconds a test waits for anything. */
    static final long TIMEOUT = ExecutorProcess.TIMEOUT_SECONDS;
    /** The name of the memory file of a reservation. */
    static final String MEMFD_NAME = "jitmem-shm";
    /** The name of a named shared memory object of a reservation, without its leading slash. */
    static final Pattern SHARED_MEMORY_OBJECT = Pattern.compile("jitmem-[0-9a-f]{22}");

    private SharedMemoryTesting()
    {
    }

    /**
     * Closes what a test opened, any of it null, and checks that no working mapping is left in this process.
     */
    static void stop(final SharedMemoryMapper mapper, final SocketExecutorChannel channel,
        final ExecutorProcess executor) throws IOException
    {
        if (mapper != null)
        {
            mapper.close(Duration.ofSeconds(TIMEOUT));
            assertEquals(0, mapper.mappedReservationCount());
        }
        if (channel != null)
        {
            channel.close();
        }
        if (executor != null)
        {
            executor.close();
        }
        assertEquals(Set.of(), jitmemMappingsOfThisProcess(), "no working mapping left");
    }

    /** @return the failure of a stage that must fail with {@code type} */
    static <E extends Throwable> E assertFailsWith(final Class<E> type, final CompletionStage<?> stage)
    {
        return MemoryMapperContract.assertFailsWith(type, stage);
    }

    /**
     * @param pid a process
     * @return the targets of its descriptors that are sockets or memory files
     */
    static List<String> socketsAndMemoryFiles(final long pid) throws IOException
    {
        return MemoryMapperContract.socketsAndMemoryFiles(pid);
    }

    static <T> T await(final CompletionStage<T> stage) throws Exception
    {
        return stage.toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS);
    }

    /** @return where a direct buffer's memory is in this process */
    static long address(final ByteBuffer direct)
    {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    /** @return the descriptors of a process that name a reservation's memory file */
    static Set<String> memfdDescriptors(final long pid) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return fds.filter(fd ->
            {
                try
                {
                    return ProcMaps.isMemfd(Files.readSymbolicLink(fd).toString(), MEMFD_NAME);
                }
                catch (final IOException gone)
                {
                    return false;
                }
            }).map(Path::toString).collect(Collectors.toSet());
        }
    }

    /** @return true when the mapping is of a reservation's memory, of either backing */
    static boolean isReservation(final ProcMaps.Mapping mapping)
    {
        return mapping.isMemfd(MEMFD_NAME) || mapping.isSharedMemoryObject(SHARED_MEMORY_OBJECT);
    }

    /** @return this process's mappings of jitmem memory files: reservations of either backing, and lanes */
    static Set<String> jitmemMappingsOfThisProcess()
    {
        return ProcMaps.self().mappings().stream()
            .filter(mapping -> isReservation(mapping) || mapping.isMemfd(SocketExecutorChannel.LANE_MEMFD_NAME))
            .map(Object::toString).collect(Collectors.toSet());
    }

    /**
     * @param maps a process's mappings
     * @return those of reservation memory files of either backing
     */
    static Set<String> jitmemMappings(final ProcMaps maps)
    {
        return maps.mappings().stream()
            .filter(SharedMemoryTesting::isReservation)
            .map(Object::toString).collect(Collectors.toSet());
    }
}
