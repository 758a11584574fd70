package org.jitmem.api;

/**
 * An operation would take an executor past one of its memory limits: the reserved bytes (address space) or the
 * committed bytes (memory backed by RAM). Refused before any system call, so nothing was mapped or committed.
 */
public final class MemoryLimitException extends MemoryMapperException
{
    private static final long serialVersionUID = 1L;

    private final MemoryUsage.Limit limit;
    private final long requested;
    private final long used;
    private final long maximum;

    /**
     * @param operation the operation that was refused
     * @param limit     the limit it would exceed
     * @param address   the address concerned, or {@link #UNKNOWN}
     * @param requested the bytes requested
     * @param used      the bytes already in use under that limit
     * @param maximum   the limit in bytes
     */
    public MemoryLimitException(final MapperOperation operation, final MemoryUsage.Limit limit, final long address,
        final long requested, final long used, final long maximum)
    {
        super(operation, limit.label() + " limit exceeded: limit=" + limit.label() + " requested=" + requested +
            " used=" + used + " maximum=" + maximum, address, requested, 0, null);
        this.limit = limit;
        this.requested = requested;
        this.used = used;
        this.maximum = maximum;
    }

    /** @return the limit the operation would exceed */
    public MemoryUsage.Limit limit()
    {
        return limit;
    }

    /** @return the bytes requested */
    public long requested()
    {
        return requested;
    }

    /** @return the bytes already in use under the limit when the request came */
    public long used()
    {
        return used;
    }

    /** @return the limit in bytes */
    public long maximum()
    {
        return maximum;
    }
}
