package org.jitmem.api;

/**
 * An address in the executor's address space. It is never dereferenced by the controller.
 *
 * @param value the raw address, treated as unsigned
 */
public record ExecutorAddress(long value) implements Comparable<ExecutorAddress>
{
    /** The null address. */
    public static final ExecutorAddress NULL = new ExecutorAddress(0);

    /**
     * @param value the raw address
     * @return the address
     */
    public static ExecutorAddress of(final long value)
    {
        return new ExecutorAddress(value);
    }

    /**
     * @param offset bytes to add, may be negative
     * @return this address moved by {@code offset}
     */
    public ExecutorAddress add(final long offset)
    {
        return new ExecutorAddress(value + offset);
    }

    /**
     * @param other an address not above this one
     * @return the distance in bytes from {@code other} to this address
     */
    public long subtract(final ExecutorAddress other)
    {
        return value - other.value;
    }

    /** @return true when this is the null address */
    public boolean isNull()
    {
        return value == 0;
    }

    @Override
    public int compareTo(final ExecutorAddress other)
    {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString()
    {
        return hex(value);
    }

    /**
     * @param address a raw address
     * @return the address as {@code 0x} followed by lower-case hex digits
     */
    public static String hex(final long address)
    {
        return "0x" + Long.toHexString(address);
    }
}
