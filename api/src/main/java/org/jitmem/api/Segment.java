package org.jitmem.api;

import java.util.Objects;

/**
 * One segment of an allocation: {@code contentSize} bytes written by the controller followed by
 * {@code zeroFillSize} bytes that initialize clears, all given one protection.
 *
 * @param offset       from the mapping base, in bytes
 * @param contentSize  bytes of content written into working memory
 * @param zeroFillSize bytes after the content that initialize sets to zero
 * @param protection   protection applied by initialize
 * @param lifetime     how long the segment lives
 */
public record Segment(long offset, long contentSize, long zeroFillSize, MemoryProtection protection,
    MemoryLifetime lifetime)
{
    /**
     * @param offset       from the mapping base
     * @param contentSize  content bytes
     * @param zeroFillSize zero-fill bytes
     * @param protection   protection
     * @param lifetime     lifetime
     */
    public Segment
    {
        Objects.requireNonNull(protection, "protection");
        Objects.requireNonNull(lifetime, "lifetime");
        if (offset < 0 || contentSize < 0 || zeroFillSize < 0 || contentSize + zeroFillSize < 0)
        {
            throw new IllegalArgumentException("segment fields must not be negative: offset=" + offset +
                " contentSize=" + contentSize + " zeroFillSize=" + zeroFillSize);
        }
    }

    /**
     * @param offset      from the mapping base
     * @param contentSize content bytes
     * @param protection  protection
     * @return a standard-lifetime segment with no zero fill
     */
    public static Segment of(final long offset, final long contentSize, final MemoryProtection protection)
    {
        return new Segment(offset, contentSize, 0, protection, MemoryLifetime.STANDARD);
    }

    /** @return content plus zero fill */
    public long totalSize()
    {
        return contentSize + zeroFillSize;
    }

    /**
     * @param mappingBase the mapping base of the allocation
     * @return the executor range the segment covers
     */
    public ExecutorAddressRange range(final ExecutorAddress mappingBase)
    {
        return new ExecutorAddressRange(mappingBase.add(offset), totalSize());
    }
}
