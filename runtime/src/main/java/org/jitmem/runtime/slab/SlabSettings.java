package org.jitmem.runtime.slab;

/**
 * How a {@link SlabMemoryManager} carves and keeps memory. W^X is not the manager's to decide: the mapper's
 * initialize checks it.
 *
 * @param granularity   reservations are multiples of this many bytes (rounded up to whole pages)
 * @param keepFreeBytes free bytes kept in empty reservations for reuse; empty reservations beyond it are released
 */
public record SlabSettings(long granularity, long keepFreeBytes)
{
    /** 64 MiB reservations, one of them kept when empty. */
    public static final SlabSettings DEFAULT = new SlabSettings(64L << 20, 64L << 20);

    /**
     * @param granularity   reservation granularity in bytes
     * @param keepFreeBytes free bytes kept for reuse
     */
    public SlabSettings
    {
        if (granularity <= 0)
        {
            throw new IllegalArgumentException("slab granularity must be positive: granularity=" + granularity);
        }
        if (keepFreeBytes < 0)
        {
            throw new IllegalArgumentException("keep-free bytes must not be negative: keepFreeBytes=" + keepFreeBytes);
        }
    }
}
