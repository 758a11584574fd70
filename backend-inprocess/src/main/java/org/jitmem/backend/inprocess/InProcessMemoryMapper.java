package org.jitmem.backend.inprocess;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.posix.Posix;

/**
 * A {@link MemoryMapper} whose executor is this process: working memory is executor memory, so every stage is
 * already complete when it is returned. Closing it releases everything it reserved; later operations fail with
 * {@link MemoryRevokedException}.
 */
public final class InProcessMemoryMapper implements MemoryMapper, AutoCloseable
{
    private final ExecutorMemory memory;
    private final boolean allowWriteExecute;
    private final long pid = Posix.pid();

    /**
     * @param allowWriteExecute accept segments that are both writable and executable
     */
    public InProcessMemoryMapper(final boolean allowWriteExecute)
    {
        this(allowWriteExecute, MemoryLimits.machineDefaults());
    }

    /**
     * @param allowWriteExecute accept segments that are both writable and executable
     * @param limits            the limits on reserved and committed bytes, checked before any system call
     */
    public InProcessMemoryMapper(final boolean allowWriteExecute, final MemoryLimits limits)
    {
        this.allowWriteExecute = allowWriteExecute;
        this.memory = new ExecutorMemory(ExecutorMemory.Policy.IN_PROCESS, limits);
    }

    @Override
    public long pageSize()
    {
        return memory.pageSize();
    }

    @Override
    public String type()
    {
        return MapperProperties.TYPE_INPROCESS;
    }

    @Override
    public boolean crossProcess()
    {
        return false;
    }

    @Override
    public long executorPid()
    {
        return pid;
    }

    @Override
    public Optional<MemoryUsage> memoryUsage()
    {
        return Optional.of(memory.usage());
    }

    @Override
    public CompletionStage<ExecutorAddressRange> reserve(final long numBytes)
    {
        return completed(() -> memory.reserve(numBytes));
    }

    @Override
    public ByteBuffer prepare(final ExecutorAddress address, final long contentSize)
    {
        return memory.workingMemory(address, contentSize);
    }

    @Override
    public CompletionStage<ExecutorAddress> initialize(final AllocInfo info)
    {
        return completed(() -> memory.initialize(info, allowWriteExecute));
    }

    @Override
    public CompletionStage<Void> deinitialize(final List<ExecutorAddress> allocations)
    {
        return completed(() ->
        {
            memory.deinitialize(allocations);
            return null;
        });
    }

    @Override
    public CompletionStage<Void> release(final List<ExecutorAddress> reservations)
    {
        return completed(() ->
        {
            memory.release(reservations);
            return null;
        });
    }

    @Override
    public CompletionStage<Long> call(final ActionCall call)
    {
        return completed(() -> memory.call(call));
    }

    /** @return reservations held */
    public int reservationCount()
    {
        return memory.reservationCount();
    }

    /** @return allocations initialized */
    public int allocationCount()
    {
        return memory.allocationCount();
    }

    /**
     * Releases everything still reserved; a reservation in which JIT'd code is running goes when that code returns.
     * Later operations fail with {@link MemoryRevokedException}. Idempotent.
     *
     * @throws MemoryMapperException the joined failures of the release
     */
    @Override
    public void close()
    {
        memory.close();
    }

    private static <T> CompletionStage<T> completed(final Supplier<T> action)
    {
        try
        {
            return CompletableFuture.completedFuture(action.get());
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }
}
