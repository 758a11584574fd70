package org.jitmem.runtime.internal;

import java.util.List;
import java.util.Locale;

import org.jitmem.api.MemoryUsage;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabStatistics;

/** Text for people: the backends present and the memory statistics, as the shell commands and the demo print them. */
final class Report
{
    private Report()
    {
    }

    /**
     * @param selector the backend selector
     * @return one line per backend, the selected one marked with {@code *}
     */
    static String backends(final BackendSelector selector)
    {
        final List<BackendDescription> backends = selector.backends();
        final StringBuilder text = new StringBuilder();
        text.append("pinned: ").append(selector.pinnedType().isEmpty() ? "none (best backend)" : selector.pinnedType())
            .append('\n');
        if (backends.isEmpty())
        {
            return text.append("no memory mapper present\n").toString();
        }
        for (final BackendDescription backend : backends)
        {
            text.append(String.format(Locale.ROOT, "%s %-13s service.id=%d ranking=%d pageSize=%d crossProcess=%b " +
                    "executorPid=%d%n", backend.selected() ? "*" : " ", backend.type(), backend.serviceId(),
                backend.ranking(), backend.pageSize(), backend.crossProcess(), backend.executorPid()));
        }
        if (backends.stream().noneMatch(BackendDescription::selected))
        {
            text.append("no backend of the pinned type is present\n");
        }
        return text.toString();
    }

    /**
     * @param status the executor launcher's status
     * @return the executor's state: pid, socket, uptime, whether it is alive, and how the previous one ended
     */
    static String executor(final ExecutorStatus status)
    {
        final StringBuilder text = new StringBuilder();
        text.append("executor: ").append(status.phase()).append('\n');
        if (status.pid() > 0)
        {
            text.append(String.format(Locale.ROOT,
                "  pid       %d%n  socket    %s%n  uptime    %.1f s%n  alive     %b%n", status.pid(), status.socket(),
                status.uptime().toMillis() / 1_000.0, status.alive()));
        }
        if (!status.detail().equals(status.lastExit()))
        {
            text.append("  detail    ").append(status.detail()).append('\n');
        }
        text.append("  last exit ").append(status.lastExit().isEmpty() ? "none" : status.lastExit()).append('\n');
        if (status.restarts() > 0)
        {
            text.append("  restarts  ").append(status.restarts()).append('\n');
        }
        return text.toString();
    }

    /**
     * @param selector the backend selector
     * @return one block per mapper's slab memory manager
     */
    static String statistics(final BackendSelector selector)
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
    static String statistics(final SlabStatistics stats)
    {
        return String.format(Locale.ROOT, "%s (page %d bytes)%n  reserved %,d bytes in %d reservation(s)%n" +
                "  used     %,d bytes in %d allocation(s)%s%n  free     %,d bytes%n", stats.mapperType(),
            stats.pageSize(), stats.reservedBytes(), stats.reservations(), stats.usedBytes(), stats.allocations(),
            stats.burnedBytes() == 0 ? "" : String.format(Locale.ROOT, " (%,d bytes withheld)", stats.burnedBytes()),
            stats.freeBytes());
    }
}
