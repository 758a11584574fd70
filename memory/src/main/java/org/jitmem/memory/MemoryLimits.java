package org.jitmem.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.api.MemoryUsage.Limit;

/**
 * One executor's limits on reserved bytes (address space) and committed bytes (memory backed by RAM), and what is
 * held under each. A request is counted before the system call that maps or commits it, and refused with a
 * {@link MemoryLimitException} when it would pass its limit, so a refused request never touches the machine.
 * Thread-safe and lock-free.
 */
public final class MemoryLimits
{
    /** System property of an executor process: its reserved limit in bytes. */
    public static final String RESERVED_LIMIT_PROPERTY = "jitmem.memory.reservedLimit";
    /** System property of an executor process: its committed limit in bytes. */
    public static final String COMMITTED_LIMIT_PROPERTY = "jitmem.memory.committedLimit";
    /** Default reserved limit: 1 TiB, a 128th of the 47-bit user address space of x86-64 and aarch64 Linux. */
    public static final long DEFAULT_RESERVED_LIMIT = 1L << 40;
    /** The default committed limit is physical memory divided by this. */
    public static final int PHYSICAL_MEMORY_SHARE = 4;
    /** Physical memory assumed where the machine does not say (no {@code /proc/meminfo}). */
    private static final long ASSUMED_PHYSICAL_MEMORY = 4L << 30;

    private final long reservedLimit;
    private final long committedLimit;
    private final AtomicLong reserved = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();

    /**
     * @param reservedLimit  most bytes of address space, more than zero
     * @param committedLimit most bytes committed, more than zero
     */
    public MemoryLimits(final long reservedLimit, final long committedLimit)
    {
        if (reservedLimit <= 0 || committedLimit <= 0)
        {
            throw new IllegalArgumentException("memory limits must be more than zero: reservedLimit=" +
                reservedLimit + " committedLimit=" + committedLimit);
        }
        this.reservedLimit = reservedLimit;
        this.committedLimit = committedLimit;
    }

    /** @return limits of {@link #DEFAULT_RESERVED_LIMIT} and {@link #defaultCommittedLimit()} */
    public static MemoryLimits machineDefaults()
    {
        return new MemoryLimits(DEFAULT_RESERVED_LIMIT, defaultCommittedLimit());
    }

    /**
     * @param reservedLimit  most bytes of address space, more than zero
     * @param committedLimit most bytes committed, or 0 for {@link #defaultCommittedLimit()}
     * @return the limits as configured
     */
    public static MemoryLimits configured(final long reservedLimit, final long committedLimit)
    {
        return new MemoryLimits(reservedLimit, committedLimit == 0 ? defaultCommittedLimit() : committedLimit);
    }

    /**
     * @return limits from {@value #RESERVED_LIMIT_PROPERTY} and {@value #COMMITTED_LIMIT_PROPERTY}, the machine's
     *     defaults where a property is absent
     * @throws IllegalArgumentException when a property is not a positive number
     */
    public static MemoryLimits fromSystemProperties()
    {
        return configured(property(RESERVED_LIMIT_PROPERTY, DEFAULT_RESERVED_LIMIT),
            property(COMMITTED_LIMIT_PROPERTY, 0));
    }

    /**
     * @return a {@link #PHYSICAL_MEMORY_SHARE}th of the machine's physical memory ({@code MemTotal} of
     *     {@code /proc/meminfo}; 4 GiB assumed where that is absent)
     */
    public static long defaultCommittedLimit()
    {
        return physicalMemory() / PHYSICAL_MEMORY_SHARE;
    }

    /** @return the machine's physical memory in bytes, {@code MemTotal} of {@code /proc/meminfo} */
    public static long physicalMemory()
    {
        return meminfo("MemTotal", ASSUMED_PHYSICAL_MEMORY);
    }

    /**
     * @param field a field of {@code /proc/meminfo}, such as {@code Shmem}
     * @param otherwise what to return where the field cannot be read
     * @return the field in bytes
     */
    public static long meminfo(final String field, final long otherwise)
    {
        try
        {
            final List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            for (final String line : lines)
            {
                if (line.startsWith(field + ":"))
                {
                    final String[] words = line.substring(field.length() + 1).trim().split("\\s+");
                    return Long.parseLong(words[0]) * (words.length > 1 && words[1].equals("kB") ? 1024 : 1);
                }
            }
        }
        catch (final IOException | RuntimeException unreadable)
        {
            return otherwise;
        }
        return otherwise;
    }

    /**
     * Counts address space about to be reserved.
     *
     * @param operation the operation asking
     * @param bytes     bytes about to be reserved
     * @throws MemoryLimitException when they would pass the reserved limit; nothing is counted then
     */
    public void reserve(final MapperOperation operation, final long bytes)
    {
        acquire(reserved, reservedLimit, Limit.RESERVED, operation, MemoryLimitException.UNKNOWN, bytes);
    }

    /** @param bytes reserved bytes given back */
    public void unreserve(final long bytes)
    {
        reserved.addAndGet(-bytes);
    }

    /**
     * Counts memory about to be committed.
     *
     * @param operation the operation asking
     * @param address   where the memory starts
     * @param bytes     bytes about to be committed
     * @throws MemoryLimitException when they would pass the committed limit; nothing is counted then
     */
    public void commit(final MapperOperation operation, final long address, final long bytes)
    {
        acquire(committed, committedLimit, Limit.COMMITTED, operation, address, bytes);
    }

    /**
     * Counts memory about to be committed if the committed limit has room for it.
     *
     * @param bytes bytes about to be committed
     * @return true when counted, false when they would pass the limit
     */
    public boolean tryCommit(final long bytes)
    {
        return tryAcquire(committed, committedLimit, bytes) < 0;
    }

    /** @param bytes committed bytes given back */
    public void uncommit(final long bytes)
    {
        committed.addAndGet(-bytes);
    }

    /** @return what is held and the limits */
    public MemoryUsage usage()
    {
        return new MemoryUsage(reserved.get(), reservedLimit, committed.get(), committedLimit);
    }

    private static void acquire(final AtomicLong held, final long limit, final Limit which,
        final MapperOperation operation, final long address, final long bytes)
    {
        final long used = tryAcquire(held, limit, bytes);
        if (used >= 0)
        {
            throw new MemoryLimitException(operation, which, address, bytes, used, limit);
        }
    }

    /** @return -1 when {@code bytes} were counted, else the use that left no room for them */
    private static long tryAcquire(final AtomicLong held, final long limit, final long bytes)
    {
        while (true)
        {
            final long used = held.get();
            if (bytes > limit - used)
            {
                return used;
            }
            if (held.compareAndSet(used, used + bytes))
            {
                return -1;
            }
        }
    }

    private static long property(final String name, final long otherwise)
    {
        final String value = System.getProperty(name);
        if (value == null || value.isBlank())
        {
            return otherwise;
        }
        try
        {
            return Long.parseLong(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("not a number of bytes: " + name + "=" + value, ex);
        }
    }
}
