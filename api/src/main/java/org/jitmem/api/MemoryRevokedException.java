package org.jitmem.api;

/** The memory belonged to a backend that has gone away and was revoked. */
public final class MemoryRevokedException extends MemoryMapperException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param operation the operation that failed
     * @param reason    what was wrong
     * @param address   the address concerned, or {@link #UNKNOWN}
     * @param length    the length concerned, or {@link #UNKNOWN}
     */
    public MemoryRevokedException(final MapperOperation operation, final String reason, final long address, final long length)
    {
        super(operation, reason, address, length, 0, null);
    }

    /**
     * @param operation the operation that failed
     * @param reason    what was wrong
     * @param address   the address concerned, or {@link #UNKNOWN}
     * @param length    the length concerned, or {@link #UNKNOWN}
     * @param cause     the cause, or null
     */
    public MemoryRevokedException(final MapperOperation operation, final String reason, final long address, final long length,
        final Throwable cause)
    {
        super(operation, reason, address, length, 0, cause);
    }
}
