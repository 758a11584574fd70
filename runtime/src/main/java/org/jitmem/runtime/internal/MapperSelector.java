package org.jitmem.runtime.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabSettings;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Binds every {@link MemoryMapper} service, gives each its own slab memory manager, and selects the pinned type or
 * the highest ranking one for new allocations. When a mapper goes away its slab memory manager is closed.
 */
@Component(service = BackendSelector.class, configurationPid = RuntimeConfiguration.PID)
@Designate(ocd = RuntimeConfiguration.class)
public final class MapperSelector implements BackendSelector
{
    private static final System.Logger LOGGER = System.getLogger(MapperSelector.class.getName());
    private static final Comparator<Backend> BEST_FIRST = Comparator
        .comparingInt((Backend backend) -> backend.ranking).reversed()
        .thenComparingLong(backend -> backend.serviceId);

    private final List<Backend> backends = new ArrayList<>();
    private SlabSettings settings;
    private String pinnedType;

    /**
     * @param configuration the runtime settings
     */
    @Activate
    public MapperSelector(final RuntimeConfiguration configuration)
    {
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
        final Backend backend;
        synchronized (this)
        {
            backend = new Backend(mapper, properties, new SlabMemoryManager(mapper, settings));
            backends.add(backend);
            backends.sort(BEST_FIRST);
        }
        LOGGER.log(Level.INFO, "memory mapper bound: type={0} serviceId={1} ranking={2}", backend.type,
            backend.serviceId, backend.ranking);
    }

    /**
     * @param mapper     a mapper service going away
     * @param properties its service properties
     */
    void unbindMemoryMapper(final MemoryMapper mapper, final Map<String, Object> properties)
    {
        final long serviceId = serviceId(properties);
        Backend removed = null;
        synchronized (this)
        {
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
            close(removed);
        }
    }

    /** Closes every slab memory manager. */
    @Deactivate
    void deactivate()
    {
        final List<Backend> closing;
        synchronized (this)
        {
            closing = new ArrayList<>(backends);
            backends.clear();
        }
        closing.forEach(MapperSelector::close);
    }

    @Override
    public synchronized List<BackendDescription> backends()
    {
        final Backend selected = selectedBackend();
        final List<BackendDescription> descriptions = new ArrayList<>(backends.size());
        for (final Backend backend : backends)
        {
            descriptions.add(new BackendDescription(backend.type, backend.serviceId, backend.ranking,
                backend.mapper.crossProcess(), backend.mapper.executorPid(), backend.mapper.pageSize(),
                backend == selected, backend.properties));
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
        backends.forEach(backend -> managers.add(backend.manager));
        return managers;
    }

    @Override
    public synchronized void pin(final String type)
    {
        pinnedType = type == null ? "" : type.trim();
    }

    @Override
    public synchronized String pinnedType()
    {
        return pinnedType;
    }

    private synchronized void applyConfiguration(final RuntimeConfiguration configuration)
    {
        settings = new SlabSettings(configuration.slabGranularity(), configuration.keepFreeBytes(),
            configuration.allowWriteExecute());
        pinnedType = configuration.pinnedType() == null ? "" : configuration.pinnedType().trim();
    }

    private Backend selectedBackend()
    {
        for (final Backend backend : backends)
        {
            if (pinnedType.isEmpty() || pinnedType.equals(backend.type))
            {
                return backend;
            }
        }
        return null;
    }

    private static void close(final Backend backend)
    {
        backend.manager.close().whenComplete((ignored, error) ->
        {
            if (error != null)
            {
                LOGGER.log(Level.WARNING, "releasing the slab memory of a departing mapper failed: type=" +
                    backend.type + " serviceId=" + backend.serviceId, error);
            }
        });
    }

    private static long serviceId(final Map<String, Object> properties)
    {
        return properties.get(Constants.SERVICE_ID) instanceof Long id ? id : -1;
    }

    private static final class Backend
    {
        private final MemoryMapper mapper;
        private final Map<String, Object> properties;
        private final SlabMemoryManager manager;
        private final String type;
        private final long serviceId;
        private final int ranking;

        private Backend(final MemoryMapper mapper, final Map<String, Object> properties, final SlabMemoryManager manager)
        {
            this.mapper = mapper;
            this.properties = Map.copyOf(properties);
            this.manager = manager;
            this.type = properties.get(MapperProperties.TYPE) instanceof String name ? name : mapper.type();
            this.serviceId = serviceId(properties);
            this.ranking = properties.get(Constants.SERVICE_RANKING) instanceof Integer value ? value : 0;
        }
    }
}
