package org.jitmem.health.internal;

import java.util.List;
import java.util.Locale;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.jitmem.api.MemoryUsage;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * For each backend: OK while its executor's reserved and committed bytes stay at or below the configured share of
 * their limits ({@link org.jitmem.api.MemoryMapper#memoryUsage()}); WARN above it, CRITICAL at a limit.
 */
@Component(service = HealthCheck.class, configurationPid = HealthConfiguration.PID,
    configurationPolicy = ConfigurationPolicy.OPTIONAL, property = {
    HealthCheck.NAME + "=jitmem slab usage",
    HealthCheck.TAGS + "=jitmem",
    HealthCheck.MBEAN_NAME + "=jitmemSlabUsage"})
@Designate(ocd = HealthConfiguration.class)
public final class SlabUsageCheck implements HealthCheck
{
    private final BackendSelector selector;
    private final double share;

    /**
     * @param selector      the backend selector
     * @param configuration the settings
     */
    @Activate
    public SlabUsageCheck(@Reference final BackendSelector selector, final HealthConfiguration configuration)
    {
        this.selector = selector;
        this.share = configuration.usageShare();
    }

    @Override
    public Result execute()
    {
        final ResultLog log = new ResultLog();
        if (!(share > 0 && share <= 1))
        {
            return new Result(Result.Status.HEALTH_CHECK_ERROR, "usageShare must be in (0, 1]: usageShare=" + share);
        }
        final List<SlabMemoryManager> managers = selector.managers();
        if (managers.isEmpty())
        {
            log.add(new ResultLog.Entry(Result.Status.OK, "no memory mapper present"));
        }
        for (final SlabMemoryManager manager : managers)
        {
            final String type = manager.statistics().mapperType();
            final MemoryUsage usage = manager.mapper().memoryUsage().orElse(null);
            if (usage == null)
            {
                log.add(new ResultLog.Entry(Result.Status.OK, type + ": no limits to check"));
                continue;
            }
            log.add(entry(type, MemoryUsage.Limit.RESERVED, usage.reservedBytes(), usage.reservedLimit()));
            log.add(entry(type, MemoryUsage.Limit.COMMITTED, usage.committedBytes(), usage.committedLimit()));
        }
        return new Result(log);
    }

    private ResultLog.Entry entry(final String type, final MemoryUsage.Limit limit, final long used, final long maximum)
    {
        final Result.Status status = used >= maximum ? Result.Status.CRITICAL :
            used > share * maximum ? Result.Status.WARN : Result.Status.OK;
        return new ResultLog.Entry(status, String.format(Locale.ROOT, "%s: %s=%d %sLimit=%d share=%.3f usageShare=%.3f",
            type, limit.label(), used, limit.label(), maximum, maximum == 0 ? 1.0 : used / (double)maximum, share));
    }
}
