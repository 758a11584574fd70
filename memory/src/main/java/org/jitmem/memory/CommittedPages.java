package org.jitmem.memory;

import java.util.BitSet;

import com.sun.jna.Native;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.posix.LibC;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.Posix;

/**
 * Which chunks of one writable mapping are committed: backed by memory before anything writes them. The first time
 * any byte of a chunk is handed out, the chunk is counted against the executor's {@link MemoryLimits} and then
 * faulted in with one {@code MADV_POPULATE_WRITE} (Linux 5.14 and later), which costs much less than a page fault per
 * page and, unlike a first write, reports a machine that cannot back the memory: {@code ENOMEM}, or {@code EFAULT}
 * where a full tmpfs would have raised SIGBUS on the write. Such a commit fails with a typed error and counts
 * nothing. Where the advice is not supported the chunk is counted and pages fault in on first touch. A mapping is
 * tracked in at most {@value #MAX_CHUNKS} chunks, so a huge reservation costs little to track. Thread-safe.
 */
public final class CommittedPages
{
    /** Most chunks one mapping is tracked in: chunks grow, by powers of two, for larger mappings. */
    public static final int MAX_CHUNKS = 1 << 20;

    private final long start;
    private final long reportedStart;
    private final long size;
    private final long chunk;
    private final MemoryLimits limits;
    private final BitSet committed = new BitSet();
    private long committedBytes;

    /**
     * @param start  where the mapping starts, page-aligned
     * @param size   its length in bytes, a whole number of pages
     * @param chunk  bytes committed at once at least, a multiple of the page size
     * @param limits the limits the commits count against
     */
    public CommittedPages(final long start, final long size, final long chunk, final MemoryLimits limits)
    {
        this(start, start, size, chunk, limits);
    }

    /**
     * @param start         where the mapping starts, page-aligned
     * @param reportedStart the address errors name for {@code start}: where the executor sees the same pages
     * @param size          its length in bytes, a whole number of pages
     * @param chunk         bytes committed at once at least, a multiple of the page size
     * @param limits        the limits the commits count against
     */
    public CommittedPages(final long start, final long reportedStart, final long size, final long chunk,
        final MemoryLimits limits)
    {
        long bytes = chunk;
        while (size / bytes >= MAX_CHUNKS)
        {
            bytes <<= 1;
        }
        this.start = start;
        this.reportedStart = reportedStart;
        this.size = size;
        this.chunk = bytes;
        this.limits = limits;
    }

    /** @return bytes committed at once */
    public long chunk()
    {
        return chunk;
    }

    /**
     * Records that the whole mapping is committed already (by {@code MAP_POPULATE}); the caller has counted it
     * against the limits.
     */
    public void markAll()
    {
        synchronized (committed)
        {
            committed.set(0, chunkCount());
            committedBytes = size;
        }
    }

    /**
     * Commits the chunks that {@code address .. address + length} touches, unless they already are.
     *
     * @param operation the operation on whose behalf the memory is committed
     * @param address   inside the mapping, and writable
     * @param length    bytes, inside the mapping
     * @throws org.jitmem.api.MemoryLimitException when the chunks would pass the committed limit
     * @throws MemoryMapperException               when the machine cannot back them, with the errno
     */
    public void commit(final MapperOperation operation, final long address, final long length)
    {
        if (length <= 0)
        {
            return;
        }
        final int from = (int)((address - start) / chunk);
        final int to = (int)((address + length - 1 - start) / chunk) + 1;
        // Held across the madvise: no other thread may take a chunk as committed before the kernel has backed it.
        synchronized (committed)
        {
            final int first = committed.nextClearBit(from);
            if (first >= to)
            {
                return;
            }
            long bytes = 0;
            int last = first;
            for (int i = first; i < to; i = committed.nextClearBit(i + 1))
            {
                bytes += chunkBytes(i);
                last = i;
            }
            final long firstAddress = start + first * chunk;
            final long span = Math.min(start + size, start + (last + 1L) * chunk) - firstAddress;
            final long reported = reportedStart + (firstAddress - start);
            limits.commit(operation, reported, bytes);
            if (OsConstants.LINUX && LibC.madvise(firstAddress, span, OsConstants.MADV_POPULATE_WRITE) != 0)
            {
                final int errno = Native.getLastError();
                if (errno != OsConstants.EINVAL)
                {
                    limits.uncommit(bytes);
                    throw new MemoryMapperException(operation, "cannot commit memory: madvise MADV_POPULATE_WRITE " +
                        "failed: " + Posix.strerror(errno), reported, span, errno);
                }
            }
            committed.set(first, to);
            committedBytes += bytes;
        }
    }

    /**
     * Gives back the committed chunks that lie wholly inside {@code address .. address + length}: their pages are
     * dropped ({@code MADV_DONTNEED}, anonymous private memory reads zero afterwards) and uncounted. Chunks only
     * partly inside stay committed, since other content may live on them.
     *
     * @param operation the operation on whose behalf the memory is given back
     * @param address   inside the mapping, which must be anonymous private memory
     * @param length    bytes, inside the mapping
     */
    public void decommit(final MapperOperation operation, final long address, final long length)
    {
        final long end = address + length;
        final int from = (int)((address - start + chunk - 1) / chunk);
        final int to = end == start + size ? chunkCount() : (int)((end - start) / chunk);
        synchronized (committed)
        {
            for (int i = committed.nextSetBit(from); i >= 0 && i < to; i = committed.nextSetBit(i + 1))
            {
                final long bytes = chunkBytes(i);
                Posix.madvise(operation, start + i * chunk, bytes, OsConstants.MADV_DONTNEED);
                committed.clear(i);
                committedBytes -= bytes;
                limits.uncommit(bytes);
            }
        }
    }

    /** @return bytes committed */
    public long committedBytes()
    {
        synchronized (committed)
        {
            return committedBytes;
        }
    }

    /** Gives every committed byte back to the limits, once the mapping is gone. */
    public void release()
    {
        synchronized (committed)
        {
            limits.uncommit(committedBytes);
            committedBytes = 0;
            committed.clear();
        }
    }

    private long chunkBytes(final int index)
    {
        return Math.min(chunk, size - index * chunk);
    }

    private int chunkCount()
    {
        return (int)((size + chunk - 1) / chunk);
    }
}
