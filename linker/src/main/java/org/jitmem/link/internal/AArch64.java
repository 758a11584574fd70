package org.jitmem.link.internal;

import java.util.Map;

import org.jitmem.link.UnsupportedObjectException;

/** AArch64: relocations of the ELF ABI for the Arm 64-bit architecture, veneers {@code ldr x16, #8; br x16}. */
final class AArch64 implements Architecture
{
    private static final Map<Integer, String> NAMES = Map.ofEntries(
        Map.entry(0, "NONE"), Map.entry(256, "NONE"), Map.entry(257, "ABS64"), Map.entry(258, "ABS32"),
        Map.entry(259, "ABS16"), Map.entry(260, "PREL64"), Map.entry(261, "PREL32"), Map.entry(262, "PREL16"),
        Map.entry(263, "MOVW_UABS_G0"), Map.entry(264, "MOVW_UABS_G0_NC"), Map.entry(265, "MOVW_UABS_G1"),
        Map.entry(266, "MOVW_UABS_G1_NC"), Map.entry(267, "MOVW_UABS_G2"), Map.entry(268, "MOVW_UABS_G2_NC"),
        Map.entry(269, "MOVW_UABS_G3"), Map.entry(273, "LD_PREL_LO19"), Map.entry(274, "ADR_PREL_LO21"),
        Map.entry(275, "ADR_PREL_PG_HI21"), Map.entry(276, "ADR_PREL_PG_HI21_NC"), Map.entry(277, "ADD_ABS_LO12_NC"),
        Map.entry(278, "LDST8_ABS_LO12_NC"), Map.entry(279, "TSTBR14"), Map.entry(280, "CONDBR19"),
        Map.entry(282, "JUMP26"), Map.entry(283, "CALL26"), Map.entry(284, "LDST16_ABS_LO12_NC"),
        Map.entry(285, "LDST32_ABS_LO12_NC"), Map.entry(286, "LDST64_ABS_LO12_NC"),
        Map.entry(299, "LDST128_ABS_LO12_NC"), Map.entry(309, "GOT_LD_PREL19"), Map.entry(311, "ADR_GOT_PAGE"),
        Map.entry(312, "LD64_GOT_LO12_NC"));

    @Override
    public int machine()
    {
        return Elf.EM_AARCH64;
    }

    @Override
    public String name(final int type)
    {
        return "R_AARCH64_" + NAMES.getOrDefault(type, Integer.toString(type));
    }

    @Override
    public Kind kind(final int type)
    {
        if (type == 0 || type == 256)
        {
            return Kind.NONE;
        }
        if (type == 282 || type == 283)
        {
            return Kind.BRANCH;
        }
        if (type == 309 || type == 311 || type == 312)
        {
            return Kind.GOT;
        }
        if (type >= 512 && type < 1024)
        {
            return Kind.TLS;
        }
        return NAMES.containsKey(type) ? Kind.DIRECT : Kind.UNKNOWN;
    }

