package org.jitmem.link;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.ExecutorAddress;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Links relocatable objects into one executor's memory. Undefined symbols are resolved in this order: the objects
 * of the same load, the symbols exported by modules this linker has loaded, the caller's map, then the executor
 * process itself. Thread-safe; no lock is held while the executor or the memory manager is called.
 */
@ProviderType
public interface Linker
{
    /**
     * Loads objects together: lays them out by protection, resolves their symbols, relocates them, then finalizes
     * (constructors run, unwind tables registered). Fails with a {@link LinkException} (naming every missing symbol
     * at once) or the memory manager's failure, leaving nothing allocated.
     *
     * @param name    the module's name
     * @param objects the objects
     * @param symbols addresses the caller supplies for names no loaded object defines
     * @return the loaded module
     */
    CompletionStage<LoadedModule> load(String name, List<ObjectFile> objects, Map<String, ExecutorAddress> symbols);

    /**
     * Loads a shared library into the executor; later loads resolve against its symbols.
     *
     * @param path a path or a file name
     * @return completes once loaded
     */
    CompletionStage<Void> loadLibrary(String path);

    /**
     * Makes what loaded code prints in the executor appear where this process's standard output and error go.
     *
     * @return completes once done
     */
    CompletionStage<Void> shareStandardStreams();

    /** @return the modules loaded and not unloaded, in load order */
    List<LoadedModule> modules();

    /**
     * @param name a symbol name
     * @return its address in the first loaded module that exports it
     */
    java.util.Optional<ExecutorAddress> lookup(String name);
}
