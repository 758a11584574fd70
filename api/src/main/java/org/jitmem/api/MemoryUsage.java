package org.jitmem.api;

/**
 * What one mapper holds of its executor's memory, against the limits it enforces: reserved bytes are address space,
 * committed bytes are memory backed by RAM (prepared working memory, zero-filled tails).
 *
 * @param reservedBytes  bytes of address space in reservations
 * @param reservedLimit  most bytes of address space the reservations may hold
 * @param committedBytes bytes of the reservations committed
 * @param committedLimit most bytes the reservations may commit
 */
public record MemoryUsage(long reservedBytes, long reservedLimit, long committedBytes, long committedLimit)
{
    /** The two limits of an executor's memory. */
    public enum Limit
    {
        /** Bytes of address space held by reservations. */
        RESERVED("reserved"),
        /** Bytes of reservations backed by memory. */
        COMMITTED("committed");

        private final String label;

        Limit(final String label)
        {
            this.label = label;
        }

        /** @return the name used in messages and settings */
        public String label()
        {
            return label;
        }
    }

    @Override
    public String toString()
    {
        return "reserved=" + reservedBytes + " reservedLimit=" + reservedLimit + " committed=" + committedBytes +
            " committedLimit=" + committedLimit;
    }
}
