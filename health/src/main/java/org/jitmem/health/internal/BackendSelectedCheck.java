package org.jitmem.health.internal;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** OK when the runtime has a backend selected for new allocations; CRITICAL when none qualifies, naming the pin. */
@Component(service = HealthCheck.class, property = {
    HealthCheck.NAME + "=jitmem backend selected",
    HealthCheck.TAGS + "=jitmem",
    HealthCheck.MBEAN_NAME + "=jitmemBackendSelected"})
public final class BackendSelectedCheck implements HealthCheck
{
    private final BackendSelector selector;

    /**
     * @param selector the backend selector
     */
    @Activate
    public BackendSelectedCheck(@Reference final BackendSelector selector)
    {
        this.selector = selector;
    }

    @Override
    public Result execute()
    {
        final List<BackendDescription> backends = selector.backends();
        final Optional<BackendDescription> selected =
            backends.stream().filter(BackendDescription::selected).findFirst();
        final String pinned = selector.pinnedType();
        if (selected.isPresent())
        {
            return new Result(Result.Status.OK, "selected: type=" + selected.get().type() + " serviceId=" +
                selected.get().serviceId() + (pinned.isEmpty() ? " (best present)" : " (pinned)"));
        }
        if (backends.isEmpty())
        {
            return new Result(Result.Status.CRITICAL, "no memory mapper present");
        }
        return new Result(Result.Status.CRITICAL, "no backend selected: pinned=" + pinned + " present=" +
            backends.stream().map(BackendDescription::type).collect(Collectors.joining(",")) +
            " (pin one of them, or none for the best, with jitmem:pin)");
    }
}
