package org.jitmem.link.executor;

import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.posix.LibC;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.Posix;

/**
 * Points this process's standard output and error where another process of the same user writes its own, so that
 * what loaded code prints in an executor appears where its controller's output goes (a terminal, a pipe, a file).
 * The executor's own messages ({@link System#err}: its log, its exit line) keep going where they went before.
 */
public final class StandardStreams
{
    private static final AtomicBoolean OWN_ERROR_KEPT = new AtomicBoolean();

    private StandardStreams()
    {
    }

    /**
     * @param pid the process whose descriptors 1 and 2 this process takes over, through {@code /proc/<pid>/fd}
     * @throws MemoryMapperException when a descriptor cannot be opened or duplicated
     */
    public static void share(final long pid)
    {
        keepOwnStandardError();
        for (int fd = 1; fd <= 2; fd++)
        {
            final int opened = Posix.open(MapperOperation.CALL, "/proc/" + pid + "/fd/" + fd,
                OsConstants.O_WRONLY | OsConstants.O_APPEND | OsConstants.O_CLOEXEC, 0);
            try
            {
                if (LibC.dup2(opened, fd) < 0)
                {
                    throw Posix.failure(MapperOperation.CALL, "dup2", MemoryMapperException.UNKNOWN,
                        MemoryMapperException.UNKNOWN, com.sun.jna.Native.getLastError());
                }
            }
            finally
            {
                Posix.close(MapperOperation.CALL, opened);
            }
        }
    }

    /** Points {@link System#err} at a descriptor of its own on what descriptor 2 is now, once, before it is shared. */
    private static void keepOwnStandardError()
    {
        if (!OWN_ERROR_KEPT.compareAndSet(false, true))
        {
            return;
        }
        try
        {
            // append: /proc/self/fd/2 opens the same pipe, terminal or file anew; never truncate a file
            System.setErr(new PrintStream(new FileOutputStream("/proc/self/fd/2", true), true,
                StandardCharsets.UTF_8));
        }
        catch (final FileNotFoundException ex)
        {
            OWN_ERROR_KEPT.set(false);
            throw new MemoryMapperException(MapperOperation.CALL, "cannot keep the executor's own standard error: " +
                ex.getMessage(), MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, 0, ex);
        }
    }
}
