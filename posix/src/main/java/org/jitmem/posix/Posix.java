package org.jitmem.posix;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;

/**
 * Checked libc calls: a failure becomes a {@link MemoryMapperException} naming the operation, the call, the address,
 * the length, errno and its text.
 */
public final class Posix
{
    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;

    private Posix()
    {
    }

    /**
     * Maps anonymous private memory anywhere.
     *
     * @param operation  the operation on whose behalf the call is made
     * @param length     bytes, page-aligned
     * @param protection initial protection
     * @return the address
     */
    public static long mmapAnonymous(final MapperOperation operation, final long length,
        final MemoryProtection protection)
    {
        return mmapAnonymous(operation, length, protection, false);
    }

    /**
     * Maps anonymous private memory anywhere, optionally faulting it in within the same call.
     *
     * @param operation  the operation on whose behalf the call is made
     * @param length     bytes, page-aligned
     * @param protection initial protection
     * @param populate   fault the pages in now (MAP_POPULATE, Linux; a hint elsewhere ignored)
     * @return the address
     */
    public static long mmapAnonymous(final MapperOperation operation, final long length,
        final MemoryProtection protection, final boolean populate)
    {
        return mmap(operation, 0, length, protection, OsConstants.MAP_PRIVATE | OsConstants.MAP_ANONYMOUS |
            OsConstants.MAP_NORESERVE | (populate ? OsConstants.MAP_POPULATE : 0), -1, 0);
    }

