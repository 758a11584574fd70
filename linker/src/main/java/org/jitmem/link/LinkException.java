package org.jitmem.link;

import java.util.Objects;

/**
 * A failed load, lookup, call or unload. The message reads {@code link: reason: object=... section=... symbol=...
 * relocation=... offset=0x...}, leaving out what is unknown. A failed load leaves nothing allocated. Memory and
 * executor failures underneath arrive as the API's {@code MemoryMapperException}s, as they are.
 */
public class LinkException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String reason;
    private final transient LinkSite site;

    /**
     * @param reason what was wrong
     * @param site   where
     * @param cause  the cause, or null
     */
    public LinkException(final String reason, final LinkSite site, final Throwable cause)
    {
        super(format(reason, site), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.site = Objects.requireNonNull(site, "site");
    }

    /**
     * @param reason what was wrong
     * @param site   where
     */
    public LinkException(final String reason, final LinkSite site)
    {
        this(reason, site, null);
    }

    /** @return what was wrong, without the site */
    public String reason()
    {
        return reason;
    }

    /** @return where it was wrong */
    public LinkSite site()
    {
        return site;
    }

    private static String format(final String reason, final LinkSite site)
    {
        final String where = site.toString();
        return "link: " + reason + (where.isEmpty() ? "" : ": " + where);
    }
}
