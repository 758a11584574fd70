package org.jitmem.runtime.slab;

import java.util.Objects;

import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryProtection;

/**
 * One segment an allocation asks for: content the caller writes, a zero-filled tail, a protection, a lifetime and
 * an alignment of at most a page.
 *
 * @param contentSize  bytes of content written into working memory
 * @param zeroFillSize bytes after the content that initialize clears
 * @param protection   protection applied when the allocation is finalized
 * @param lifetime     how long the segment lives
 * @param alignment    alignment of the segment start, a power of two no larger than the mapper's page size
 */
public record SegmentRequest(long contentSize, long zeroFillSize, MemoryProtection protection, MemoryLifetime lifetime,
    long alignment)
{
    /**
     * @param contentSize  content bytes
     * @param zeroFillSize zero-fill bytes
     * @param protection   protection
     * @param lifetime     lifetime
     * @param alignment    alignment, a power of two
     */
    public SegmentRequest
    {
        Objects.requireNonNull(protection, "protection");
        Objects.requireNonNull(lifetime, "lifetime");
        if (contentSize < 0 || zeroFillSize < 0 || contentSize + zeroFillSize < 0)
        {
            throw new IllegalArgumentException("segment sizes must not be negative: contentSize=" + contentSize +
                " zeroFillSize=" + zeroFillSize);
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1)
        {
            throw new IllegalArgumentException("alignment must be a power of two: alignment=" + alignment);
        }
    }

    /**
     * @param contentSize content bytes
     * @param protection  protection
     * @return a standard-lifetime segment with no zero fill, aligned to 16 bytes
     */
    public static SegmentRequest of(final long contentSize, final MemoryProtection protection)
    {
        return new SegmentRequest(contentSize, 0, protection, MemoryLifetime.STANDARD, 16);
    }

    /** @return content plus zero fill */
    public long totalSize()
    {
        return contentSize + zeroFillSize;
    }
}
