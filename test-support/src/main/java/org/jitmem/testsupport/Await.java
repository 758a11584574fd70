package org.jitmem.testsupport;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;

/** Bounded waits for what happens asynchronously in a framework: a condition, a backend being selected. */
public final class Await
{
    /** Generous bound for anything asynchronous in the framework: service registration, bundle stop. */
    public static final long TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(30);

    private Await()
    {
    }

    /**
     * Polls a condition until it holds.
     *
     * @param what      the condition, in words
     * @param condition polled every few milliseconds
     * @throws AssertionError when it does not hold within {@link #TIMEOUT_MILLIS}, or the wait is interrupted
     */
    public static void awaitTrue(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + TIMEOUT_MILLIS + " ms: " + what);
            }
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, ex);
            }
        }
    }

    /**
     * @param selector the backend selector
     * @param type     a backend type
     * @return the manager of the backend of {@code type} once the selector has selected it
     * @throws AssertionError when it is not selected within {@link #TIMEOUT_MILLIS}
     */
    public static SlabMemoryManager awaitSelected(final BackendSelector selector, final String type)
    {
        final Supplier<Optional<SlabMemoryManager>> selected = () -> selector.selected()
            .filter(manager -> type.equals(manager.mapper().type()));
        awaitTrue(type + " is selected", () -> selected.get().isPresent());
        return selected.get().orElseThrow();
    }
}
