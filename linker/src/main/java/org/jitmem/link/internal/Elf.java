package org.jitmem.link.internal;

/** ELF constants the linker uses, in one place. */
final class Elf
{
    static final int EM_X86_64 = 62;
    static final int EM_AARCH64 = 183;
    static final int ET_REL = 1;

    static final int SHT_NULL = 0;
    static final int SHT_PROGBITS = 1;
    static final int SHT_SYMTAB = 2;
    static final int SHT_STRTAB = 3;
    static final int SHT_RELA = 4;
    static final int SHT_NOBITS = 8;
    static final int SHT_REL = 9;
    static final int SHT_INIT_ARRAY = 14;
    static final int SHT_FINI_ARRAY = 15;
    static final int SHT_PREINIT_ARRAY = 16;
    static final int SHT_GROUP = 17;
    static final int SHT_SYMTAB_SHNDX = 18;

    static final long SHF_WRITE = 0x1;
    static final long SHF_ALLOC = 0x2;
    static final long SHF_EXECINSTR = 0x4;
    static final long SHF_TLS = 0x400;
    static final long SHF_EXCLUDE = 0x80000000L;

    static final int GRP_COMDAT = 1;

    static final int SHN_UNDEF = 0;
    static final int SHN_LORESERVE = 0xff00;
    static final int SHN_ABS = 0xfff1;
    static final int SHN_COMMON = 0xfff2;
    static final int SHN_XINDEX = 0xffff;

    static final int STB_LOCAL = 0;
    static final int STB_GLOBAL = 1;
    static final int STB_WEAK = 2;
    static final int STB_GNU_UNIQUE = 10;

    static final int STT_NOTYPE = 0;
    static final int STT_OBJECT = 1;
    static final int STT_FUNC = 2;
    static final int STT_SECTION = 3;
    static final int STT_FILE = 4;
    static final int STT_COMMON = 5;
    static final int STT_TLS = 6;
    static final int STT_GNU_IFUNC = 10;

    static final int STV_DEFAULT = 0;
    static final int STV_HIDDEN = 2;

    private Elf()
    {
    }
}
