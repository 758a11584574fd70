package org.jitmem.runtime.internal;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
    static final String PIN_USAGE = "usage: jitmem:pin <type> [key=value...]|none";

    /** Short names of the service properties that say where a mapper's executor is. */
    static final Map<String, String> ALIASES = Collections.unmodifiableMap(new TreeMap<>(Map.of("host",
        MapperProperties.HOST, "pid", MapperProperties.EXECUTOR_PID)));

    /** Types a backend of this project may register with; others are valid while a backend of theirs is present. */
    private static final List<String> KNOWN_TYPES =
        List.of(MapperProperties.TYPE_INPROCESS, MapperProperties.TYPE_POSIX_SHM, MapperProperties.TYPE_REMOTE);

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
        return PIN_USAGE + "\n  types: " + String.join(", ", validTypes()) + ", " + NONE + "\n  properties: " +
            String.join(", ", ALIASES.keySet()) + ", or any service property name\n" + Reports.backends(selector);
    }

    /**
     * @param type a backend type, or {@code none} for the best backend present
     * @return the backends after pinning, or why the type was refused
     */
    @Descriptor("selects the backend of a type for new allocations, or the best one present again")
    public String pin(@Descriptor("a backend type (see 'jitmem:backends'), or none for the best one present")
        final String type)
    {
        return pin(new String[] {type});
    }

    /**
     * @param arguments a backend type and {@code key=value} service properties the mapper must have, or
     *                  {@code none}
     * @return the backends after pinning, or why the arguments were refused
     */
    @Descriptor("selects the backend of a type for new allocations, among several of that type the one whose " +
        "key=value properties match; none goes back to the best one present")
    public String pin(@Descriptor("a backend type, then key=value properties (host, pid or a service property " +
        "name); or none") final String... arguments)
    {
        if (arguments.length == 0)
        {
            return pin();
        }
        final String type = arguments[0];
        if (NONE.equals(type) && arguments.length == 1)
        {
            selector.pin("");
            return Reports.backends(selector);
        }
        final TreeSet<String> valid = validTypes();
        if (!valid.contains(type))
        {
            return "unknown backend type: " + type + "\n  valid: " + String.join(", ", valid) + ", " + NONE + "\n";
        }
        final StringBuilder filter = new StringBuilder();
        for (int i = 1; i < arguments.length; i++)
        {
            final int equals = arguments[i].indexOf('=');
            if (equals <= 0)
            {
                return "not a key=value property: " + arguments[i] + "\n" + PIN_USAGE + "\n";
            }
            final String key = ALIASES.getOrDefault(arguments[i].substring(0, equals), arguments[i].substring(0,
                equals));
            filter.append('(').append(key).append('=').append(escape(arguments[i].substring(equals + 1))).append(')');
        }
        final String pinned = arguments.length > 2 ? "(&" + filter + ")" : filter.toString();
        if (arguments.length > 1 && selector.backends().stream().noneMatch(backend -> backend.type().equals(type) &&
            MapperSelector.filter(pinned).matches(backend.properties())))
        {
            return "no " + type + " backend has " + String.join(" ", List.of(arguments).subList(1,
                arguments.length)) + "\n  present:\n" + Reports.backends(selector);
        }
        selector.pin(type, pinned);
        return Reports.backends(selector);
    }

    /** @return a value as an LDAP filter takes it literally */
    private static String escape(final String value)
    {
        return value.replaceAll("([\\\\*()])", "\\\\$1");
    }

    private TreeSet<String> validTypes()
    {
        final TreeSet<String> valid = new TreeSet<>(KNOWN_TYPES);
        selector.backends().stream().map(BackendDescription::type).forEach(valid::add);
        return valid;
    }
}
