package org.jitmem.bench;

import org.jitmem.api.MemoryProtection;

/** The benchmarks' {@code protection} parameter: {@code RW} for data, {@code RX} for code, as the anchor's --prot. */
final class SegmentProtection
{
    private SegmentProtection()
    {
    }

    /**
     * @param name {@code RW} or {@code RX}
     * @return the protection
     * @throws IllegalArgumentException for any other name
     */
    static MemoryProtection parse(final String name)
    {
        return switch (name)
        {
            case "RW" -> MemoryProtection.READ_WRITE;
            case "RX" -> MemoryProtection.READ_EXEC;
            default -> throw new IllegalArgumentException("protection must be RW or RX: protection=" + name);
        };
    }
}
