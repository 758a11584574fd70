package org.jitmem.runtime.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;

import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Completes {@code jitmem:pin}: first the types of the backends present and {@code none}, then, for a type, the
 * {@code host=} and {@code pid=} properties of its backends present (the key=value forms {@code pin} takes).
 */
@Component(service = Function.class, property = ShellCompletion.COMMANDS + "=jitmem:pin")
public final class PinCompletion implements Function<List<String>, List<String>>
{
    private final BackendSelector selector;

    /** @param selector the backend selector, whose backends present are the candidates */
    @Activate
    public PinCompletion(@Reference final BackendSelector selector)
    {
        this.selector = selector;
    }

    /**
     * @param words {@code jitmem:pin} and the arguments before the one completed
     * @return the candidates for the next argument
     */
    @Override
    public List<String> apply(final List<String> words)
    {
        final List<BackendDescription> backends = selector.backends();
        final TreeSet<String> candidates = new TreeSet<>();
        if (words.size() == 1)
        {
            backends.forEach(backend -> candidates.add(backend.type()));
            candidates.add(JitmemCommands.NONE);
        }
        else if (!words.get(1).equals(JitmemCommands.NONE))
        {
            for (final BackendDescription backend : backends)
            {
                if (backend.type().equals(words.get(1)))
                {
                    JitmemCommands.ALIASES.forEach((alias, key) ->
                    {
                        final Object value = backend.properties().get(key);
                        if (value != null)
                        {
                            candidates.add(alias + "=" + value);
                        }
                    });
                }
            }
            words.subList(2, words.size()).forEach(candidates::remove);
        }
        return new ArrayList<>(candidates);
    }
}
