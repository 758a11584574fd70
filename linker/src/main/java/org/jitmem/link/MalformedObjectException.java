package org.jitmem.link;

/**
 * The object's bytes are not a well-formed ELF relocatable object: an offset, size or index out of
 * range, a truncated table.
 */
public final class MalformedObjectException extends LinkException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what was wrong
     * @param site   where
     */
    public MalformedObjectException(final String reason, final LinkSite site)
    {
        super(reason, site);
    }
}
