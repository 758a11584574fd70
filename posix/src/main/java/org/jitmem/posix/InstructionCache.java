package org.jitmem.posix;

import com.sun.jna.Function;
import com.sun.jna.Pointer;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryProtection;

/**
 * Makes freshly written code visible to instruction fetch. x86-64 keeps its caches coherent, so nothing is done
 * there. On aarch64 a hand-assembled routine cleans the data cache to the point of unification and invalidates the
 * instruction cache, line by line (line sizes from CTR_EL0). The routine lives in one page of its own, mapped once
 * per process and never freed; the kernel makes that page coherent itself when it first becomes executable.
 */
final class InstructionCache
{
    private static final boolean NEEDED = MachineCode.architecture() == MachineCode.Architecture.AARCH64;

    private InstructionCache()
    {
    }

    /**
     * @param address start of code just written
     * @param length  bytes
     */
    static void flush(final long address, final long length)
    {
        if (NEEDED && length > 0)
        {
            Aarch64Flush.FUNCTION.invokeLong(new Object[] {new Pointer(address), length});
        }
    }

    private static final class Aarch64Flush
    {
        private static final Function FUNCTION = install();

        private static Function install()
        {
            final byte[] code = MachineCode.aarch64InstructionCacheFlush();
            final long page = Posix.mmapAnonymous(MapperOperation.INITIALIZE, PageSize.get(),
                MemoryProtection.READ_WRITE);
            new Pointer(page).write(0, code, 0, code.length);
            Posix.mprotect(MapperOperation.INITIALIZE, page, PageSize.get(), MemoryProtection.READ_EXEC);
            return Function.getFunction(new Pointer(page));
        }
    }
}
