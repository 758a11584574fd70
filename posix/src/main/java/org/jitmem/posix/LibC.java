package org.jitmem.posix;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Raw libc calls, direct-mapped for speed. Pointers and {@code size_t}/{@code off_t} are {@code long} (the binding
 * needs a 64-bit process). Failures return -1 (or {@link OsConstants#MAP_FAILED}) and leave errno in
 * {@link Native#getLastError()}; {@link Posix} wraps these into checked calls that throw.
 */
public final class LibC
{
    static
    {
        if (OsConstants.LINUX || OsConstants.MACOS)
        {
            Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }
    }

    private LibC()
    {
    }

    /**
     * @param address hint or fixed address, 0 for any
     * @param length  bytes
     * @param prot    PROT_ bits
     * @param flags   MAP_ flags
     * @param fd      descriptor, -1 for anonymous
     * @param offset  file offset
     * @return the address, or {@link OsConstants#MAP_FAILED}
     */
    public static native long mmap(long address, long length, int prot, int flags, int fd, long offset);

    /**
     * @param address page-aligned start
     * @param length  bytes
     * @return 0 or -1
     */
    public static native int munmap(long address, long length);

    /**
     * @param address page-aligned start
     * @param length  bytes
     * @param prot    PROT_ bits
     * @return 0 or -1
     */
    public static native int mprotect(long address, long length, int prot);

    /**
     * @param address page-aligned start
     * @param length  bytes
     * @param advice  MADV_ value
     * @return 0 or -1
     */
    public static native int madvise(long address, long length, int advice);

    /**
     * @param name a _SC_ value
     * @return the value, or -1
     */
    public static native long sysconf(int name);

    /**
     * @param fd     descriptor
     * @param length new size
     * @return 0 or -1
     */
    public static native int ftruncate(int fd, long length);

    /**
     * @param fd descriptor
     * @return 0 or -1
     */
    public static native int close(int fd);

    /** @return the process id */
    public static native int getpid();

    /**
     * @param name path name of a shared memory object
     * @return 0 or -1
     */
    public static native int shm_unlink(String name);

    /**
     * @param errno an error number
     * @return its description
     */
    public static native String strerror(int errno);

    /**
     * @param clock    a clock id, such as {@link OsConstants#CLOCK_PROCESS_CPUTIME_ID}
     * @param timespec seconds and nanoseconds, filled in ({@code struct timespec} of a 64-bit system)
     * @return 0, or -1 with errno set
     */
    public static native int clock_gettime(int clock, long[] timespec);

    /**
     * @param handle a handle from {@link #dlopen}, or {@link OsConstants#RTLD_DEFAULT} for every loaded object
     * @param name   a symbol name
     * @return its address, or 0 when it is not found
     */
    public static native long dlsym(long handle, String name);

    /**
     * @param path  a shared library's path or file name
     * @param flags RTLD_ flags
     * @return a handle, or 0 with the reason in {@link #dlerror}
     */
    public static native long dlopen(String path, int flags);

    /**
     * @param fd    an open descriptor
     * @param onto  the descriptor to make a copy of it, closed first when open
     * @return {@code onto}, or -1
     */
    public static native int dup2(int fd, int onto);

    /** @return the last dynamic-linking error of this thread, or null */
    public static native String dlerror();

    /** Linux-only calls, bound only on Linux. */
    public static final class Linux
    {
        static
        {
            if (OsConstants.LINUX)
            {
                Native.register(Linux.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
            }
        }

        private Linux()
        {
        }

        /**
         * @param name  name shown in /proc/self/fd
         * @param flags MFD_ flags
         * @return the descriptor, or -1
         */
        public static native int memfd_create(String name, int flags);

        /**
         * @param fd     descriptor
         * @param offset start
         * @param length bytes
         * @return 0 or an error number (errno is not set)
         */
        public static native int posix_fallocate(int fd, long offset, long length);

        /**
         * The futex system call through libc's {@code syscall}, with the arguments futex takes.
         *
         * @param number   {@link OsConstants#SYS_FUTEX}
         * @param address  the 32-bit futex word
         * @param op       FUTEX_ operation
         * @param value    expected value (wait) or number of waiters (wake)
         * @param timeout  a {@code struct timespec} address for wait, or 0
         * @param address2 unused, 0
         * @param value3   unused, 0
         * @return the call's result, or -1 with errno set
         */
        public static native long syscall(long number, long address, int op, int value, long timeout, long address2,
            int value3);
    }

    /** Variadic calls: interface mapping passes variadic arguments correctly on every ABI. Not hot. */
    public interface Variadic extends Library
    {
        /** The binding. */
        Variadic INSTANCE = Native.load(Platform.C_LIBRARY_NAME, Variadic.class);

        /**
         * @param path  file path
         * @param flags O_ flags
         * @param mode  creation mode, one Integer
         * @return the descriptor, or -1
         */
        int open(String path, int flags, Object... mode);

        /**
         * @param name  path name of a shared memory object (in libc since glibc 2.34, and on macOS)
         * @param flags O_ flags
         * @param mode  creation mode, one Integer
         * @return the descriptor, or -1
         */
        int shm_open(String name, int flags, Object... mode);

        /**
         * @param fd       descriptor
         * @param command  F_ command
         * @param argument its argument, one Integer, or none
         * @return the command's result, or -1
         */
        int fcntl(int fd, int command, Object... argument);
    }
}
