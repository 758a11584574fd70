package org.jitmem.api;

/** The operation an error happened in. */
public enum MapperOperation
{
    /** Reserving address space. */
    RESERVE,
    /** Getting working memory. */
    PREPARE,
    /** Applying protections and running finalize actions. */
    INITIALIZE,
    /** Running dealloc actions and resetting protections. */
    DEINITIALIZE,
    /** Unmapping reservations. */
    RELEASE,
    /** Calling a function in the executor. */
    CALL,
    /** Talking to the executor. */
    CHANNEL;

    /** @return the name as it appears in messages */
    public String label()
    {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
