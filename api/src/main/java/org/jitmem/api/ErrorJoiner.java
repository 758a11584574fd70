package org.jitmem.api;

/**
 * Collects the failures of a batch operation that processes every item: the first failure is the one thrown, the
 * later ones are attached to it as suppressed exceptions. Not thread-safe.
 */
public final class ErrorJoiner
{
    private RuntimeException first;

    /**
     * @param error a failure of one item
     */
    public void add(final Throwable error)
    {
        final RuntimeException unchecked = error instanceof RuntimeException runtime ? runtime :
            new MemoryMapperException(MapperOperation.CHANNEL, String.valueOf(error), MemoryMapperException.UNKNOWN,
                MemoryMapperException.UNKNOWN, 0, error);
        if (first == null)
        {
            first = unchecked;
        }
        else if (first != unchecked)
        {
            first.addSuppressed(unchecked);
        }
    }

    /** @return true when no failure was added */
    public boolean isEmpty()
    {
        return first == null;
    }

    /** @return the joined failure, or null when there was none */
    public RuntimeException joined()
    {
        return first;
    }

    /** Throws the joined failure, if any. */
    public void throwIfAny()
    {
        if (first != null)
        {
            throw first;
        }
    }
}
