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
import java.util.concurrent.atomic.AtomicBoolean;

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
    private final AtomicBoolean unloading = new AtomicBoolean();

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
        if (function == null || unloading.get())
        {
            return CompletableFuture.failedFuture(notCallable(symbol));
        }
        return allocation.call(function, argument);
    }

    @Override
    public CompletionStage<Integer> runMain(final List<String> arguments)
    {
        final ExecutorAddress main = symbols.get("main");
        if (main == null || unloading.get())
        {
            return CompletableFuture.failedFuture(notCallable("main"));
        }
        final List<String> argv = new ArrayList<>(arguments.size() + 1);
        argv.add(name);
        argv.addAll(arguments);
        return linker.allocateArguments(argv).thenCompose(block -> finallyRun(allocation.call(
            ExecutorAddress.of(image.intTrampoline()), ObjectLinker.arguments(main.value(), argv.size(),
            block.segmentAddress(0).value())).thenCompose(status -> flushStandardStreams().thenApply(ignored ->
            (int)(long)status)), block::deallocate));
    }

    @Override
    public boolean isLoaded()
    {
        return !unloading.get();
    }

    @Override
    public CompletionStage<Void> unload()
    {
        if (unloading.get())
        {
            return CompletableFuture.failedFuture(new ModuleStateException("module already unloaded",
                LinkSite.NONE.symbol(null)));
        }
        final String refused = linker.withdraw(this);
        if (refused != null)
        {
            return CompletableFuture.failedFuture(new ModuleStateException(refused + ": module=" + name,
                LinkSite.NONE));
        }
        unloading.set(true);
        return allocation.deallocate().whenComplete((ignored, error) -> linker.release(uses));
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
        return new ModuleStateException(unloading.get() ? "module is unloaded: module=" + name :
            "module defines no such function: module=" + name, LinkSite.NONE.symbol(symbol));
    }

    @Override
    public String toString()
    {
        return "LoadedModule(" + name + ", " + allocation.range() + ")";
    }
}
