package org.jitmem.api;

/**
 * A failed mapper operation. The message reads {@code operation: reason: address=0x... length=... errno=...};
 * the parts that are unknown are left out. Batch operations finish every item and attach the later failures to the
 * first one as suppressed exceptions.
 */
public class MemoryMapperException extends RuntimeException
{
    /** Address or length not known. */
    public static final long UNKNOWN = Long.MIN_VALUE;

    private static final long serialVersionUID = 1L;

    private final MapperOperation operation;
    private final String reason;
    private final long address;
    private final long length;
    private final int errno;

    /**
     * @param operation the operation that failed
     * @param reason    what was wrong
     * @param address   the address concerned, or {@link #UNKNOWN}
     * @param length    the length concerned, or {@link #UNKNOWN}
     * @param errno     the OS error number, or 0
     * @param cause     the cause, or null
     */
    public MemoryMapperException(final MapperOperation operation, final String reason, final long address,
        final long length, final int errno, final Throwable cause)
    {
        super(format(operation, reason, address, length, errno), cause);
        this.operation = operation;
        this.reason = reason;
        this.address = address;
        this.length = length;
        this.errno = errno;
    }

    /**
     * @param operation the operation that failed
     * @param reason    what was wrong
     * @param address   the address concerned, or {@link #UNKNOWN}
     * @param length    the length concerned, or {@link #UNKNOWN}
     * @param errno     the OS error number, or 0
     */
    public MemoryMapperException(final MapperOperation operation, final String reason, final long address,
        final long length, final int errno)
    {
        this(operation, reason, address, length, errno, null);
    }

    /** @return the operation that failed */
    public MapperOperation operation()
    {
        return operation;
    }

    /** @return what was wrong, without the key=value details */
    public String reason()
    {
        return reason;
    }

    /** @return the address concerned, or {@link #UNKNOWN} */
    public long address()
    {
        return address;
    }

    /** @return the length concerned, or {@link #UNKNOWN} */
    public long length()
    {
        return length;
    }

    /** @return the OS error number, or 0 */
    public int errno()
    {
        return errno;
    }

    private static String format(final MapperOperation operation, final String reason, final long address,
        final long length, final int errno)
    {
        final StringBuilder text = new StringBuilder(operation.label()).append(": ").append(reason);
        if (address != UNKNOWN)
        {
            text.append(": address=").append(ExecutorAddress.hex(address));
        }
        if (length != UNKNOWN)
        {
            text.append(address != UNKNOWN ? " " : ": ").append("length=").append(length);
        }
        if (errno != 0)
        {
            text.append(address != UNKNOWN || length != UNKNOWN ? " " : ": ").append("errno=").append(errno);
        }
        return text.toString();
    }
}
