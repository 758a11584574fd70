package org.jitmem.api;

import java.util.Objects;

/**
 * A finalize call run by initialize and the dealloc call that undoes it, run by deinitialize. Either may be
 * {@link ActionCall#NONE}.
 *
 * @param finalizeCall run by initialize, in order
 * @param deallocCall  run by deinitialize, in reverse order
 */
public record ActionPair(ActionCall finalizeCall, ActionCall deallocCall)
{
    /**
     * @param finalizeCall finalize call
     * @param deallocCall  dealloc call
     */
    public ActionPair
    {
        Objects.requireNonNull(finalizeCall, "finalizeCall");
        Objects.requireNonNull(deallocCall, "deallocCall");
    }
}
