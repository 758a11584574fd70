package org.jitmem.runtime.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabSettings;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Binds every {@link MemoryMapper} service, gives each its own slab memory manager, and selects for new allocations
 * the highest ranking one (then the lowest service id) of those of the pinned type that match the pinned filter. When
 * a mapper goes away it is no longer selected, and its slab memory manager drains before the unbind returns: new
 * allocations are refused, open leases are waited for up to the drain timeout, then its memory is revoked and
 * released. The framework unbinds while the backend unregisters its service, before the backend tears its memory down,
 * so the drain keeps a departing backend from unmapping memory that is still being written; the wait is bounded by the
 * configured timeout.
 */
@Component(service = BackendSelector.class, configurationPid = RuntimeConfiguration.PID)
@Designate(ocd = RuntimeConfiguration.class)
public final class MapperSelector implements BackendSelector
{
    private static final Filter NOTHING = filter("(&(" + Constants.SERVICE_ID + "=0)(!(" + Constants.SERVICE_ID +
        "=0)))");
    private static final Comparator<Backend> BEST_FIRST = Comparator
        .comparingInt((Backend backend) -> backend.ranking).reversed()
        .thenComparingLong(backend -> backend.serviceId);

    private final Logger log;
    private final List<Backend> backends = new ArrayList<>();
    private SlabSettings settings;
    private String pinnedType;
    private String pinnedFilterText;
    /** Null for no filter; {@link #NOTHING} where the configured filter could not be read. */
    private Filter pinnedFilter;
    private Duration drainTimeout;

    /**
     * @param configuration the runtime settings
     * @param log           this component's logger
     */
    @Activate
    public MapperSelector(final RuntimeConfiguration configuration,
        @Reference(service = LoggerFactory.class) final Logger log)
    {
        this.log = log;
        applyConfiguration(configuration);
    }

    /**
     * @param configuration the new runtime settings; they apply to mappers bound from now on, the pin at once
     */
    @Modified
    void modified(final RuntimeConfiguration configuration)
    {
        applyConfiguration(configuration);
    }

    /**
     * @param mapper     a mapper service
     * @param properties its service properties
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
        policyOption = ReferencePolicyOption.GREEDY)
    void bindMemoryMapper(final MemoryMapper mapper, final Map<String, Object> properties)
    {
        final SlabSettings current;
        synchronized (this)
        {
            current = settings;
        }
        final Backend backend = new Backend(mapper, properties, current);
        synchronized (this)
        {
            backends.add(backend);
            backends.sort(BEST_FIRST);
        }
        if (backend.manager == null)
        {
            log.warn("memory mapper bound but not usable, it is never selected: type=" + backend.type +
                " serviceId=" + backend.serviceId + " reason=" + backend.unusable.getMessage());
        }
        else
        {
            log.info("memory mapper bound: type={} serviceId={} ranking={}", backend.type,
                backend.serviceId, backend.ranking);
        }
    }

    /**
     * @param mapper     a mapper service going away
     * @param properties its service properties
     */
    void unbindMemoryMapper(final MemoryMapper mapper, final Map<String, Object> properties)
    {
        final long serviceId = serviceId(properties);
        Backend removed = null;
        final Duration timeout;
        synchronized (this)
        {
            timeout = drainTimeout;
            for (int i = 0; i < backends.size(); i++)
            {
                if (backends.get(i).serviceId == serviceId)
                {
                    removed = backends.remove(i);
                    break;
                }
            }
        }
        if (removed != null)
        {
            drain(removed, timeout);
        }
    }

    /** Drains every slab memory manager. */
    @Deactivate
    void deactivate()
    {
        final List<Backend> closing;
        final Duration timeout;
        synchronized (this)
        {
            closing = new ArrayList<>(backends);
            backends.clear();
            timeout = drainTimeout;
        }
        closing.forEach(backend -> drain(backend, timeout));
    }

    @Override
    public synchronized List<BackendDescription> backends()
    {
        final Backend selected = selectedBackend();
        final List<BackendDescription> descriptions = new ArrayList<>(backends.size());
        for (final Backend backend : backends)
        {
            descriptions.add(new BackendDescription(backend.type, backend.serviceId, backend.ranking,
                backend.crossProcess, backend.executorPid, backend.pageSize, backend == selected, backend.properties));
        }
        return descriptions;
    }

    @Override
    public synchronized Optional<SlabMemoryManager> selected()
    {
        final Backend selected = selectedBackend();
        return selected == null ? Optional.empty() : Optional.of(selected.manager);
    }

    @Override
    public synchronized List<SlabMemoryManager> managers()
    {
        final List<SlabMemoryManager> managers = new ArrayList<>(backends.size());
        for (final Backend backend : backends)
        {
            if (backend.manager != null)
            {
                managers.add(backend.manager);
            }
        }
        return managers;
    }

