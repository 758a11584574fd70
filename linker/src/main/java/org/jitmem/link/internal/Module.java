package org.jitmem.link.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.ExecutorAddress;
import org.jitmem.link.LinkSite;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.ModuleStateException;
import org.jitmem.runtime.slab.FinalizedAllocation;

/** A loaded module: its image, its allocation and the modules it resolved against. */
final class Module implements LoadedModule
{
    final LinkImage image;
    /** Modules loaded later that resolve against this one; guarded by the linker's lock. */
    int users;

    private final ObjectLinker linker;
    private final String name;
    private final FinalizedAllocation allocation;
    private final Set<Module> uses;
    private final Map<String, ExecutorAddress> symbols;
    private boolean unloading;
    private int activeCalls;
    private CompletableFuture<Void> callsEnded;

    Module(final ObjectLinker linker, final String name, final LinkImage image, final FinalizedAllocation allocation,
        final Set<Module> uses)
    {
        this.linker = linker;
        this.name = name;
        this.image = image;
        this.allocation = allocation;
        this.uses = uses;
        final Map<String, ExecutorAddress> addresses = new LinkedHashMap<>();
        image.symbols().forEach((symbol, address) -> addresses.put(symbol, ExecutorAddress.of(address)));
        this.symbols = Map.copyOf(addresses);
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public Map<String, ExecutorAddress> symbols()
    {
        return symbols;
    }

    @Override
    public Optional<ExecutorAddress> lookup(final String symbol)
    {
        return Optional.ofNullable(symbols.get(symbol));
    }

    @Override
    public CompletionStage<Long> call(final String symbol, final byte[] argument)
    {
        final ExecutorAddress function = symbols.get(symbol);
        if (function == null)
        {
            return CompletableFuture.failedFuture(notCallable(symbol));
        }
        return tracked(symbol, () -> allocation.call(function, argument));
    }

    @Override
    public CompletionStage<Integer> runMain(final List<String> arguments)
    {
        final ExecutorAddress main = symbols.get("main");
        if (main == null)
        {
            return CompletableFuture.failedFuture(notCallable("main"));
        }
        final List<String> argv = new ArrayList<>(arguments.size() + 1);
        argv.add(name);
        argv.addAll(arguments);
        return tracked("main", () -> linker.allocateArguments(argv).thenCompose(block -> finallyRun(allocation.call(
            ExecutorAddress.of(image.intTrampoline()), ObjectLinker.arguments(main.value(), argv.size(),
            block.segmentAddress(0).value())).thenCompose(status -> flushStandardStreams().thenApply(ignored ->
            (int)(long)status)), block::deallocate)));
    }

    @Override
    public synchronized boolean isLoaded()
    {
        return !unloading;
    }

    @Override
    public CompletionStage<Void> unload()
    {
        synchronized (this)
        {
            if (unloading)
            {
                return CompletableFuture.failedFuture(new ModuleStateException("module already unloaded: module=" +
                    name, LinkSite.NONE));
            }
            unloading = true;
        }
        final String refused = linker.withdraw(this);
        final CompletableFuture<Void> quiet;
        synchronized (this)
        {
            if (refused != null)
            {
                unloading = false;
                return CompletableFuture.failedFuture(new ModuleStateException(refused + ": module=" + name,
                    LinkSite.NONE));
            }
            callsEnded = new CompletableFuture<>();
            quiet = callsEnded;
            if (activeCalls == 0)
            {
                quiet.complete(null);
            }
        }
        return quiet.thenCompose(ignored -> allocation.deallocate()).whenComplete((ignored, error) ->
            linker.release(uses));
    }

    /**
     * Runs a call into the module's code unless it is unloading; an unload waits for the calls already running,
     * since the code must not lose its protections under them.
     */
    private <T> CompletionStage<T> tracked(final String symbol,
        final java.util.function.Supplier<CompletionStage<T>> call)
    {
        synchronized (this)
        {
            if (unloading)
            {
                return CompletableFuture.failedFuture(notCallable(symbol));
            }
            activeCalls++;
        }
        CompletionStage<T> started;
        try
        {
            started = call.get();
        }
        catch (final RuntimeException ex)
        {
            started = CompletableFuture.failedFuture(ex);
        }
        return finallyRun(started, () ->
        {
            final CompletableFuture<Void> ended;
            synchronized (this)
            {
                activeCalls--;
                ended = activeCalls == 0 ? callsEnded : null;
            }
            if (ended != null)
            {
                ended.complete(null);
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /**
     * Flushes the executor's C standard streams, as returning from main into {@code exit} would: the executor lives
     * on, so what main printed would otherwise wait in its buffers.
     */
    private CompletionStage<Long> flushStandardStreams()
    {
        return linker.executorSymbols().lookup(List.of("fflush")).thenCompose(found -> found[0] == 0 ?
            CompletableFuture.completedFuture(0L) : allocation.call(ExecutorAddress.of(image.voidTrampoline()),
            ObjectLinker.arguments(found[0], 0)));
    }

    /** @return the stage's outcome once {@code cleanup} has run after it, whatever the outcome; failures joined */
    private static <T> CompletionStage<T> finallyRun(final CompletionStage<T> stage,
        final java.util.function.Supplier<CompletionStage<Void>> cleanup)
    {
        return stage.handle((value, error) -> cleanup.get().handle((ignored, cleanupError) ->
        {
            if (error != null)
            {
                if (cleanupError != null)
                {
                    error.addSuppressed(cleanupError);
                }
                throw error instanceof CompletionException completion ? completion : new CompletionException(error);
            }
            if (cleanupError != null)
            {
                throw cleanupError instanceof CompletionException completion ? completion :
                    new CompletionException(cleanupError);
            }
            return value;
        })).thenCompose(inner -> inner);
    }

    private ModuleStateException notCallable(final String symbol)
    {
        return new ModuleStateException(isLoaded() ? "module defines no such function: module=" + name :
            "module is unloaded: module=" + name, LinkSite.NONE.symbol(symbol));
    }

    @Override
    public String toString()
    {
        return "LoadedModule(" + name + ", " + allocation.range() + ")";
    }
}
