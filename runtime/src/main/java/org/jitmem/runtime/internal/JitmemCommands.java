package org.jitmem.runtime.internal;

import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.Reports;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo shell commands in scope {@code jitmem}: backends, stats and pin. */
@Component(service = JitmemCommands.class, property = {
    "osgi.command.scope=jitmem",
    "osgi.command.function=backends",
    "osgi.command.function=stats",
    "osgi.command.function=pin"})
public final class JitmemCommands
{
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
        return Reports.backends(selector);
    }

    /** @return reserved, used and free bytes, reservations and allocations per mapper */
    public String stats()
    {
        return Reports.statistics(selector);
    }

    /**
     * @param type a backend type, or {@code none} for the best backend present
     * @return the backends after pinning
     */
    public String pin(final String type)
    {
        selector.pin("none".equalsIgnoreCase(type) ? "" : type);
        return Reports.backends(selector);
    }
}
