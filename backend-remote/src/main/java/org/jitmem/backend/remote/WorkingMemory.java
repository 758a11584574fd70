package org.jitmem.backend.remote;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.Pointer;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryProtection;
import org.jitmem.memory.CommittedPages;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.ChannelMapping;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.Posix;

/**
 * The controller's working memory for one executor reservation: anonymous private memory of the same size, address
 * space only until {@link #view} commits what it hands out (page by page, counted against the mapper's limits), read
 * back when initialize sends the content, given back page by page when an allocation is deinitialized and unmapped
 * when the reservation is released. The mapping holds its range's reserved bytes and its committed bytes until
 * {@link #unmap}.
 *
 * @param range     the executor range
 * @param address   where the controller's copy is
 * @param size      bytes mapped here: the range's size in whole pages of this process
 * @param committed which pages were committed
 * @param limits    the mapper's limits, which hold the range's reserved and committed bytes
 */
record WorkingMemory(ExecutorAddressRange range, long address, long size, CommittedPages committed,
    MemoryLimits limits) implements ChannelMapping.WorkingRange
{
    /**
     * @param range  what the executor reserved
     * @param limits the mapper's limits, which have counted the range's reserved bytes
     * @return the working memory
     */
    static WorkingMemory map(final ExecutorAddressRange range, final MemoryLimits limits)
    {
        final long size = PageSize.roundUp(range.size());
        final long address = Posix.mmapAnonymous(MapperOperation.RESERVE, size, MemoryProtection.READ_WRITE);
        return new WorkingMemory(range, address, size, new CommittedPages(address, range.start().value(), size,
            PageSize.get(), limits), limits);
    }

    /**
     * @param executorAddress start, inside the range
     * @param length          bytes, inside the range
     * @return a native-order view of the controller's copy of that executor range, committed
     */
    ByteBuffer view(final long executorAddress, final int length)
    {
        final long local = local(executorAddress);
        committed.commit(MapperOperation.PREPARE, local, length);
        return new Pointer(local).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    /**
     * @param executorAddress start, inside the range
     * @param length          bytes, inside the range
     * @return a copy of the content there (zero where nothing was prepared)
     */
    byte[] read(final long executorAddress, final int length)
    {
        return new Pointer(local(executorAddress)).getByteArray(0, length);
    }

    /**
     * Drops the committed pages wholly inside an executor range, which reads zero afterwards.
     *
     * @param executorAddress start, inside the range
     * @param length          bytes, inside the range
     */
    void decommit(final long executorAddress, final long length)
    {
        committed.decommit(MapperOperation.DEINITIALIZE, local(executorAddress), length);
    }

    /**
     * Unmaps the copy and gives its reserved and committed bytes back to the limits.
     *
     * @param operation the operation on whose behalf it goes
     */
    @Override
    public void unmap(final MapperOperation operation)
    {
        try
        {
            Posix.munmap(operation, address, size);
        }
        finally
        {
            committed.release();
            limits.unreserve(range.size());
        }
    }

    private long local(final long executorAddress)
    {
        return address + (executorAddress - range.start().value());
    }
}
