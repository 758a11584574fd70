package org.jitmem.runtime.slab;

/**
 * How a {@link SlabMemoryManager} carves and keeps memory.
 *
 * @param granularity       reservations are multiples of this many bytes (rounded up to whole pages)
 * @param keepFreeBytes     free bytes kept in empty reservations for reuse; empty reservations beyond it are released
 * @param allowWriteExecute whether segments may be both writable and executable
 */
public record SlabSettings(long granularity, long keepFreeBytes, boolean allowWriteExecute)
{
    /** 64 MiB reservations, one of them kept when empty, W^X enforced. */
    public static final SlabSettings DEFAULT = new SlabSettings(64L << 20, 64L << 20, false);

    /**
     * @param granularity       reservation granularity in bytes
     * @param keepFreeBytes     free bytes kept for reuse
     * @param allowWriteExecute W^X policy
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
