package org.jitmem.launcher.internal;

import java.util.List;
import java.util.function.Function;

import org.osgi.service.component.annotations.Component;

/**
 * Completes {@code jitmem:executor} in the JLine shell: its actions. The runtime bundle's shell completion asks every
 * {@link Function} service with {@code jitmem.completion.command}, given the command and the words before the one
 * completed.
 */
@Component(service = Function.class, property = "jitmem.completion.command=jitmem:executor")
public final class ExecutorCompletion implements Function<List<String>, List<String>>
{
    private static final List<String> ACTIONS = List.of("start", "stop");

    /**
     * @param words {@code jitmem:executor} and the arguments before the one completed
     * @return the actions for the first argument, nothing after it
     */
    @Override
    public List<String> apply(final List<String> words)
    {
        return words.size() == 1 ? ACTIONS : List.of();
    }
}
