package org.jitmem.link.internal;

import org.jitmem.link.LinkSite;
import org.jitmem.link.MalformedObjectException;
import org.jitmem.link.RelocationOverflowException;

/**
 * One relocation to apply, with every address it may need already known.
 *
 * @param content  the content of the segment the relocated section lies in
 * @param at       where the relocated field starts in {@code content}
 * @param end      where the relocated section ends in {@code content}
 * @param place    the field's executor address (P)
 * @param symbol   the symbol's value (S)
 * @param addend   the addend (A)
 * @param size     the symbol's size (Z)
 * @param gotEntry the address of the symbol's GOT entry, 0 when it has none
 * @param gotBase  the address of the GOT (the value of {@code _GLOBAL_OFFSET_TABLE_})
 * @param stub     the address of the symbol's call stub, 0 when it has none
 * @param site     where the relocation is, for errors
 */
record Fixup(byte[] content, int at, int end, long place, long symbol, long addend, long size, long gotEntry,
    long gotBase, long stub, LinkSite site)
{
    void checkRoom(final int width)
    {
        if (at < 0 || at > end - width || end > content.length)
        {
            throw new MalformedObjectException("relocated field past the end of its section: width=" + width, site);
        }
    }

    long signed(final long value, final int bits)
    {
        if (value < -(1L << (bits - 1)) || value >= (1L << (bits - 1)))
        {
            throw overflow(value, "signed " + bits + "-bit");
        }
        return value;
    }

    long unsigned(final long value, final int bits)
    {
        if (value < 0 || value >= (1L << bits))
        {
            throw overflow(value, "unsigned " + bits + "-bit");
        }
        return value;
    }

    RelocationOverflowException overflow(final long value, final String field)
    {
        return new RelocationOverflowException("value does not fit a " + field + " field: value=0x" +
            Long.toHexString(value), site);
    }

    void put8(final long value)
    {
        checkRoom(1);
        content[at] = (byte)value;
    }

    void put16(final long value)
    {
        checkRoom(2);
        content[at] = (byte)value;
        content[at + 1] = (byte)(value >>> 8);
    }

    void put32(final long value)
    {
        checkRoom(4);
        LittleEndian.putInt(content, at, (int)value);
    }

    void put64(final long value)
    {
        checkRoom(8);
        LittleEndian.putLong(content, at, value);
    }

    int get32()
    {
        checkRoom(4);
        return LittleEndian.getInt(content, at);
    }
}
