package org.jitmem.backend.posixshm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.Pointer;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.Backing;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.SharedReservation;
import org.jitmem.memory.CommittedPages;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.ChannelMapping;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.Posix;

/**
 * The controller's read-write mapping of the pages behind one executor reservation: its working memory. Mapping
 * opens the object (a memfd through {@code /proc/<executorPid>/fd/<fd>}, a named object by name), maps it shared,
 * closes the descriptor and unlinks the name, so nothing but the mapping is left; a failure leaves nothing behind.
 * Working memory handed out is committed ahead in chunks of {@value #COMMIT_CHUNK} bytes, counted against the
 * mapper's committed limit, so that a machine that cannot back it fails {@link #view} with a typed error instead of
 * a SIGBUS on the first write, and writing fresh shared pages costs one system call per chunk instead of a page fault
 * per page. The mapping holds its range's reserved bytes and its committed bytes until {@link #unmap}.
 *
 * @param range     the executor range
 * @param address   where the controller sees it
 * @param committed which chunks were committed
 * @param limits    the mapper's limits, which hold the range's reserved and committed bytes
 */
record WorkingMapping(ExecutorAddressRange range, long address, CommittedPages committed, MemoryLimits limits)
    implements ChannelMapping.WorkingRange
{
    /** Bytes committed at once: about half the cost of faulting the same pages one by one here. */
    static final long COMMIT_CHUNK = 64 * 1024;
    private static final MapperOperation RESERVE = MapperOperation.RESERVE;

    /**
     * @param reservation what the executor replied to reserve
     * @param limits      the mapper's limits, which have counted the range's reserved bytes
     * @return the mapping
     */
    static WorkingMapping map(final SharedReservation reservation, final MemoryLimits limits)
    {
        final long size = reservation.range().size();
        final boolean named = reservation.backing() == Backing.NAMED;
        final int fd = named ?
            Posix.shmOpen(RESERVE, reservation.name(), OsConstants.O_RDWR, 0) :
            Posix.open(RESERVE, "/proc/" + reservation.executorPid() + "/fd/" + reservation.fd(),
                OsConstants.O_RDWR | OsConstants.O_CLOEXEC, 0);
        final long address;
        try
        {
            checkSealed(reservation, fd);
            address = Posix.mmap(RESERVE, 0, size, MemoryProtection.READ_WRITE, OsConstants.MAP_SHARED, fd, 0);
        }
        catch (final RuntimeException ex)
        {
            undo(ex, () -> Posix.close(RESERVE, fd));
            throw ex;
        }
        try
        {
            Posix.close(RESERVE, fd);
            if (named)
            {
                Posix.shmUnlink(RESERVE, reservation.name());
            }
        }
        catch (final RuntimeException ex)
        {
            undo(ex, () -> Posix.munmap(RESERVE, address, size));
            throw ex;
        }
        return new WorkingMapping(reservation.range(), address, new CommittedPages(address,
            reservation.range().start().value(), size, Math.max(COMMIT_CHUNK, PageSize.get()), limits), limits);
    }

    /**
     * Refuses a memfd that could shrink: a page cut off under working memory would raise SIGBUS in this process on
     * the next write, whatever the executor does.
     */
    private static void checkSealed(final SharedReservation reservation, final int fd)
    {
        if (reservation.backing() == Backing.MEMFD &&
            (Posix.seals(RESERVE, fd) & OsConstants.F_SEAL_SHRINK) == 0)
        {
            throw new MemoryMapperException(RESERVE, "the executor's memory file is not sealed against shrinking: " +
                "pid=" + reservation.executorPid() + " fd=" + reservation.fd(), reservation.range().start().value(),
                reservation.range().size(), 0);
        }
    }

    /**
     * @param executorAddress start, inside the range
     * @param length          bytes, inside the range
     * @return a native-order view of the controller's pages for that executor range
     */
    ByteBuffer view(final long executorAddress, final int length)
    {
        final long local = address + (executorAddress - range.start().value());
        committed.commit(MapperOperation.PREPARE, local, length);
        return new Pointer(local).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    private static void undo(final RuntimeException failure, final Runnable step)
    {
        try
        {
            step.run();
        }
        catch (final RuntimeException ex)
        {
            failure.addSuppressed(ex);
        }
    }

    /**
     * Replaces the shared pages in place with anonymous private memory of the same size and protection, in one
     * atomic mmap: a thread still writing working memory of an executor that is gone keeps writing, harmlessly, and
     * the shared pages are freed. The range stays mapped until {@link #unmap}.
     *
     * @param operation the operation on whose behalf the mapping is detached
     */
    void detach(final MapperOperation operation)
    {
        Posix.mmap(operation, address, range.size(), MemoryProtection.READ_WRITE, OsConstants.MAP_FIXED |
            OsConstants.MAP_PRIVATE | OsConstants.MAP_ANONYMOUS | OsConstants.MAP_NORESERVE, -1, 0);
    }

    /**
     * Unmaps the range and gives its reserved and committed bytes back to the limits.
     *
     * @param operation the operation on whose behalf the mapping goes
     */
    @Override
    public void unmap(final MapperOperation operation)
    {
        try
        {
            Posix.munmap(operation, address, range.size());
        }
        finally
        {
            committed.release();
            limits.unreserve(range.size());
        }
    }
}
