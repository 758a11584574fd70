package org.jitmem.link.executor;

import java.util.List;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.posix.LibC;
import org.jitmem.posix.OsConstants;

/** Looks symbols up in this process, among every object loaded into it, and loads shared libraries into it. */
public final class ProcessSymbols
{
    private ProcessSymbols()
    {
    }

    /**
     * @param names symbol names
     * @return each name's address in this process, 0 where it is not found, in the order of the names
     */
    public static long[] lookup(final List<String> names)
    {
        final long[] addresses = new long[names.size()];
        for (int i = 0; i < addresses.length; i++)
        {
            addresses[i] = LibC.dlsym(OsConstants.RTLD_DEFAULT, names.get(i));
        }
        return addresses;
    }

    /**
     * Loads a shared library so that later lookups find its symbols; it stays loaded for the life of the process.
     *
     * @param path a path, or a file name the dynamic linker searches for
     * @return the library's handle
     * @throws InvalidRequestException naming the path and the dynamic linker's reason when it cannot be loaded
     */
    public static long open(final String path)
    {
        if (path.isEmpty() || path.indexOf('\0') >= 0)
        {
            throw new InvalidRequestException(MapperOperation.CALL, "not a library path: path=" + path,
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        final long handle = LibC.dlopen(path, OsConstants.RTLD_NOW | OsConstants.RTLD_GLOBAL);
        if (handle == 0)
        {
            throw new InvalidRequestException(MapperOperation.CALL, "dlopen failed: path=" + path + " reason=" +
                LibC.dlerror(), MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        return handle;
    }
}
