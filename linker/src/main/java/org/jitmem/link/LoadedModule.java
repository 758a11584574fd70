package org.jitmem.link;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.ExecutorAddress;
import org.osgi.annotation.versioning.ProviderType;

/** Objects loaded together into executor memory: finalized, callable, unloaded as a whole. Thread-safe. */
@ProviderType
public interface LoadedModule
{
    /** @return the name given at load */
    String name();

    /** @return the global symbols the module defines (hidden ones included), by name */
    Map<String, ExecutorAddress> symbols();

    /**
     * @param name a symbol the module defines
     * @return its executor address
     */
    Optional<ExecutorAddress> lookup(String name);

    /**
     * Calls {@code int64_t fn(const void *arg, size_t len)} defined by the module.
     *
     * @param symbol   the function
     * @param argument the argument block, copied into the executor
     * @return what it returned
     */
    CompletionStage<Long> call(String symbol, byte[] argument);

    /**
     * Runs {@code int main(int argc, char **argv)} defined by the module, with {@code argv[0]} the module's name,
     * then flushes the executor's C standard streams (the executor lives on, so nothing else would).
     *
     * @param arguments {@code argv[1..]}
     * @return what main returned
     */
    CompletionStage<Integer> runMain(List<String> arguments);

    /** @return true until {@link #unload} has started */
    boolean isLoaded();

    /**
     * Refuses new calls, waits for the calls running, then runs the destructors, deregisters unwind tables and
     * gives the memory back. Refused with {@link ModuleStateException} while modules loaded later still resolve
     * symbols against this one.
     *
     * @return completes once the memory is back
     */
    CompletionStage<Void> unload();
}
