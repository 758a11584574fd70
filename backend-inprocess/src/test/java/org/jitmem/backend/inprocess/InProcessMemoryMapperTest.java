package org.jitmem.backend.inprocess;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.mappertests.MemoryMapperContract;
import org.jitmem.memory.MemoryLimits;
import org.junit.jupiter.api.Test;

/** The mapper contract in process, and what only the in-process mapper promises. */
class InProcessMemoryMapperTest extends MemoryMapperContract
{
    @Override
    protected MemoryMapper open(final boolean allowWriteExecute, final MemoryLimits limits)
    {
        return new InProcessMemoryMapper(allowWriteExecute, limits);
    }

    @Override
    protected void close(final MemoryMapper mapper)
    {
        ((InProcessMemoryMapper)mapper).close();
    }

    @Override
    protected String type()
    {
        return MapperProperties.TYPE_INPROCESS;
    }

    @Override
    protected MemoryProtection freeProtection()
    {
        return MemoryProtection.READ_WRITE;
    }

    @Test
    void stagesCompleteAtOnceEvenWhenTheyFail() throws Exception
    {
        try (InProcessMemoryMapper mapper = new InProcessMemoryMapper(false))
        {
            final ExecutorAddress outside = ExecutorAddress.of(mapper.pageSize());
            for (final CompletionStage<?> stage : List.of(mapper.reserve(0), mapper.call(ActionCall.of(outside)),
                mapper.deinitialize(List.of(outside)), mapper.release(List.of(outside)),
                mapper.reserve(mapper.pageSize())))
            {
                assertTrue(stage.toCompletableFuture().isDone(), "in-process stages complete at once");
            }
        }
    }
}
