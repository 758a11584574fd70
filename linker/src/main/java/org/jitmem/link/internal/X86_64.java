package org.jitmem.link.internal;

import org.jitmem.link.UnsupportedObjectException;

/** x86-64: relocations of the System V psABI, stubs {@code jmp *got(%rip)}, trampolines. */
final class X86_64 implements Architecture
{
    private static final String[] NAMES = {
        "NONE", "64", "PC32", "GOT32", "PLT32", "COPY", "GLOB_DAT", "JUMP_SLOT", "RELATIVE", "GOTPCREL", "32", "32S",
        "16", "PC16", "8", "PC8", "DTPMOD64", "DTPOFF64", "TPOFF64", "TLSGD", "TLSLD", "DTPOFF32", "GOTTPOFF",
        "TPOFF32", "PC64", "GOTOFF64", "GOTPC32", "GOT64", "GOTPCREL64", "GOTPC64", "GOTPLT64", "PLTOFF64", "SIZE32",
        "SIZE64", "GOTPC32_TLSDESC", "TLSDESC_CALL", "TLSDESC", "IRELATIVE", "RELATIVE64", "PC32_BND", "PLT32_BND",
        "GOTPCRELX", "REX_GOTPCRELX"};

    @Override
    public int machine()
    {
        return Elf.EM_X86_64;
    }

    @Override
    public String name(final int type)
    {
        return "R_X86_64_" + (type >= 0 && type < NAMES.length ? NAMES[type] : Integer.toString(type));
    }

    @Override
    public Kind kind(final int type)
    {
        return switch (type)
        {
            case 0 -> Kind.NONE;
            case 1, 2, 10, 11, 12, 13, 14, 15, 24, 25, 26, 29, 32, 33 -> Kind.DIRECT;
            case 9, 27, 28, 41, 42 -> Kind.GOT;
            case 4 -> Kind.BRANCH;
            case 16, 17, 18, 19, 20, 21, 22, 23, 34, 35, 36 -> Kind.TLS;
            default -> Kind.UNKNOWN;
        };
    }

    @Override
    public void apply(final int type, final Fixup f)
    {
        final long s = f.symbol();
        final long a = f.addend();
        final long p = f.place();
        switch (type)
        {
            case 0 ->
            {
            }
            case 1 -> f.put64(s + a);
            case 2 -> f.put32(f.signed(s + a - p, 32));
            case 4 ->
            {
                final long direct = s + a - p;
                final boolean fits = direct >= Integer.MIN_VALUE && direct <= Integer.MAX_VALUE;
                f.put32(f.signed(fits || f.stub() == 0 ? direct : f.stub() + a - p, 32));
            }
            case 9, 41, 42 -> f.put32(f.signed(f.gotEntry() + a - p, 32));
            case 10 -> f.put32(f.unsigned(s + a, 32));
            case 11 -> f.put32(f.signed(s + a, 32));
            case 12 -> f.put16(f.unsigned(s + a, 16));
            case 13 -> f.put16(f.signed(s + a - p, 16));
            case 14 -> f.put8(f.unsigned(s + a, 8));
            case 15 -> f.put8(f.signed(s + a - p, 8));
            case 24 -> f.put64(s + a - p);
            case 25 -> f.put64(s + a - f.gotBase());
            case 26 -> f.put32(f.signed(f.gotBase() + a - p, 32));
            case 27 -> f.put64(f.gotEntry() - f.gotBase() + a);
            case 28 -> f.put64(f.gotEntry() + a - p);
            case 29 -> f.put64(f.gotBase() + a - p);
            case 32 -> f.put32(f.unsigned(f.size() + a, 32));
            case 33 -> f.put64(f.size() + a);
            default -> throw new UnsupportedObjectException("unsupported relocation", f.site());
        }
    }

    @Override
    public int stubSize()
    {
        return 8;
    }

    @Override
    public boolean stubUsesGot()
    {
        return true;
    }

    @Override
    public void writeStub(final byte[] code, final int at, final long stub, final long gotEntry, final long target)
    {
        final long displacement = gotEntry - (stub + 6);
        code[at] = (byte)0xff;
        code[at + 1] = 0x25;
        LittleEndian.putInt(code, at + 2, (int)displacement);
        code[at + 6] = (byte)0xcc;
        code[at + 7] = (byte)0xcc;
    }

    @Override
    public byte[] trampoline(final boolean returnsInt)
    {
        // push %rbx (aligns the stack); mov (%rdi),%rax; mov 0x10(%rdi),%rsi; mov 0x18(%rdi),%rdx; mov 8(%rdi),%rdi;
        // call *%rax; then xor %eax,%eax or movslq %eax,%rax; pop %rbx; ret
        final byte[] call = {0x53, 0x48, (byte)0x8b, 0x07, 0x48, (byte)0x8b, 0x77, 0x10, 0x48, (byte)0x8b, 0x57, 0x18,
            0x48, (byte)0x8b, 0x7f, 0x08, (byte)0xff, (byte)0xd0};
        final byte[] result = returnsInt ? new byte[] {0x48, 0x63, (byte)0xc0} : new byte[] {0x31, (byte)0xc0};
        final byte[] code = new byte[call.length + result.length + 2];
        System.arraycopy(call, 0, code, 0, call.length);
        System.arraycopy(result, 0, code, call.length, result.length);
        code[code.length - 2] = 0x5b;
        code[code.length - 1] = (byte)0xc3;
        return code;
    }
}
