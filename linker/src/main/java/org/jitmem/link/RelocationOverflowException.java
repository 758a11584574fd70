package org.jitmem.link;

/** A relocated value does not fit its field (or is misaligned for it). */
public final class RelocationOverflowException extends LinkException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what was wrong
     * @param site   where
     */
    public RelocationOverflowException(final String reason, final LinkSite site)
    {
        super(reason, site);
    }
}
