package org.jitmem.link;

/** Two strong definitions of one symbol, in one load or against a module already loaded. */
public final class DuplicateSymbolException extends LinkException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what was wrong
     * @param site   where
     */
    public DuplicateSymbolException(final String reason, final LinkSite site)
    {
        super(reason, site);
    }
}
