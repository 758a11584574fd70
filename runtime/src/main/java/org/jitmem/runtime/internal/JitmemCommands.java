package org.jitmem.runtime.internal;

import java.time.Duration;

import org.jitmem.runtime.BackendSelector;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo shell commands in scope {@code jitmem}: backends, stats, pin and demo. */
@Component(service = JitmemCommands.class, property = {
    "osgi.command.scope=jitmem",
    "osgi.command.function=backends",
    "osgi.command.function=stats",
    "osgi.command.function=pin",
    "osgi.command.function=demo"})
public final class JitmemCommands
{
    private static final Duration DEMO_WAIT = Duration.ofSeconds(5);

    private final BackendSelector selector;

    /**
     * @param selector the backend selector
     */
    @Activate
    public JitmemCommands(@Reference final BackendSelector selector)
    {
        this.selector = selector;
    }

    /** @return the backends present, properties included, the selected one marked */
    public String backends()
    {
        return Report.backends(selector);
    }

    /** @return reserved, used and free bytes, reservations and allocations per mapper */
    public String stats()
    {
        return Report.statistics(selector);
    }

    /**
     * @param type a backend type, or {@code none} for the best backend present
     * @return the backends after pinning
     */
    public String pin(final String type)
    {
        selector.pin("none".equalsIgnoreCase(type) ? "" : type);
        return Report.backends(selector);
    }

    /** Runs the demo: a small JIT'd function loaded through the slab manager of the selected backend. */
    public void demo()
    {
        new Demo(System.out, selector).run(DEMO_WAIT);
    }
}
