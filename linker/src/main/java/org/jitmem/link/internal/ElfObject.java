package org.jitmem.link.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.jitmem.link.LinkSite;
import org.jitmem.link.MalformedObjectException;
import org.jitmem.link.ObjectFile;
import org.jitmem.link.UnsupportedObjectException;

/**
 * An ELF64 little-endian relocatable object, read and checked: every offset, size and index taken from the file is
 * checked against the file before use, so a malformed object is a {@link MalformedObjectException} and anything
 * else this linker does not handle an {@link UnsupportedObjectException}, naming what was found.
 */
final class ElfObject
{
    /** One section header. */
    record Section(int index, String name, int type, long flags, long offset, long size, int link, int info,
        long alignment, long entrySize)
    {
        boolean has(final long flag)
        {
            return (flags & flag) != 0;
        }
    }

    /** One symbol table entry. */
    record Symbol(int index, String name, int bind, int type, int visibility, int sectionIndex, long value, long size)
    {
        boolean isLocal()
        {
            return bind == Elf.STB_LOCAL;
        }

        boolean isWeak()
        {
            return bind == Elf.STB_WEAK;
        }

        boolean isUndefined()
        {
            return sectionIndex == Elf.SHN_UNDEF;
        }

        boolean isCommon()
        {
            return sectionIndex == Elf.SHN_COMMON;
        }
    }

    /** One relocation with an addend. */
    record Relocation(long offset, int type, int symbol, long addend)
    {
    }

    private static final int HEADER_SIZE = 64;
    private static final int SECTION_HEADER_SIZE = 64;
    private static final int SYMBOL_SIZE = 24;
    private static final int RELA_SIZE = 24;

    private final String name;
    private final int machine;
    private final ByteBuffer data;
    private final List<Section> sections;
    private final List<Symbol> symbols;

    private ElfObject(final String name, final int machine, final ByteBuffer data, final List<Section> sections,
        final List<Symbol> symbols)
    {
        this.name = name;
        this.machine = machine;
        this.data = data;
        this.sections = sections;
        this.symbols = symbols;
    }

