package org.jitmem.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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
public final class InstructionCache
{
    private static final boolean NEEDED = "aarch64".equals(System.getProperty("os.arch"));

    private InstructionCache()
    {
    }

    /**
     * @param address start of code just written
     * @param length  bytes
     */
    public static void flush(final long address, final long length)
    {
        if (NEEDED && length > 0)
        {
            Aarch64Flush.FUNCTION.invokeLong(new Object[] {new Pointer(address), length});
        }
    }

    /**
     * Code of {@code int64_t flush(void *start, size_t len)} that cleans the data cache and invalidates the
     * instruction cache over the range, by the line sizes read from CTR_EL0 (aarch64 only).
     *
     * @return the code, a fresh copy
     */
    static byte[] aarch64InstructionCacheFlush()
    {
        return aarch64(
            0xD53B0023,     // mrs x3, ctr_el0
            0xD280008A,     // mov x10, #4
            0xD3504C64,     // ubfx x4, x3, #16, #4     DminLine (log2 words)
            0x9AC42144,     // lsl x4, x10, x4          data line bytes
            0x92400C65,     // and x5, x3, #0xf         IminLine
            0x9AC52145,     // lsl x5, x10, x5          instruction line bytes
            0x8B010001,     // add x1, x0, x1           end
            0xD1000486,     // sub x6, x4, #1
            0x8A260002,     // bic x2, x0, x6
            0xD50B7B22,     // 1: dc cvau, x2
            0x8B040042,     // add x2, x2, x4
            0xEB01005F,     // cmp x2, x1
            0x54FFFFA3,     // b.lo 1b
            0xD5033B9F,     // dsb ish
            0xD10004A6,     // sub x6, x5, #1
            0x8A260002,     // bic x2, x0, x6
            0xD50B7522,     // 2: ic ivau, x2
            0x8B050042,     // add x2, x2, x5
            0xEB01005F,     // cmp x2, x1
            0x54FFFFA3,     // b.lo 2b
            0xD5033B9F,     // dsb ish
            0xD5033FDF,     // isb
            0xD2800000,     // mov x0, #0
            0xD65F03C0);    // ret
    }

    private static byte[] aarch64(final int... instructions)
    {
        final ByteBuffer code = ByteBuffer.allocate(4 * instructions.length).order(ByteOrder.LITTLE_ENDIAN);
        for (final int instruction : instructions)
        {
            code.putInt(instruction);
        }
        return code.array();
    }

    private static final class Aarch64Flush
    {
        private static final Function FUNCTION = install();

        private static Function install()
        {
            final byte[] code = aarch64InstructionCacheFlush();
            final long page = Posix.mmapAnonymous(MapperOperation.INITIALIZE, PageSize.get(),
                MemoryProtection.READ_WRITE);
            new Pointer(page).write(0, code, 0, code.length);
            Posix.mprotect(MapperOperation.INITIALIZE, page, PageSize.get(), MemoryProtection.READ_EXEC);
            return Function.getFunction(new Pointer(page));
        }
    }
}
