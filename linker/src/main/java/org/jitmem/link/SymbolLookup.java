package org.jitmem.link;

import java.util.List;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Finds symbols in the executor process itself (its libraries), as {@code dlsym} and {@code dlopen} do there, and
 * connects its standard streams to this process's.
 */
@ProviderType
public interface SymbolLookup
{
    /**
     * @param names symbol names, looked up together (one round trip for a cross-process executor)
     * @return each name's address in the executor, 0 where not found, in the order of the names
     */
    CompletionStage<long[]> lookup(List<String> names);

    /**
     * Loads a shared library into the executor, so that later lookups find its symbols.
     *
     * @param path a path, or a file name the executor's dynamic linker searches for
     * @return the library's handle
     */
    CompletionStage<Long> open(String path);

    /**
     * Points the executor's standard output and error where this process writes its own, so that what loaded code
     * prints appears there; nothing to do when the executor is this process.
     *
     * @return completes once done
     */
    CompletionStage<Void> shareStandardStreams();
}
