package org.jitmem.runtime.slab;

/**
 * A snapshot of one slab manager's memory. Reserved bytes are used plus free bytes.
 *
 * @param mapperType   the backend type of the mapper
 * @param pageSize     the mapper's page size
 * @param reservedBytes bytes in reservations held
 * @param usedBytes    bytes handed out and not yet returned, burned ones included
 * @param freeBytes    bytes in the free list
 * @param burnedBytes  bytes withheld for good because a finalize or deallocate failed on them
 * @param reservations reservations held
 * @param allocations  live allocations, in flight or finalized
 */
public record SlabStatistics(String mapperType, long pageSize, long reservedBytes, long usedBytes, long freeBytes,
    long burnedBytes, int reservations, long allocations)
{
    @Override
    public String toString()
    {
        return "type=" + mapperType + " pageSize=" + pageSize + " reserved=" + reservedBytes + " used=" + usedBytes +
            " free=" + freeBytes + " burned=" + burnedBytes + " reservations=" + reservations +
            " allocations=" + allocations;
    }
}
