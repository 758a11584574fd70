package org.jitmem.runtime;

import java.util.List;
import java.util.Locale;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryUsage;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabStatistics;

/** Text for people: the backends present and the memory statistics, as the shell commands and the demo print them. */
public final class Reports
{
    private Reports()
    {
    }

    /**
     * @param selector the backend selector
     * @return one line per backend, the selected one marked with {@code *}
     */
    public static String backends(final BackendSelector selector)
    {
        final List<BackendDescription> backends = selector.backends();
        final StringBuilder text = new StringBuilder();
        text.append("pinned: ").append(selector.pinnedType().isEmpty() && selector.pinnedFilter().isEmpty() ?
            "none (best backend)" : (selector.pinnedType() + " " + selector.pinnedFilter()).trim()).append('\n');
        if (backends.isEmpty())
        {
            return text.append("no memory mapper present\n").toString();
        }
        for (final BackendDescription backend : backends)
        {
            final Object host = backend.properties().get(MapperProperties.HOST);
            text.append(String.format(Locale.ROOT, "%s %-13s service.id=%d ranking=%d pageSize=%d crossProcess=%b " +
                    "executorPid=%d%s%n", backend.selected() ? "*" : " ", backend.type(), backend.serviceId(),
                backend.ranking(), backend.pageSize(), backend.crossProcess(), backend.executorPid(),
                host == null ? "" : " host=" + host));
        }
        if (backends.stream().noneMatch(BackendDescription::selected))
        {
            text.append(selector.pinnedFilter().isEmpty() ? "no backend of the pinned type is present\n" :
                "no backend of the pinned type matches the pinned filter\n");
        }
        return text.toString();
    }

    /**
     * @param selector the backend selector
     * @return one block per mapper's slab memory manager
     */
    public static String statistics(final BackendSelector selector)
    {
        final List<SlabMemoryManager> managers = selector.managers();
        if (managers.isEmpty())
        {
            return "no memory mapper present\n";
        }
        final StringBuilder text = new StringBuilder();
        for (final SlabMemoryManager manager : managers)
        {
            text.append(statistics(manager.statistics()));
            manager.mapper().memoryUsage().ifPresent(usage -> text.append(usage(usage)));
        }
        return text.toString();
    }

    /**
     * @param usage what a mapper holds of its executor's memory
     * @return the reserved and committed bytes against their limits, as two aligned lines
     */
    static String usage(final MemoryUsage usage)
    {
        return String.format(Locale.ROOT, "  executor reserved  %,d of %,d bytes%n  executor committed %,d of %,d " +
            "bytes%n", usage.reservedBytes(), usage.reservedLimit(), usage.committedBytes(), usage.committedLimit());
    }

    /**
     * @param stats one manager's statistics
     * @return them as an aligned block
     */
    public static String statistics(final SlabStatistics stats)
    {
        return String.format(Locale.ROOT, "%s (page %d bytes)%n  reserved %,d bytes in %d reservation(s)%n" +
                "  used     %,d bytes in %d allocation(s)%s%n  free     %,d bytes%n", stats.mapperType(),
            stats.pageSize(), stats.reservedBytes(), stats.reservations(), stats.usedBytes(), stats.allocations(),
            stats.burnedBytes() == 0 ? "" : String.format(Locale.ROOT, " (%,d bytes withheld)", stats.burnedBytes()),
            stats.freeBytes());
    }
}
