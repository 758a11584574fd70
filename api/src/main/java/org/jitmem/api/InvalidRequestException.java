package org.jitmem.api;

/** The request itself is wrong: a bad size, an address outside any reservation, an unknown key, overlapping segments, or a protection the policy refuses. */
public final class InvalidRequestException extends MemoryMapperException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param operation the operation that failed
     * @param reason    what was wrong
     * @param address   the address concerned, or {@link #UNKNOWN}
     * @param length    the length concerned, or {@link #UNKNOWN}
     */
    public InvalidRequestException(final MapperOperation operation, final String reason, final long address, final long length)
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
    public InvalidRequestException(final MapperOperation operation, final String reason, final long address, final long length,
        final Throwable cause)
    {
        super(operation, reason, address, length, 0, cause);
    }
}
