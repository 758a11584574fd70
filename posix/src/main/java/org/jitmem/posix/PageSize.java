package org.jitmem.posix;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/** The page size of this process, asked of sysconf once, and rounding to it. */
public final class PageSize
{
    private static final long PAGE_SIZE = query();

    private PageSize()
    {
    }

    /** @return the page size in bytes, a power of two */
    public static long get()
    {
        return PAGE_SIZE;
    }

    /**
     * @param value a non-negative number of bytes or address
     * @return {@code value} rounded up to a page boundary, or -1 when that overflows
     */
    public static long roundUp(final long value)
    {
        final long rounded = (value + PAGE_SIZE - 1) & -PAGE_SIZE;
        return value < 0 || rounded < value ? -1 : rounded;
    }

    /**
     * @param value an address
     * @return {@code value} rounded down to a page boundary
     */
    public static long roundDown(final long value)
    {
        return value & -PAGE_SIZE;
    }

    /**
     * @param value an address or size
     * @return true when it is a multiple of the page size
     */
    public static boolean isAligned(final long value)
    {
        return (value & (PAGE_SIZE - 1)) == 0;
    }

    private static long query()
    {
        final long size = LibC.sysconf(OsConstants.SC_PAGESIZE);
        if (size <= 0 || Long.bitCount(size) != 1)
        {
            throw new MemoryMapperException(MapperOperation.RESERVE, "sysconf(_SC_PAGESIZE) gave no page size: " +
                "result=" + size, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN,
                size < 0 ? com.sun.jna.Native.getLastError() : 0);
        }
        return size;
    }
}
