package org.jitmem.backend.posixshm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.executor.ConnectedExecutors;
import org.jitmem.mappertests.MemoryMapperContract;
import org.jitmem.memory.MemoryLimits;
import org.junit.jupiter.api.io.TempDir;

/** The mapper contract over shared memory: the controller in this JVM, each mapper's executor a real process. */
class SharedMemoryMapperContractTest extends MemoryMapperContract
{
    @TempDir
    Path temp;

    private final ConnectedExecutors executors = new ConnectedExecutors();

    @Override
    protected MemoryMapper open(final boolean allowWriteExecute, final MemoryLimits limits) throws Exception
    {
        return new SharedMemoryMapper(executors.connect(temp), allowWriteExecute, limits);
    }

    @Override
    protected void close(final MemoryMapper mapper)
    {
        ((SharedMemoryMapper)mapper).close(Duration.ofSeconds(TIMEOUT_SECONDS));
        assertEquals(0, ((SharedMemoryMapper)mapper).mappedReservationCount());
    }

    @Override
    protected void stopExecutors() throws Exception
    {
        executors.close();
        assertEquals(Set.of(), SharedMemoryTesting.jitmemMappingsOfThisProcess(), "no working mapping left");
    }

    @Override
    protected String type()
    {
        return MapperProperties.TYPE_POSIX_SHM;
    }

    @Override
    protected MemoryProtection freeProtection()
    {
        return MemoryProtection.NONE;
    }
}
