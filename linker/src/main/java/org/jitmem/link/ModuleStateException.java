package org.jitmem.link;

/** A module used after it was unloaded, or unloaded while other modules still use its symbols. */
public final class ModuleStateException extends LinkException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what was wrong
     * @param site   where
     */
    public ModuleStateException(final String reason, final LinkSite site)
    {
        super(reason, site);
    }
}
