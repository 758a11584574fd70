package org.jitmem.link.internal;

import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;

import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Completes the linker's commands in the JLine shell: {@code jitmem:call} the global symbols of the modules loaded,
 * {@code jitmem:load} file paths (completed by the shell itself). The runtime bundle's shell completion asks every
 * {@link Function} service with {@code jitmem.completion.command}, given the command and the words before the one
 * completed.
 */
@Component(service = Function.class, property = {
    "jitmem.completion.command=jitmem:call",
    "jitmem.completion.files=jitmem:load"})
public final class LinkCompletion implements Function<List<String>, List<String>>
{
    private static final String CALL = "jitmem:call";

    private final Linker linker;

    /** @param linker the linker service, whose loaded modules give the symbols */
    @Activate
    public LinkCompletion(@Reference final Linker linker)
    {
        this.linker = linker;
    }

    /**
     * @param words the command and the arguments before the one completed
     * @return the symbols for the first argument of {@code call}, nothing otherwise
     */
    @Override
    public List<String> apply(final List<String> words)
    {
        if (words.size() != 1 || !words.get(0).equals(CALL))
        {
            return List.of();
        }
        final TreeSet<String> symbols = new TreeSet<>();
        for (final LoadedModule module : linker.modules())
        {
            symbols.addAll(module.symbols().keySet());
        }
        return List.copyOf(symbols);
    }
}
