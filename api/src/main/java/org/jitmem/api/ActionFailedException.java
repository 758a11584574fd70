package org.jitmem.api;

/** A finalize or dealloc action returned a non-zero result. */
public final class ActionFailedException extends MemoryMapperException
{
    private static final long serialVersionUID = 1L;

    private final int actionIndex;
    private final long result;

    /**
     * @param operation   initialize for a finalize action, deinitialize or release for a dealloc action
     * @param actionIndex position of the action pair in the allocation
     * @param function    address of the function that failed
     * @param result      what the function returned
     */
    public ActionFailedException(final MapperOperation operation, final int actionIndex, final long function,
        final long result)
    {
        super(operation, (operation == MapperOperation.INITIALIZE ? "finalize" : "dealloc") + " action " +
            actionIndex + " failed with result " + result, function, UNKNOWN, 0, null);
        this.actionIndex = actionIndex;
        this.result = result;
    }

    /** @return position of the action pair in the allocation */
    public int actionIndex()
    {
        return actionIndex;
    }

    /** @return what the function returned */
    public long result()
    {
        return result;
    }
}
