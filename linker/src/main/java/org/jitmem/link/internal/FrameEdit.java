package org.jitmem.link.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.jitmem.link.LinkSite;
import org.jitmem.link.MalformedObjectException;
import org.jitmem.link.UnsupportedObjectException;
import org.jitmem.link.internal.ElfObject.Relocation;
import org.jitmem.link.internal.ElfObject.Section;
import org.jitmem.link.internal.ElfObject.Symbol;

/**
 * An object's {@code .eh_frame} without the frame descriptions (FDEs) of code in discarded sections, as a static
 * linker writes it. Keeping them pointed at the copy that was kept would give two registered tables overlapping
 * ranges of code, which the unwinder does not expect (it searches only the first table whose range starts below a
 * PC), so exceptions thrown there would not be caught.
 *
 * @param content   the records kept, their CIE pointers corrected
 * @param newOffset for each byte of the original section, where it now is, or -1 when it was dropped
 */
record FrameEdit(byte[] content, int[] newOffset)
{
    /**
     * @param object    the object
     * @param frames    its {@code .eh_frame}
     * @param discarded which of its sections are discarded
     * @return the edited section
     */
    static FrameEdit of(final ElfObject object, final Section frames, final boolean[] discarded)
    {
        final LinkSite site = object.site().section(frames.name());
        final byte[] original = object.content(frames);
        final Map<Long, Relocation> relocations = new HashMap<>();
        for (final Section rela : object.sections())
        {
            if (rela.type() == Elf.SHT_RELA && rela.info() == frames.index())
            {
                object.relocations(rela).forEach(relocation -> relocations.put(relocation.offset(), relocation));
            }
        }
        final int[] newOffset = new int[original.length];
        Arrays.fill(newOffset, -1);
        final byte[] content = new byte[original.length];
        int kept = 0;
        int at = 0;
        while (at + 4 <= original.length)
        {
            final long length = Integer.toUnsignedLong(LittleEndian.getInt(original, at));
            if (length == 0)
            {
                break;
            }
            if (length == 0xffffffffL)
            {
                throw new UnsupportedObjectException("64-bit unwind table records", site);
            }
            if (length < 4 || length > original.length - at - 4)
            {
                throw new MalformedObjectException("unwind table record past the end of its section: offset=" + at +
                    " length=" + length, site);
            }
            final int size = 4 + (int)length;
            final int cieDistance = LittleEndian.getInt(original, at + 4);
            if (cieDistance == 0 || !describesDiscarded(object, relocations.get(at + 8L), discarded))
            {
                System.arraycopy(original, at, content, kept, size);
                for (int i = 0; i < size; i++)
                {
                    newOffset[at + i] = kept + i;
                }
                if (cieDistance != 0)
                {
                    final int cie = at + 4 - cieDistance;
                    if (cie < 0 || cie >= original.length || newOffset[cie] < 0)
                    {
                        throw new MalformedObjectException("frame description's CIE out of range: offset=" + at,
                            site);
                    }
                    LittleEndian.putInt(content, kept + 4, kept + 4 - newOffset[cie]);
                }
                kept += size;
            }
            at += size;
        }
        return new FrameEdit(Arrays.copyOf(content, kept), newOffset);
    }

    /**
     * @param offset an offset in the original section
     * @return where it now is, or -1 when it was dropped
     */
    int map(final long offset)
    {
        return offset >= 0 && offset < newOffset.length ? newOffset[(int)offset] : -1;
    }

    private static boolean describesDiscarded(final ElfObject object, final Relocation begin,
        final boolean[] discarded)
    {
        if (begin == null || begin.symbol() == 0 || begin.symbol() >= object.symbols().size())
        {
            return false;
        }
        final Symbol symbol = object.symbols().get(begin.symbol());
        return symbol.sectionIndex() > 0 && symbol.sectionIndex() < discarded.length &&
            discarded[symbol.sectionIndex()];
    }
}