    @Override
    public void apply(final int type, final Fixup f)
    {
        final long x = f.symbol() + f.addend();
        final long p = f.place();
        switch (type)
        {
            case 257 -> f.put64(x);
            case 258 -> f.put32(range(f, x, -(1L << 31), 1L << 32, "ABS32"));
            case 259 -> f.put16(range(f, x, -(1L << 15), 1L << 16, "ABS16"));
            case 260 -> f.put64(x - p);
            case 261 -> f.put32(range(f, x - p, -(1L << 31), 1L << 32, "PREL32"));
            case 262 -> f.put16(range(f, x - p, -(1L << 15), 1L << 16, "PREL16"));
            case 263, 264, 265, 266, 267, 268, 269 ->
            {
                final int group = (type - 263) / 2;
                final boolean checked = type == 269 || (type - 263) % 2 == 0;
                if (checked && group < 3 && Long.compareUnsigned(x, 1L << (16 * (group + 1))) >= 0)
                {
                    throw f.overflow(x, "unsigned " + 16 * (group + 1) + "-bit MOVW");
                }
                insert(f, (x >>> (16 * group)) & 0xffff, 5, 16);
            }
            case 273 -> insert(f, f.signed(word(f, x - p), 19), 5, 19);
            case 274 -> adr(f, f.signed(x - p, 21));
            case 275 -> adr(f, f.signed((page(x) - page(p)) >> 12, 21));
            case 276 -> adr(f, (page(x) - page(p)) >> 12);
            case 277, 278 -> insert(f, x & 0xfff, 10, 12);
            case 284 -> insert(f, (x & 0xfff) >> 1, 10, 12);
            case 285 -> insert(f, (x & 0xfff) >> 2, 10, 12);
            case 286 -> insert(f, (x & 0xfff) >> 3, 10, 12);
            case 299 -> insert(f, (x & 0xfff) >> 4, 10, 12);
            case 279 -> insert(f, f.signed(word(f, x - p), 14), 5, 14);
            case 280 -> insert(f, f.signed(word(f, x - p), 19), 5, 19);
            case 282, 283 ->
            {
                final long direct = x - p;
                final boolean fits = direct >= -(1L << 27) && direct < (1L << 27);
                final long offset = fits || f.stub() == 0 ? direct : f.stub() + f.addend() - p;
                insert(f, f.signed(word(f, offset), 26), 0, 26);
            }
            case 309 -> insert(f, f.signed(word(f, f.gotEntry() - p), 19), 5, 19);
            case 311 -> adr(f, f.signed((page(f.gotEntry()) - page(p)) >> 12, 21));
            case 312 -> insert(f, (f.gotEntry() & 0xff8) >> 3, 10, 12);
            default -> throw new UnsupportedObjectException("unsupported relocation", f.site());
        }
    }

    @Override
    public int stubSize()
    {
        return 16;
    }

    @Override
    public boolean stubUsesGot()
    {
        return false;
    }

    @Override
    public void writeStub(final byte[] code, final int at, final long stub, final long gotEntry, final long target)
    {
        LittleEndian.putInt(code, at, 0x58000050);
        LittleEndian.putInt(code, at + 4, 0xd61f0200);
        LittleEndian.putLong(code, at + 8, target);
    }

    @Override
    public byte[] trampoline(final boolean returnsInt)
    {
        // stp x29, x30, [sp, #-16]!; mov x29, sp; ldr x16, [x0]; ldr x1, [x0, #16]; ldr x2, [x0, #24];
        // ldr x0, [x0, #8]; blr x16; mov x0, #0 or sxtw x0, w0; ldp x29, x30, [sp], #16; ret
        final int[] words = {0xa9bf7bfd, 0x910003fd, 0xf9400010, 0xf9400801, 0xf9400c02, 0xf9400400, 0xd63f0200,
            returnsInt ? 0x93407c00 : 0xd2800000, 0xa8c17bfd, 0xd65f03c0};
        final byte[] code = new byte[words.length * 4];
        for (int i = 0; i < words.length; i++)
        {
            LittleEndian.putInt(code, 4 * i, words[i]);
        }
        return code;
    }

    private static long page(final long address)
    {
        return address & ~0xfffL;
    }

    private static long word(final Fixup f, final long offset)
    {
        if ((offset & 3) != 0)
        {
            throw f.overflow(offset, "word-aligned branch");
        }
        return offset >> 2;
    }

    private static long range(final Fixup f, final long value, final long low, final long high, final String what)
    {
        if (value < low || value >= high)
        {
            throw f.overflow(value, what);
        }
        return value;
    }

    private static void adr(final Fixup f, final long immediate)
    {
        final int instruction = f.get32() & ~(0x3 << 29) & ~(0x7ffff << 5);
        f.put32(instruction | (int)(immediate & 0x3) << 29 | (int)((immediate >> 2) & 0x7ffff) << 5);
    }

    private static void insert(final Fixup f, final long value, final int shift, final int bits)
    {
        final int mask = (int)((1L << bits) - 1) << shift;
        f.put32((f.get32() & ~mask) | ((int)(value << shift) & mask));
    }
}
