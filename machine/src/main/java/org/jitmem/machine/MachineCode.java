package org.jitmem.machine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Tiny hand-assembled functions with the C signature {@code int64_t fn(const void *arg, size_t len)} for the
 * architecture of this process (x86-64 or aarch64), and the argument blocks they take. Meant for tests, demos and
 * benchmarks that need real code to execute.
 */
public final class MachineCode
{
    /** The instruction sets this class can emit. */
    public enum Architecture
    {
        /** AMD64 / Intel 64. */
        X86_64,
        /** ARMv8 64-bit, little-endian. */
        AARCH64
    }

    private static final int AARCH64_RET = 0xD65F03C0;

    private MachineCode()
    {
    }

    /**
     * @return the architecture of this process
     * @throws UnsupportedOperationException on any other architecture
     */
    public static Architecture architecture()
    {
        final String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch)
        {
            case "amd64", "x86_64" -> Architecture.X86_64;
            case "aarch64", "arm64" -> Architecture.AARCH64;
            default -> throw new UnsupportedOperationException(
                "no machine code for this architecture: os.arch=" + arch);
        };
    }

    /**
     * @param value what the function returns
     * @return code of a function that returns {@code value}
     */
    public static byte[] returnConstant(final long value)
    {
        return switch (architecture())
        {
            case X86_64 -> concat(bytes(0x48, 0xB8), littleEndian(value), bytes(0xC3));
            case AARCH64 -> aarch64(
                0xD2800000 | halfword(value, 0),
                0xF2800000 | halfword(value, 1),
                0xF2800000 | halfword(value, 2),
                0xF2800000 | halfword(value, 3),
                AARCH64_RET);
        };
    }

    /**
     * @param code a non-zero error code
     * @return code of a function that returns {@code code}: an action made of it fails
     */
    public static byte[] returnValue(final long code)
    {
        if (code == 0)
        {
            throw new IllegalArgumentException("a failing action returns a non-zero code: code=0");
        }
        return returnConstant(code);
    }

    /** @return code of a function that returns its {@code len} argument */
    public static byte[] returnArgumentLength()
    {
        return switch (architecture())
        {
            case X86_64 -> bytes(0x48, 0x89, 0xF0, 0xC3);             // mov rax, rsi; ret
            case AARCH64 -> aarch64(0xAA0103E0, AARCH64_RET);          // mov x0, x1; ret
        };
    }

    /**
     * @return code of a function that reads a 64-bit address from its argument block and returns the 64-bit word at
     *     that address; its argument is built by {@link #loadArgument}
     */
    public static byte[] loadFromArgument()
    {
        return switch (architecture())
        {
            // mov rax, [rdi]; mov rax, [rax]; ret
            case X86_64 -> bytes(0x48, 0x8B, 0x07, 0x48, 0x8B, 0x00, 0xC3);
            // ldr x0, [x0]; ldr x0, [x0]; ret
            case AARCH64 -> aarch64(0xF9400000, 0xF9400000, AARCH64_RET);
        };
    }

    /**
     * @param address where {@link #loadFromArgument} code reads
     * @return its argument block: the address in native order
     */
    public static byte[] loadArgument(final long address)
    {
        return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder()).putLong(address).array();
    }

    /**
     * @return code of a function that reads two 64-bit words (target address, value) from its argument block,
     *     stores the value at the address and returns 0; its argument is built by {@link #storeArgument}
     */
    public static byte[] storeFromArgument()
    {
        return switch (architecture())
        {
            // mov rax, [rdi]; mov rcx, [rdi + 8]; mov [rax], rcx; xor eax, eax; ret
            case X86_64 -> bytes(0x48, 0x8B, 0x07, 0x48, 0x8B, 0x4F, 0x08, 0x48, 0x89, 0x08, 0x31, 0xC0, 0xC3);
            // ldp x2, x3, [x0]; str x3, [x2]; mov x0, #0; ret
            case AARCH64 -> aarch64(0xA9400C02, 0xF9000043, 0xD2800000, AARCH64_RET);
        };
    }

    /**
     * @return code of a function that reads an address from its argument block, stores 1 into the 64-bit word after
     *     the one at that address (so that its caller sees it run), waits until the word at the address is not zero
     *     and returns that word: code that runs for as long as its caller wants
     */
    public static byte[] waitForNonZero()
    {
        return switch (architecture())
        {
            // mov rax, [rdi]; mov qword [rax + 8], 1; loop: pause; mov rcx, [rax]; test rcx, rcx; jz loop;
            // mov rax, rcx; ret
            case X86_64 -> bytes(0x48, 0x8B, 0x07, 0x48, 0xC7, 0x40, 0x08, 0x01, 0x00, 0x00, 0x00, 0xF3, 0x90,
                0x48, 0x8B, 0x08, 0x48, 0x85, 0xC9, 0x74, 0xF6, 0x48, 0x89, 0xC8, 0xC3);
            // ldr x1, [x0]; mov x3, #1; str x3, [x1, #8]; loop: ldr x2, [x1]; cbz x2, loop; mov x0, x2; ret
            case AARCH64 -> aarch64(0xF9400001, 0xD2800023, 0xF9000423, 0xF9400022, 0xB4FFFFE2, 0xAA0203E0,
                AARCH64_RET);
        };
    }

    /**
     * @param address where {@link #storeFromArgument} code stores
     * @param value   what it stores
     * @return the argument block
     */
    public static byte[] storeArgument(final long address, final long value)
    {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(address).putLong(value).array();
    }

    private static int halfword(final long value, final int index)
    {
        return index << 21 | (int)((value >>> (16 * index)) & 0xFFFF) << 5;
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

    private static byte[] littleEndian(final long value)
    {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    private static byte[] bytes(final int... values)
    {
        final byte[] result = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            result[i] = (byte)values[i];
        }
        return result;
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteBuffer result = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (final byte[] part : parts)
        {
            result.put(part);
        }
        return result.array();
    }
}