    /**
     * @param file an object
     * @return it, read and checked
     */
    static ElfObject read(final ObjectFile file)
    {
        final String name = file.name();
        final ByteBuffer data = ByteBuffer.wrap(file.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        final LinkSite site = LinkSite.object(name);
        if (data.capacity() < 16 || data.getInt(0) != 0x464c457f)
        {
            throw new UnsupportedObjectException("not an ELF file: length=" + data.capacity(), site);
        }
        if (data.get(4) != 2)
        {
            throw new UnsupportedObjectException("not a 64-bit ELF object: class=" + data.get(4), site);
        }
        if (data.get(5) != 1)
        {
            throw new UnsupportedObjectException("not a little-endian ELF object: data=" + data.get(5), site);
        }
        if (data.capacity() < HEADER_SIZE)
        {
            throw new MalformedObjectException("truncated ELF header: length=" + data.capacity(), site);
        }
        final int type = Short.toUnsignedInt(data.getShort(16));
        final int machine = Short.toUnsignedInt(data.getShort(18));
        if (machine != Elf.EM_X86_64 && machine != Elf.EM_AARCH64)
        {
            throw new UnsupportedObjectException("unsupported machine: e_machine=" + machine, site);
        }
        if (type != Elf.ET_REL)
        {
            throw new UnsupportedObjectException("not a relocatable object: e_type=" + type +
                (type == 2 ? " (executable)" : type == 3 ? " (shared object)" : ""), site);
        }
        final long shoff = data.getLong(40);
        final int shentsize = Short.toUnsignedInt(data.getShort(58));
        final int shnum = Short.toUnsignedInt(data.getShort(60));
        final int shstrndx = Short.toUnsignedInt(data.getShort(62));
        if (shnum == 0 || shstrndx == Elf.SHN_XINDEX)
        {
            throw new UnsupportedObjectException("extended section numbering: e_shnum=" + shnum, site);
        }
        if (shentsize != SECTION_HEADER_SIZE)
        {
            throw new MalformedObjectException("section header size: e_shentsize=" + shentsize, site);
        }
        checkRange(data, shoff, (long)shnum * SECTION_HEADER_SIZE, "section header table", site);
        if (shstrndx >= shnum)
        {
            throw new MalformedObjectException("section name table index out of range: e_shstrndx=" + shstrndx +
                " e_shnum=" + shnum, site);
        }
        final List<long[]> raw = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            final int at = (int)(shoff + (long)i * SECTION_HEADER_SIZE);
            raw.add(new long[] {
                Integer.toUnsignedLong(data.getInt(at)), Integer.toUnsignedLong(data.getInt(at + 4)),
                data.getLong(at + 8), data.getLong(at + 24), data.getLong(at + 32),
                Integer.toUnsignedLong(data.getInt(at + 40)), Integer.toUnsignedLong(data.getInt(at + 44)),
                data.getLong(at + 48), data.getLong(at + 56)});
        }
        final long[] names = raw.get(shstrndx);
        for (int i = 0; i < shnum; i++)
        {
            final long[] header = raw.get(i);
            if (header[1] != Elf.SHT_NOBITS && header[1] != Elf.SHT_NULL)
            {
                checkRange(data, header[3], header[4], "section " + i, site);
            }
            if (header[5] >= shnum)
            {
                throw new MalformedObjectException("section link out of range: section=" + i + " sh_link=" +
                    header[5], site);
            }
            if ((header[1] == Elf.SHT_RELA || header[1] == Elf.SHT_REL) && (header[6] == 0 || header[6] >= shnum))
            {
                throw new MalformedObjectException("relocated section out of range: section=" + i + " sh_info=" +
                    header[6], site);
            }
            if (header[7] != 0 && Long.bitCount(header[7]) != 1)
            {
                throw new MalformedObjectException("section alignment not a power of two: section=" + i +
                    " sh_addralign=" + header[7], site);
            }
        }
        final List<Section> sections = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            final long[] header = raw.get(i);
            final String sectionName = i == 0 ? "" : string(data, names[3], names[4], header[0],
                site.section("#" + i));
            sections.add(new Section(i, sectionName, (int)header[1], header[2], header[3], header[4], (int)header[5],
                (int)header[6], Math.max(1, header[7]), header[8]));
        }
        final List<Symbol> symbols = readSymbols(data, sections, site);
        return new ElfObject(name, machine, data, List.copyOf(sections), symbols);
    }

    /** @return the object's name */
    String name()
    {
        return name;
    }

    /** @return {@link Elf#EM_X86_64} or {@link Elf#EM_AARCH64} */
    int machine()
    {
        return machine;
    }

    /** @return every section, the null section at index 0 */
    List<Section> sections()
    {
        return sections;
    }

    /** @return the symbol table, the null symbol at index 0; empty when there is none */
    List<Symbol> symbols()
    {
        return symbols;
    }

    /** @return a site naming this object */
    LinkSite site()
    {
        return LinkSite.object(name);
    }

    /**
     * @param section a section with content in the file
     * @return a copy of its content
     */
    byte[] content(final Section section)
    {
        final byte[] bytes = new byte[(int)section.size()];
        data.get((int)section.offset(), bytes);
        return bytes;
    }

    /**
     * @param group a {@link Elf#SHT_GROUP} section
     * @return its flag word followed by its member section indices, each checked
     */
    int[] group(final Section group)
    {
        final LinkSite site = site().section(group.name());
        if (group.size() < 4 || group.size() % 4 != 0)
        {
            throw new MalformedObjectException("group section size: size=" + group.size(), site);
        }
        final int[] words = new int[(int)(group.size() / 4)];
        for (int i = 0; i < words.length; i++)
        {
            words[i] = data.getInt((int)group.offset() + 4 * i);
            if (i > 0 && (words[i] <= 0 || words[i] >= sections.size()))
            {
                throw new MalformedObjectException("group member out of range: member=" + Integer.toUnsignedString(
                    words[i]), site);
            }
        }
        return words;
    }

    /**
     * @param rela a {@link Elf#SHT_RELA} section
     * @return its relocations, with symbol indices and offsets checked against the target section
     */
    List<Relocation> relocations(final Section rela)
    {
        final LinkSite site = site().section(rela.name());
        if (rela.entrySize() != RELA_SIZE || rela.size() % RELA_SIZE != 0)
        {
            throw new MalformedObjectException("relocation entry size: sh_entsize=" + rela.entrySize() + " size=" +
                rela.size(), site);
        }
        if (rela.info() <= 0 || rela.info() >= sections.size())
        {
            throw new MalformedObjectException("relocated section out of range: sh_info=" + rela.info(), site);
        }
        final Section target = sections.get(rela.info());
        final int count = (int)(rela.size() / RELA_SIZE);
        final List<Relocation> relocations = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int at = (int)rela.offset() + i * RELA_SIZE;
            final long offset = data.getLong(at);
            final long info = data.getLong(at + 8);
            final long symbol = info >>> 32;
            if (symbol != 0 && symbol >= symbols.size())
            {
                throw new MalformedObjectException("relocation symbol out of range: symbol=" + symbol + " symbols=" +
                    symbols.size(), site.relocation("#" + i, offset));
            }
            if (offset < 0 || offset >= target.size())
            {
                throw new MalformedObjectException("relocation offset past its section: size=" + target.size(),
                    site.section(target.name()).relocation("#" + i, offset));
            }
            relocations.add(new Relocation(offset, (int)info, (int)symbol, data.getLong(at + 16)));
        }
        return relocations;
    }

    private static List<Symbol> readSymbols(final ByteBuffer data, final List<Section> sections, final LinkSite site)
    {
        Section table = null;
        for (final Section section : sections)
        {
            if (section.type() == Elf.SHT_SYMTAB_SHNDX)
            {
                throw new UnsupportedObjectException("extended symbol section indices", site.section(section.name()));
            }
            if (section.type() == Elf.SHT_SYMTAB)
            {
                if (table != null)
                {
                    throw new MalformedObjectException("more than one symbol table", site.section(section.name()));
                }
                table = section;
            }
        }
        if (table == null)
        {
            return List.of();
        }
        final LinkSite tableSite = site.section(table.name());
        if (table.entrySize() != SYMBOL_SIZE || table.size() % SYMBOL_SIZE != 0)
        {
            throw new MalformedObjectException("symbol entry size: sh_entsize=" + table.entrySize() + " size=" +
                table.size(), tableSite);
        }
        final Section strings = sections.get(table.link());
        if (strings.type() != Elf.SHT_STRTAB)
        {
            throw new MalformedObjectException("symbol table's string table is not one: sh_link=" + table.link(),
                tableSite);
        }
        final int count = (int)(table.size() / SYMBOL_SIZE);
        final List<Symbol> symbols = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int at = (int)table.offset() + i * SYMBOL_SIZE;
            final long nameOffset = Integer.toUnsignedLong(data.getInt(at));
            final int info = Byte.toUnsignedInt(data.get(at + 4));
            final int other = Byte.toUnsignedInt(data.get(at + 5));
            final int shndx = Short.toUnsignedInt(data.getShort(at + 6));
            final String symbolName = string(data, strings.offset(), strings.size(), nameOffset,
                tableSite.symbol("#" + i));
            if (shndx != Elf.SHN_UNDEF && shndx < Elf.SHN_LORESERVE && shndx >= sections.size())
            {
                throw new MalformedObjectException("symbol section index out of range: st_shndx=" + shndx,
                    tableSite.symbol(symbolName));
            }
            if (shndx >= Elf.SHN_LORESERVE && shndx != Elf.SHN_ABS && shndx != Elf.SHN_COMMON)
            {
                throw new UnsupportedObjectException("reserved symbol section index: st_shndx=0x" +
                    Integer.toHexString(shndx), tableSite.symbol(symbolName));
            }
            symbols.add(new Symbol(i, symbolName, info >>> 4, info & 0xf, other & 0x3, shndx, data.getLong(at + 8),
                data.getLong(at + 16)));
        }
        return List.copyOf(symbols);
    }

    private static String string(final ByteBuffer data, final long tableOffset, final long tableSize,
        final long offset, final LinkSite site)
    {
        if (offset < 0 || offset >= tableSize)
        {
            throw new MalformedObjectException("string offset out of range: offset=" + offset + " tableSize=" +
                tableSize, site);
        }
        final int start = (int)(tableOffset + offset);
        final int end = (int)(tableOffset + tableSize);
        int zero = start;
        while (zero < end && data.get(zero) != 0)
        {
            zero++;
        }
        if (zero == end)
        {
            throw new MalformedObjectException("string not terminated: offset=" + offset, site);
        }
        final byte[] bytes = new byte[zero - start];
        data.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void checkRange(final ByteBuffer data, final long offset, final long size, final String what,
        final LinkSite site)
    {
        if (offset < 0 || size < 0 || offset > data.capacity() || size > data.capacity() - offset)
        {
            throw new MalformedObjectException(what + " past the end of the file: offset=" + offset + " size=" + size +
                " length=" + data.capacity(), site);
        }
    }
}
