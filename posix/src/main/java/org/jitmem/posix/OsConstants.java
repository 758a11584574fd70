package org.jitmem.posix;

import com.sun.jna.Platform;

/**
 * The operating-system constants the binding uses, in one place. Linux values, with the macOS values where they
 * differ; other systems are refused when the class loads.
 */
public final class OsConstants
{
    /** True on Linux. */
    public static final boolean LINUX = Platform.isLinux();
    /** True on macOS. */
    public static final boolean MACOS = Platform.isMac();

    /** Pages cannot be accessed. */
    public static final int PROT_NONE = 0;
    /** Pages can be read. */
    public static final int PROT_READ = 1;
    /** Pages can be written. */
    public static final int PROT_WRITE = 2;
    /** Pages can be executed. */
    public static final int PROT_EXEC = 4;

    /** Share the mapping with other mappings of the same object. */
    public static final int MAP_SHARED = 1;
    /** Private copy-on-write mapping. */
    public static final int MAP_PRIVATE = 2;
    /** Place the mapping exactly at the given address. */
    public static final int MAP_FIXED = 0x10;
    /** Not backed by a file. */
    public static final int MAP_ANONYMOUS = LINUX ? 0x20 : 0x1000;
    /** Do not reserve swap space; 0 where the flag does not exist. */
    public static final int MAP_NORESERVE = LINUX ? 0x4000 : 0;
    /** What mmap returns on failure. */
    public static final long MAP_FAILED = -1L;

    /** Fault the pages in writable (for a writable private mapping) as part of mmap; a hint: mmap does not fail. */
    public static final int MAP_POPULATE = LINUX ? 0x8000 : 0;

    /** The pages are not needed; anonymous private pages read back as zero. */
    public static final int MADV_DONTNEED = 4;

    /** Fault the pages in writable now, in one call rather than one trap a page (Linux 5.14). */
    public static final int MADV_POPULATE_WRITE = 23;

    /** clock_gettime: the processor time of the whole process. */
    public static final int CLOCK_PROCESS_CPUTIME_ID = LINUX ? 2 : 12;

    /** dlsym: search every object loaded into the process. */
    public static final long RTLD_DEFAULT = LINUX ? 0L : -2L;
    /** dlopen: resolve every symbol now. */
    public static final int RTLD_NOW = 2;
    /** dlopen: make the library's symbols available to later lookups. */
    public static final int RTLD_GLOBAL = LINUX ? 0x100 : 0x8;

    /** Open for reading only. */
    public static final int O_RDONLY = 0;
    /** Open for writing only. */
    public static final int O_WRONLY = 1;
    /** Every write goes to the end of the file. */
    public static final int O_APPEND = LINUX ? 0x400 : 0x8;
    /** Open for reading and writing. */
    public static final int O_RDWR = 2;
    /** Create when missing. */
    public static final int O_CREAT = LINUX ? 0x40 : 0x200;
    /** Fail when it exists (with {@link #O_CREAT}). */
    public static final int O_EXCL = LINUX ? 0x80 : 0x800;
    /** Close on exec. */
    public static final int O_CLOEXEC = LINUX ? 0x80000 : 0x1000000;

    /** memfd_create: close on exec (Linux only). */
    public static final int MFD_CLOEXEC = 1;
    /** memfd_create: seals may be added (Linux only). */
    public static final int MFD_ALLOW_SEALING = 2;
    /** fcntl: add seals to a memfd (Linux only). */
    public static final int F_ADD_SEALS = 1033;
    /** fcntl: the seals of a memfd (Linux only). */
    public static final int F_GET_SEALS = 1034;
    /** Seal: no more seals may be added. */
    public static final int F_SEAL_SEAL = 1;
    /** Seal: the file may not shrink. */
    public static final int F_SEAL_SHRINK = 2;
    /** Seal: the file may not grow. */
    public static final int F_SEAL_GROW = 4;

    /** The futex system call's number (Linux; x86-64 and aarch64), -1 elsewhere. */
    public static final long SYS_FUTEX = !LINUX ? -1 : "aarch64".equals(System.getProperty("os.arch")) ? 98 : 202;
    /** futex: sleep while the word holds the expected value (shared between processes: no PRIVATE flag). */
    public static final int FUTEX_WAIT = 0;
    /** futex: wake waiters. */
    public static final int FUTEX_WAKE = 1;

    /** sysconf name of the page size. */
    public static final int SC_PAGESIZE = LINUX ? 30 : 29;

    /** No such file or directory. */
    public static final int ENOENT = 2;
    /** Out of memory. */
    public static final int ENOMEM = 12;
    /** Permission denied. */
    public static final int EACCES = 13;
    /** File exists. */
    public static final int EEXIST = 17;
    /** Invalid argument. */
    public static final int EINVAL = 22;

    static
    {
        if (!LINUX && !MACOS)
        {
            throw new UnsupportedOperationException("jitmem POSIX binding supports Linux and macOS only: os.name=" +
                System.getProperty("os.name"));
        }
        if (!Platform.is64Bit())
        {
            throw new UnsupportedOperationException("jitmem POSIX binding needs a 64-bit process: os.arch=" +
                System.getProperty("os.arch"));
        }
    }

    private OsConstants()
    {
    }
}
