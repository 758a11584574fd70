package org.jitmem.runtime.internal;

import java.util.List;
import java.util.TreeSet;

import org.apache.felix.service.command.Descriptor;
import org.jitmem.api.MapperProperties;
import org.jitmem.runtime.BackendDescription;
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
    /** What {@code pin} takes to go back to the best backend present. */
    static final String NONE = "none";
    static final String PIN_USAGE = "usage: jitmem:pin <type>|none";

    /** Types a backend of this project may register with; others are valid while a backend of theirs is present. */
    private static final List<String> KNOWN_TYPES =
        List.of(MapperProperties.TYPE_INPROCESS, MapperProperties.TYPE_POSIX_SHM);

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
    @Descriptor("lists the memory mappers present with their properties; the selected one is marked with *")
    public String backends()
    {
        return Reports.backends(selector);
    }

    /** @return reserved, used and free bytes, reservations and allocations per mapper */
    @Descriptor("shows reserved, used and free bytes, reservations and allocations of each backend's slab manager")
    public String stats()
    {
        return Reports.statistics(selector);
    }

    /** @return the usage, the valid types and the current pin */
    @Descriptor("shows which backend types can be pinned and the current pin")
    public String pin()
    {
        return PIN_USAGE + "\n  types: " + String.join(", ", validTypes()) + ", " + NONE + "\n" +
            Reports.backends(selector);
    }

    /**
     * @param type a backend type, or {@code none} for the best backend present
     * @return the backends after pinning, or why the type was refused
     */
    @Descriptor("selects the backend of a type for new allocations, or the best one present again")
    public String pin(@Descriptor("a backend type (see 'jitmem:backends'), or none for the best one present")
        final String type)
    {
        if (NONE.equals(type))
        {
            selector.pin("");
            return Reports.backends(selector);
        }
        final TreeSet<String> valid = validTypes();
        if (!valid.contains(type))
        {
            return "unknown backend type: " + type + "\n  valid: " + String.join(", ", valid) + ", " + NONE + "\n";
        }
        selector.pin(type);
        return Reports.backends(selector);
    }

    /**
     * @param arguments more than one argument
     * @return the usage
     */
    @Descriptor("selects the backend of a type; takes one argument")
    public String pin(@Descriptor("one backend type, or none") final String... arguments)
    {
        return arguments.length == 1 ? pin(arguments[0]) : arguments.length == 0 ? pin() :
            "jitmem:pin takes one argument, got " + arguments.length + "\n" + PIN_USAGE + "\n";
    }

    private TreeSet<String> validTypes()
    {
        final TreeSet<String> valid = new TreeSet<>(KNOWN_TYPES);
        selector.backends().stream().map(BackendDescription::type).forEach(valid::add);
        return valid;
    }
}
