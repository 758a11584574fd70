package org.jitmem.link;

/**
 * A well-formed object the linker does not handle: another class, byte order, machine or file type,
 * thread-local storage, a relocation type it does not know.
 */
public final class UnsupportedObjectException extends LinkException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what was wrong
     * @param site   where
     */
    public UnsupportedObjectException(final String reason, final LinkSite site)
    {
        super(reason, site);
    }
}
