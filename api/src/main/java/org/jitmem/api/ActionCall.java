package org.jitmem.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * A call of a native function in the executor with the C signature {@code int64_t fn(const void *arg, size_t len)};
 * a result of 0 means success, anything else is an error code. The argument block is copied into the executor.
 */
public final class ActionCall
{
    /** The empty call: skipped wherever it appears. */
    public static final ActionCall NONE = new ActionCall(ExecutorAddress.NULL, new byte[0]);

    private final ExecutorAddress function;
    private final byte[] argument;

    private ActionCall(final ExecutorAddress function, final byte[] argument)
    {
        this.function = function;
        this.argument = argument;
    }

    /**
     * @param function address of the function in the executor
     * @param argument argument block, copied
     * @return the call
     */
    public static ActionCall of(final ExecutorAddress function, final byte[] argument)
    {
        Objects.requireNonNull(function, "function");
        if (function.isNull())
        {
            throw new IllegalArgumentException("action function address is null; use ActionCall.NONE for no call");
        }
        return new ActionCall(function, argument.clone());
    }

    /**
     * @param function address of the function in the executor
     * @return a call with an empty argument block
     */
    public static ActionCall of(final ExecutorAddress function)
    {
        return of(function, new byte[0]);
    }

    /** @return the function address, null for {@link #NONE} */
    public ExecutorAddress function()
    {
        return function;
    }

    /** @return a copy of the argument block */
    public byte[] argument()
    {
        return argument.clone();
    }

    /** @return length of the argument block */
    public int argumentLength()
    {
        return argument.length;
    }

    /** @return true for the empty call */
    public boolean isNone()
    {
        return function.isNull();
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof ActionCall other && function.equals(other.function) &&
            Arrays.equals(argument, other.argument);
    }

    @Override
    public int hashCode()
    {
        return 31 * function.hashCode() + Arrays.hashCode(argument);
    }

    @Override
    public String toString()
    {
        return isNone() ? "none" : "call(" + function + ", argLength=" + argument.length + ")";
    }
}