    /**
     * @param operation  the operation on whose behalf the call is made
     * @param address    hint or fixed address, 0 for any
     * @param length     bytes
     * @param protection protection
     * @param flags      MAP_ flags
     * @param fd         descriptor, -1 for anonymous
     * @param offset     file offset
     * @return the address
     */
    public static long mmap(final MapperOperation operation, final long address, final long length,
        final MemoryProtection protection, final int flags, final int fd, final long offset)
    {
        final long mapped = LibC.mmap(address, length, protectionBits(protection), flags, fd, offset);
        if (mapped == OsConstants.MAP_FAILED)
        {
            throw failure(operation, "mmap", address == 0 ? UNKNOWN : address, length, Native.getLastError());
        }
        return mapped;
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param address   page-aligned start
     * @param length    bytes
     */
    public static void munmap(final MapperOperation operation, final long address, final long length)
    {
        if (LibC.munmap(address, length) != 0)
        {
            throw failure(operation, "munmap", address, length, Native.getLastError());
        }
    }

    /**
     * @param operation  the operation on whose behalf the call is made
     * @param address    page-aligned start
     * @param length     bytes
     * @param protection new protection
     */
    public static void mprotect(final MapperOperation operation, final long address, final long length,
        final MemoryProtection protection)
    {
        if (LibC.mprotect(address, length, protectionBits(protection)) != 0)
        {
            throw failure(operation, "mprotect " + protection, address, length, Native.getLastError());
        }
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param address   page-aligned start
     * @param length    bytes
     * @param advice    MADV_ value
     */
    public static void madvise(final MapperOperation operation, final long address, final long length,
        final int advice)
    {
        if (LibC.madvise(address, length, advice) != 0)
        {
            throw failure(operation, "madvise " + advice, address, length, Native.getLastError());
        }
    }

    /**
     * Creates an anonymous memory file, closed on exec (Linux only).
     *
     * @param operation the operation on whose behalf the call is made
     * @param name      name shown in /proc/self/fd
     * @return the descriptor
     */
    public static int memfdCreate(final MapperOperation operation, final String name)
    {
        return memfdCreate(operation, name, false);
    }

    /**
     * Creates an anonymous memory file, closed on exec (Linux only).
     *
     * @param operation the operation on whose behalf the call is made
     * @param name      name shown in /proc/self/fd
     * @param sealable  allow {@link #addSeals}
     * @return the descriptor
     */
    public static int memfdCreate(final MapperOperation operation, final String name, final boolean sealable)
    {
        if (!OsConstants.LINUX)
        {
            throw new MemoryMapperException(operation, "memfd_create exists on Linux only: name=" + name, UNKNOWN,
                UNKNOWN, 0);
        }
        return checkDescriptor(operation, "memfd_create " + name, LibC.Linux.memfd_create(name,
            OsConstants.MFD_CLOEXEC | (sealable ? OsConstants.MFD_ALLOW_SEALING : 0)));
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param fd        a sealable memfd
     * @param seals     F_SEAL_ bits to add
     */
    public static void addSeals(final MapperOperation operation, final int fd, final int seals)
    {
        if (LibC.Variadic.INSTANCE.fcntl(fd, OsConstants.F_ADD_SEALS, seals) != 0)
        {
            throw failure(operation, "fcntl F_ADD_SEALS fd=" + fd + " seals=" + seals, UNKNOWN, UNKNOWN,
                Native.getLastError());
        }
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param fd        a descriptor
     * @return its F_SEAL_ bits; 0 for a file that cannot be sealed
     */
    public static int seals(final MapperOperation operation, final int fd)
    {
        final int seals = LibC.Variadic.INSTANCE.fcntl(fd, OsConstants.F_GET_SEALS);
        if (seals < 0)
        {
            final int errno = Native.getLastError();
            if (errno == OsConstants.EINVAL)
            {
                return 0;
            }
            throw failure(operation, "fcntl F_GET_SEALS fd=" + fd, UNKNOWN, UNKNOWN, errno);
        }
        return seals;
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param fd        descriptor
     * @param length    new size
     */
    public static void ftruncate(final MapperOperation operation, final int fd, final long length)
    {
        if (LibC.ftruncate(fd, length) != 0)
        {
            throw failure(operation, "ftruncate fd=" + fd, UNKNOWN, length, Native.getLastError());
        }
    }

    /**
     * Allocates the file's storage up front, so that a full tmpfs fails here rather than with SIGBUS on first
     * touch. On macOS, which lacks posix_fallocate, the size is set with ftruncate.
     *
     * @param operation the operation on whose behalf the call is made
     * @param fd        descriptor
     * @param length    bytes from offset 0
     */
    public static void fallocate(final MapperOperation operation, final int fd, final long length)
    {
        if (!OsConstants.LINUX)
        {
            ftruncate(operation, fd, length);
            return;
        }
        final int errno = LibC.Linux.posix_fallocate(fd, 0, length);
        if (errno != 0)
        {
            throw failure(operation, "posix_fallocate fd=" + fd, UNKNOWN, length, errno);
        }
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param path      file path
     * @param flags     O_ flags
     * @param mode      creation mode
     * @return the descriptor
     */
    public static int open(final MapperOperation operation, final String path, final int flags, final int mode)
    {
        return checkDescriptor(operation, "open " + path, LibC.Variadic.INSTANCE.open(path, flags, mode));
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param fd        descriptor
     */
    public static void close(final MapperOperation operation, final int fd)
    {
        if (LibC.close(fd) != 0)
        {
            throw failure(operation, "close fd=" + fd, UNKNOWN, UNKNOWN, Native.getLastError());
        }
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param name      shared memory object name, starting with a slash
     * @param flags     O_ flags
     * @param mode      creation mode
     * @return the descriptor
     */
    public static int shmOpen(final MapperOperation operation, final String name, final int flags, final int mode)
    {
        return checkDescriptor(operation, "shm_open " + name, LibC.Variadic.INSTANCE.shm_open(name, flags, mode));
    }

    /**
     * @param operation the operation on whose behalf the call is made
     * @param name      shared memory object name
     */
    public static void shmUnlink(final MapperOperation operation, final String name)
    {
        if (LibC.shm_unlink(name) != 0)
        {
            throw failure(operation, "shm_unlink " + name, UNKNOWN, UNKNOWN, Native.getLastError());
        }
    }

    /**
     * Sleeps while the 32-bit word at {@code address} holds {@code expected}, at most {@code timeoutNanos}; returns
     * early on a wake-up, a signal or a changed word, which the caller tells apart by looking at the word (Linux only).
     *
     * @param address      a 4-byte aligned address in memory shared with the waker
     * @param expected     the value seen last
     * @param timeoutNanos longest sleep, more than zero
     */
    public static void futexWait(final long address, final int expected, final long timeoutNanos)
    {
        final Timespec timeout = FUTEX_TIMEOUT.get();
        final long nanos = Math.max(1, timeoutNanos);
        timeout.setLong(0, nanos / 1_000_000_000L);
        timeout.setLong(8, nanos % 1_000_000_000L);
        LibC.Linux.syscall(OsConstants.SYS_FUTEX, address, OsConstants.FUTEX_WAIT, expected, timeout.address, 0, 0);
    }

    /**
     * Wakes up to {@code count} threads, of any process, sleeping in {@link #futexWait} on {@code address} (Linux only).
     *
     * @param address the word's address
     * @param count   how many to wake at most
     */
    public static void futexWake(final long address, final int count)
    {
        LibC.Linux.syscall(OsConstants.SYS_FUTEX, address, OsConstants.FUTEX_WAKE, count, 0, 0, 0);
    }

    /** @return this process's processor time, user and system, of every thread (exited ones included), in ns */
    public static long processCpuNanos()
    {
        final long[] timespec = new long[2];
        if (LibC.clock_gettime(OsConstants.CLOCK_PROCESS_CPUTIME_ID, timespec) != 0)
        {
            final int errno = Native.getLastError();
            throw new MemoryMapperException(MapperOperation.CHANNEL, "clock_gettime failed: " + strerror(errno),
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, errno);
        }
        return timespec[0] * 1_000_000_000L + timespec[1];
    }

    /** @return this process's id */
    public static long pid()
    {
        return LibC.getpid();
    }

    /**
     * @param errno an error number
     * @return its description
     */
    public static String strerror(final int errno)
    {
        final String text = LibC.strerror(errno);
        return text == null ? "unknown error" : text;
    }

    /**
     * @param protection a protection
     * @return its PROT_ bits
     */
    public static int protectionBits(final MemoryProtection protection)
    {
        return (protection.readable() ? OsConstants.PROT_READ : 0) |
            (protection.writable() ? OsConstants.PROT_WRITE : 0) |
            (protection.executable() ? OsConstants.PROT_EXEC : 0);
    }

    /**
     * @param operation the operation on whose behalf the call was made
     * @param call      the call and its non-address arguments
     * @param address   the address concerned, or {@link MemoryMapperException#UNKNOWN}
     * @param length    the length concerned, or {@link MemoryMapperException#UNKNOWN}
     * @param errno     the error number
     * @return the exception to throw
     */
    public static MemoryMapperException failure(final MapperOperation operation, final String call,
        final long address, final long length, final int errno)
    {
        return new MemoryMapperException(operation, call + " failed: " + strerror(errno), address, length, errno);
    }

    /** A {@code struct timespec} per thread for futex timeouts. */
    private static final ThreadLocal<Timespec> FUTEX_TIMEOUT = ThreadLocal.withInitial(Timespec::new);

    /** Native memory for one {@code struct timespec}. */
    private static final class Timespec extends Memory
    {
        private final long address = Pointer.nativeValue(this);

        Timespec()
        {
            super(16);
        }
    }

    private static int checkDescriptor(final MapperOperation operation, final String call, final int fd)
    {
        if (fd < 0)
        {
            throw failure(operation, call, UNKNOWN, UNKNOWN, Native.getLastError());
        }
        return fd;
    }
}