    @Override
    public void pin(final String type)
    {
        pin(type, "");
    }

    @Override
    public void pin(final String type, final String filter)
    {
        final String text = filter == null ? "" : filter.trim();
        final Filter parsed = text.isEmpty() ? null : filter(text);
        synchronized (this)
        {
            pinnedType = type == null ? "" : type.trim();
            pinnedFilterText = text;
            pinnedFilter = parsed;
        }
    }

    @Override
    public synchronized String pinnedType()
    {
        return pinnedType;
    }

    @Override
    public synchronized String pinnedFilter()
    {
        return pinnedFilterText;
    }

    private synchronized void applyConfiguration(final RuntimeConfiguration configuration)
    {
        settings = new SlabSettings(configuration.slabGranularity(), configuration.keepFreeBytes());
        pinnedType = configuration.pinnedType() == null ? "" : configuration.pinnedType().trim();
        pinnedFilterText = configuration.pinnedFilter() == null ? "" : configuration.pinnedFilter().trim();
        try
        {
            pinnedFilter = pinnedFilterText.isEmpty() ? null : filter(pinnedFilterText);
        }
        catch (final IllegalArgumentException ex)
        {
            log.error("the configured pinnedFilter is not a valid filter, no backend is selected: " +
                ex.getMessage());
            pinnedFilter = NOTHING;
        }
        drainTimeout = Duration.ofMillis(Math.max(0, configuration.drainTimeoutMillis()));
    }

    private Backend selectedBackend()
    {
        for (final Backend backend : backends)
        {
            if (backend.manager != null && (pinnedType.isEmpty() || pinnedType.equals(backend.type)) &&
                (pinnedFilter == null || pinnedFilter.matches(backend.properties)))
            {
                return backend;
            }
        }
        return null;
    }

    /**
     * @param text an LDAP filter
     * @return it parsed
     * @throws IllegalArgumentException when it is not valid, saying why
     */
    static Filter filter(final String text)
    {
        try
        {
            return FrameworkUtil.createFilter(text);
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalArgumentException("invalid filter: " + text + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Drains a departing backend's slab memory manager, blocking for at most twice the timeout: once for open leases,
     * once for the release. Failures are logged: the backend is gone either way.
     */
    private void drain(final Backend backend, final Duration timeout)
    {
        if (backend.manager == null)
        {
            return;
        }
        final long leases = backend.manager.openLeases();
        log.info("memory mapper departing, draining: type={} serviceId={} openLeases={} " +
            "timeoutMillis={}", backend.type, backend.serviceId, leases, timeout.toMillis());
        try
        {
            backend.manager.drain(timeout).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            log.warn("departing mapper still has open leases or an unfinished release, its memory " +
                "is released when they end: type=" + backend.type + " serviceId=" + backend.serviceId +
                " openLeases=" + backend.manager.openLeases() + " timeoutMillis=" + timeout.toMillis());
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof ExecutorUnavailableException gone)
            {
                log.info("the executor of a departing mapper is gone, its memory went with it: type=" +
                    backend.type + " serviceId=" + backend.serviceId + " reason=" + gone.getMessage());
            }
            else
            {
                log.warn("releasing the slab memory of a departing mapper failed: type=" +
                    backend.type + " serviceId=" + backend.serviceId, ex.getCause());
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            log.warn("interrupted while draining a departing mapper: type=" + backend.type +
                " serviceId=" + backend.serviceId);
        }
    }

    private static long serviceId(final Map<String, Object> properties)
    {
        return properties.get(Constants.SERVICE_ID) instanceof Long id ? id : -1;
    }

    private static final class Backend
    {
        private final Map<String, Object> properties;
        private final SlabMemoryManager manager;
        private final MemoryMapperException unusable;
        private final String type;
        private final long serviceId;
        private final int ranking;
        private final boolean crossProcess;
        private final long executorPid;
        private final long pageSize;

        /** A mapper that cannot even state its page size, such as a platform stub, gets no slab memory manager. */
        private Backend(final MemoryMapper mapper, final Map<String, Object> properties, final SlabSettings settings)
        {
            SlabMemoryManager created = null;
            MemoryMapperException failure = null;
            try
            {
                created = new SlabMemoryManager(mapper, settings);
            }
            catch (final MemoryMapperException ex)
            {
                failure = ex;
            }
            this.properties = Map.copyOf(properties);
            this.manager = created;
            this.unusable = failure;
            this.type = mapper.type();
            this.serviceId = serviceId(properties);
            this.ranking = properties.get(Constants.SERVICE_RANKING) instanceof Integer value ? value : 0;
            this.crossProcess = mapper.crossProcess();
            this.executorPid = mapper.executorPid();
            this.pageSize = created == null ? 0 : created.mapper().pageSize();
        }
    }
}
