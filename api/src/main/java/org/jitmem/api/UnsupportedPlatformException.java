package org.jitmem.api;

/** The backend cannot work on this platform. */
public final class UnsupportedPlatformException extends MemoryMapperException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param operation the operation that failed
     * @param reason    what was wrong
     * @param address   the address concerned, or {@link #UNKNOWN}
     * @param length    the length concerned, or {@link #UNKNOWN}
     */
    public UnsupportedPlatformException(final MapperOperation operation, final String reason, final long address, final long length)
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
    public UnsupportedPlatformException(final MapperOperation operation, final String reason, final long address, final long length,
        final Throwable cause)
    {
        super(operation, reason, address, length, 0, cause);
    }
}
