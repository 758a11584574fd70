package org.jitmem.link;

/**
 * Where in the objects a link error is: any part may be unknown (null, or {@link #UNKNOWN_OFFSET}).
 *
 * @param object     the object's name
 * @param section    the section's name
 * @param symbol     the symbol's name
 * @param relocation the relocation type's name, such as {@code R_X86_64_PC32}
 * @param offset     the offset in the section, or {@link #UNKNOWN_OFFSET}
 */
public record LinkSite(String object, String section, String symbol, String relocation, long offset)
{
    /** Offset not known. */
    public static final long UNKNOWN_OFFSET = -1;

    /** Nowhere in particular. */
    public static final LinkSite NONE = new LinkSite(null, null, null, null, UNKNOWN_OFFSET);

    /**
     * @param object an object's name
     * @return the object as a whole
     */
    public static LinkSite object(final String object)
    {
        return new LinkSite(object, null, null, null, UNKNOWN_OFFSET);
    }

    /**
     * @param section a section's name
     * @return this site in that section
     */
    public LinkSite section(final String section)
    {
        return new LinkSite(object, section, symbol, relocation, offset);
    }

    /**
     * @param symbol a symbol's name
     * @return this site naming that symbol
     */
    public LinkSite symbol(final String symbol)
    {
        return new LinkSite(object, section, symbol, relocation, offset);
    }

    /**
     * @param relocation a relocation type's name
     * @param offset     its offset in the section
     * @return this site at that relocation
     */
    public LinkSite relocation(final String relocation, final long offset)
    {
        return new LinkSite(object, section, symbol, relocation, offset);
    }

    /** @return the known parts as {@code key=value} words, such as {@code object=a.o section=.text} */
    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder();
        append(text, "object", object);
        append(text, "section", section);
        append(text, "symbol", symbol);
        append(text, "relocation", relocation);
        if (offset != UNKNOWN_OFFSET)
        {
            append(text, "offset", "0x" + Long.toHexString(offset));
        }
        return text.toString();
    }

    private static void append(final StringBuilder text, final String key, final String value)
    {
        if (value != null)
        {
            text.append(text.length() == 0 ? "" : " ").append(key).append('=').append(value);
        }
    }
}
