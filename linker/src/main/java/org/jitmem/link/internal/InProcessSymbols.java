package org.jitmem.link.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.jitmem.link.SymbolLookup;
import org.jitmem.link.executor.ProcessSymbols;

/** Symbols of this very process, for executors that are this process (the in-process backend). */
public final class InProcessSymbols implements SymbolLookup
{
    @Override
    public CompletionStage<long[]> lookup(final List<String> names)
    {
        try
        {
            return CompletableFuture.completedFuture(ProcessSymbols.lookup(names));
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    @Override
    public CompletionStage<Long> open(final String path)
    {
        try
        {
            return CompletableFuture.completedFuture(ProcessSymbols.open(path));
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    @Override
    public CompletionStage<Void> shareStandardStreams()
    {
        return CompletableFuture.completedFuture(null);
    }
}
