package org.jitmem.backend.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.executor.ConnectedExecutors;
import org.jitmem.mappertests.MemoryMapperContract;
import org.jitmem.memory.MemoryLimits;
import org.junit.jupiter.api.io.TempDir;

/** The mapper contract for the copying backend: the controller in this JVM, each mapper's executor a real process. */
class RemoteMemoryMapperContractTest extends MemoryMapperContract
{
    @TempDir
    Path temp;

    private final ConnectedExecutors executors = new ConnectedExecutors();

    @Override
    protected MemoryMapper open(final boolean allowWriteExecute, final MemoryLimits limits) throws Exception
    {
        return new RemoteMemoryMapper(executors.connect(temp), allowWriteExecute, limits);
    }

    @Override
    protected void close(final MemoryMapper mapper)
    {
        ((RemoteMemoryMapper)mapper).close(Duration.ofSeconds(TIMEOUT_SECONDS));
        assertEquals(0, ((RemoteMemoryMapper)mapper).mappedReservationCount());
    }

    @Override
    protected void stopExecutors() throws Exception
    {
        executors.close();
    }

    @Override
    protected String type()
    {
        return MapperProperties.TYPE_REMOTE;
    }

    @Override
    protected MemoryProtection freeProtection()
    {
        return MemoryProtection.READ_WRITE;
    }
}
