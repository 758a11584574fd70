package org.jitmem.link.executor;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.posix.LibC;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.Posix;

/**
 * Points this process's standard output and error where another process of the same user writes its own, so that
 * what loaded code prints in an executor appears where its controller's output goes (a terminal, a pipe, a file).
 */
public final class StandardStreams
{
    private StandardStreams()
    {
    }

    /**
     * @param pid the process whose descriptors 1 and 2 this process takes over, through {@code /proc/<pid>/fd}
     * @throws MemoryMapperException when a descriptor cannot be opened or duplicated
     */
    public static void share(final long pid)
    {
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
}
