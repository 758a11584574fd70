package org.jitmem.api;

import java.util.Objects;

/**
 * A half-open range {@code [start, start + size)} of executor addresses.
 *
 * @param start the first address
 * @param size  the length in bytes, never negative
 */
public record ExecutorAddressRange(ExecutorAddress start, long size)
{
    /**
     * @param start the first address
     * @param size  the length in bytes
     */
    public ExecutorAddressRange
    {
        Objects.requireNonNull(start, "start");
        if (size < 0)
        {
            throw new IllegalArgumentException("range size is negative: start=" + start + " size=" + size);
        }
        if (Long.compareUnsigned(start.value() + size, start.value()) < 0)
        {
            throw new IllegalArgumentException("range wraps the address space: start=" + start + " size=" + size);
        }
    }

    /**
     * @param start the first address
     * @param size  the length in bytes
     * @return the range
     */
    public static ExecutorAddressRange of(final long start, final long size)
    {
        return new ExecutorAddressRange(new ExecutorAddress(start), size);
    }

    /** @return the first address past the range */
    public ExecutorAddress end()
    {
        return start.add(size);
    }

    /**
     * @param address an address
     * @return true when the address lies in this range
     */
    public boolean contains(final ExecutorAddress address)
    {
        return Long.compareUnsigned(address.value(), start.value()) >= 0 &&
            Long.compareUnsigned(address.value() - start.value(), size) < 0;
    }

    /**
     * @param other a range
     * @return true when every byte of {@code other} lies in this range (an empty range at an inner address counts)
     */
    public boolean contains(final ExecutorAddressRange other)
    {
        final long offset = other.start.value() - start.value();
        return Long.compareUnsigned(other.start.value(), start.value()) >= 0 &&
            Long.compareUnsigned(offset, size) <= 0 &&
            Long.compareUnsigned(other.size, size - offset) <= 0;
    }

    /**
     * @param other a range
     * @return true when the two ranges share at least one byte
     */
    public boolean overlaps(final ExecutorAddressRange other)
    {
        return size > 0 && other.size > 0 &&
            Long.compareUnsigned(start.value(), other.end().value()) < 0 &&
            Long.compareUnsigned(other.start.value(), end().value()) < 0;
    }

    @Override
    public String toString()
    {
        return "[" + start + ", " + end() + ")";
    }
}
