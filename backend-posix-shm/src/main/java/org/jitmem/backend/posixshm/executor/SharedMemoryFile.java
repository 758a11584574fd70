package org.jitmem.backend.posixshm.executor;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.jna.Native;

import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.UnsupportedPlatformException;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.Backing;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.SharedReservation;
import org.jitmem.posix.LibC;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.Posix;

/**
 * A shared memory object of the executor, mapped with no access. Only its size is set (ftruncate): it takes address
 * space and no memory until pages are committed, by the controller as it prepares working memory and by the executor
 * as it zero-fills, each with a commit that reports a machine that cannot back them instead of a SIGBUS on first
 * touch. Allocating the storage of a whole reservation up front would commit memory nobody uses, and a memfd has no
 * size limit of its own to stop a huge one. A memfd keeps its descriptor until {@link #release}: the
 * controller opens it through {@code /proc/<pid>/fd/<fd>} while it exists, and keeping it needs no second round
 * trip. A named object's descriptor is closed once mapped; the controller unlinks the name as soon as it has mapped
 * it, and {@link #release} unlinks it again in case the controller never got that far. Nothing outlives release,
 * and a failed {@link #create} leaves nothing behind.
 */
final class SharedMemoryFile
{
    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;
    private static final MapperOperation RESERVE = MapperOperation.RESERVE;
    private static final String NAME_PREFIX = "/jitmem-";
    /** 11 random bytes: 22 hex digits keep the name within macOS's 31 characters. */
    private static final int NAME_RANDOM_BYTES = 11;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long PID = ProcessHandle.current().pid();
    /** The backings whose pages were seen to become executable in this process. */
    private static final Set<Backing> EXECUTABLE_BACKINGS = ConcurrentHashMap.newKeySet();

    private final ExecutorAddressRange range;
    private final Backing backing;
    private final int fd;
    private final String name;

    private SharedMemoryFile(final ExecutorAddressRange range, final Backing backing, final int fd, final String name)
    {
        this.range = range;
        this.backing = backing;
        this.fd = fd;
        this.name = name;
    }

    /**
     * Creates and maps a shared memory object: a memfd where preferred and available, else a named object.
     *
     * @param size      bytes, page-aligned
     * @param preferred the backing to try first; a memfd exists on Linux only
     * @return the mapped object
     */
    static SharedMemoryFile create(final long size, final Backing preferred)
    {
        if (preferred == Backing.MEMFD && OsConstants.LINUX)
        {
            try
            {
                return createMemfd(size);
            }
            catch (final MemoryMapperException memfdFailure)
            {
                try
                {
                    return createNamed(size);
                }
                catch (final MemoryMapperException namedFailure)
                {
                    memfdFailure.addSuppressed(namedFailure);
                    throw memfdFailure;
                }
            }
        }
        return createNamed(size);
    }

    /** @return the mapped range */
    ExecutorAddressRange range()
    {
        return range;
    }

    /**
     * @return what the controller needs to map the same pages
     */
    SharedReservation describe()
    {
        return new SharedReservation(range, backing, PID, backing == Backing.MEMFD ? fd : -1,
            backing == Backing.NAMED ? name : "");
    }

    /**
     * Unmaps, closes the descriptor and unlinks the name, whichever apply; every step is tried.
     *
     * @param released the range, as the release hook passes it
     */
    void release(final ExecutorAddressRange released)
    {
        final ErrorJoiner errors = new ErrorJoiner();
        attempt(errors, () -> Posix.munmap(MapperOperation.RELEASE, range.start().value(), range.size()));
        if (backing == Backing.MEMFD)
        {
            attempt(errors, () -> Posix.close(MapperOperation.RELEASE, fd));
        }
        else
        {
            attempt(errors, () -> unlinkIfPresent(MapperOperation.RELEASE, name));
        }
        errors.throwIfAny();
    }

