package org.jitmem.memory;

import java.util.BitSet;
import org.jitmem.posix.LibC;
import org.jitmem.posix.OsConstants;

/**
 * Which chunks of one writable mapping have been faulted in ahead of their first write ({@code MADV_POPULATE_WRITE},
 * Linux 5.14 and later): the first time any byte of a chunk is handed out as working memory the whole chunk is
 * populated with one system call, which costs much less than one page fault per page. Advisory: where populating
 * fails or is not supported, pages fault in on first touch as usual. Thread-safe.
 */
public final class PopulatedPages
{
    private final long start;
    private final long size;
    private final long chunk;
    private final BitSet populated = new BitSet();

    /**
     * @param start where the mapping starts, page-aligned
     * @param size  its length in bytes, a whole number of pages
     * @param chunk bytes populated at once, a multiple of the page size
     */
    public PopulatedPages(final long start, final long size, final long chunk)
    {
        this.start = start;
        this.size = size;
        this.chunk = chunk;
    }

    /** Records that the whole mapping is already populated (by {@code MAP_POPULATE}). */
    public void markAll()
    {
        synchronized (populated)
        {
            populated.set(0, chunkCount());
        }
    }

    /**
     * Populates the chunks that {@code address .. address + length} touches, unless they already are.
     *
     * @param address inside the mapping
     * @param length  bytes, inside the mapping
     */
    public void populate(final long address, final long length)
    {
        if (length <= 0 || !OsConstants.LINUX)
        {
            return;
        }
        final int from = (int)((address - start) / chunk);
        final int to = (int)((address + length - 1 - start) / chunk) + 1;
        synchronized (populated)
        {
            if (populated.nextClearBit(from) >= to)
            {
                return;
            }
            populated.set(from, to);
        }
        final long first = start + from * chunk;
        LibC.madvise(first, Math.min(start + size, start + to * chunk) - first, OsConstants.MADV_POPULATE_WRITE);
    }

    private int chunkCount()
    {
        return (int)((size + chunk - 1) / chunk);
    }
}