    private static SharedMemoryFile createMemfd(final long size)
    {
        final int fd = Posix.memfdCreate(RESERVE, "jitmem-shm", true);
        try
        {
            Posix.ftruncate(RESERVE, fd, size);
            // Sealed at its size: no controller can shrink it under this process (SIGBUS) or grow it past its limits.
            Posix.addSeals(RESERVE, fd, OsConstants.F_SEAL_SHRINK | OsConstants.F_SEAL_GROW | OsConstants.F_SEAL_SEAL);
            final long address = mapExecutable(Backing.MEMFD, fd, size, "memfd (is vm.memfd_noexec set?)");
            return new SharedMemoryFile(ExecutorAddressRange.of(address, size), Backing.MEMFD, fd, null);
        }
        catch (final RuntimeException ex)
        {
            attempt(ex, () -> Posix.close(RESERVE, fd));
            throw ex;
        }
    }

    private static SharedMemoryFile createNamed(final long size)
    {
        final String name = NAME_PREFIX + HexFormat.of().formatHex(randomBytes());
        final int fd = openNamed(name);
        try
        {
            final long address;
            try
            {
                Posix.ftruncate(RESERVE, fd, size);
                address = mapExecutable(Backing.NAMED, fd, size,
                    "POSIX shared memory (is /dev/shm mounted noexec?)");
            }
            catch (final RuntimeException ex)
            {
                attempt(ex, () -> Posix.close(RESERVE, fd));
                throw ex;
            }
            try
            {
                Posix.close(RESERVE, fd);
            }
            catch (final RuntimeException ex)
            {
                attempt(ex, () -> Posix.munmap(RESERVE, address, size));
                throw ex;
            }
            return new SharedMemoryFile(ExecutorAddressRange.of(address, size), Backing.NAMED, -1, name);
        }
        catch (final RuntimeException ex)
        {
            attempt(ex, () -> unlinkIfPresent(RESERVE, name));
            throw ex;
        }
    }

    private static int openNamed(final String name)
    {
        try
        {
            return Posix.shmOpen(RESERVE, name, OsConstants.O_RDWR | OsConstants.O_CREAT | OsConstants.O_EXCL, 0600);
        }
        catch (final MemoryMapperException ex)
        {
            if (ex.errno() == OsConstants.ENOENT)
            {
                throw new UnsupportedPlatformException(RESERVE, "POSIX shared memory is unavailable: " +
                    "is /dev/shm missing? name=" + name, UNKNOWN, UNKNOWN, ex);
            }
            throw ex;
        }
    }

    /**
     * Maps the object shared with no access, after checking, the first time for each backing, that its pages may
     * become executable: JIT'd code needs it, and a noexec mount or policy is better reported at the first reserve
     * than at the first initialize. Neither the mount nor the policy changes while the executor runs.
     */
    private static long mapExecutable(final Backing backing, final int fd, final long size, final String what)
    {
        final long address = Posix.mmap(RESERVE, 0, size, MemoryProtection.NONE, OsConstants.MAP_SHARED, fd, 0);
        if (EXECUTABLE_BACKINGS.contains(backing))
        {
            return address;
        }
        try
        {
            final long probe = PageSize.get();
            if (LibC.mprotect(address, probe, Posix.protectionBits(MemoryProtection.READ_EXEC)) != 0)
            {
                final int errno = Native.getLastError();
                throw new MemoryMapperException(RESERVE, what + " cannot be mapped executable: " +
                    Posix.strerror(errno), address, probe, errno);
            }
            Posix.mprotect(RESERVE, address, probe, MemoryProtection.NONE);
            EXECUTABLE_BACKINGS.add(backing);
            return address;
        }
        catch (final RuntimeException ex)
        {
            attempt(ex, () -> Posix.munmap(RESERVE, address, size));
            throw ex;
        }
    }

    private static void unlinkIfPresent(final MapperOperation operation, final String name)
    {
        try
        {
            Posix.shmUnlink(operation, name);
        }
        catch (final MemoryMapperException ex)
        {
            if (ex.errno() != OsConstants.ENOENT)
            {
                throw ex;
            }
        }
    }

    private static byte[] randomBytes()
    {
        final byte[] bytes = new byte[NAME_RANDOM_BYTES];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static void attempt(final Throwable failure, final Runnable cleanup)
    {
        try
        {
            cleanup.run();
        }
        catch (final RuntimeException ex)
        {
            failure.addSuppressed(ex);
        }
    }

    private static void attempt(final ErrorJoiner errors, final Runnable step)
    {
        try
        {
            step.run();
        }
        catch (final RuntimeException ex)
        {
            errors.add(ex);
        }
    }
}
