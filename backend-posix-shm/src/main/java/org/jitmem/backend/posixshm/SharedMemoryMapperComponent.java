package org.jitmem.backend.posixshm;

import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.memory.MemoryLimits;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Registers one {@link SharedMemoryMapper} as a {@link MemoryMapper} service per open {@link ExecutorChannel} (but
 * those registered for the copying backend, whose executor may be on another host), with the executor's pid and page
 * size as properties. The registered object is the bare mapper: its release unmaps in
 * both processes (pooling belongs to the runtime's slab manager). When a channel service goes away or the channel
 * closes, the mapper's service is unregistered and its memory released and unmapped.
 */
@Component(immediate = true, configurationPid = SharedMemoryMapperComponent.PID, service = {})
@Designate(ocd = SharedMemoryMapperComponent.Config.class)
public final class SharedMemoryMapperComponent
{
    /** Configuration pid. */
    static final String PID = "org.jitmem.backend.posixshm";

    /** Ranking of the services: above the in-process backend. */
    static final int RANKING = 100;

    /** Channels this backend serves: every one but those registered for the copying backend. */
    static final String LOCAL_CHANNELS = "(!(" + MapperProperties.TYPE + "=" + MapperProperties.TYPE_REMOTE + "))";

    /** How long unregistering waits for the executor to release a mapper's memory. */
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

    private final BundleContext context;
    private final Logger log;
    private final boolean allowWriteExecute;
    private final long reservedLimit;
    private final long committedLimit;
    private final ConcurrentHashMap<ExecutorChannel, Registered> registered = new ConcurrentHashMap<>();
    private volatile boolean active = true;

    /** Configuration of the shared-memory backend. */
    @ObjectClassDefinition(name = "jitmem POSIX shared-memory backend")
    public @interface Config
    {
        /** @return accept segments that are both writable and executable */
        @AttributeDefinition(description = "Accept segments that are both writable and executable (W^X off); " +
            "sent to the executor with each initialize, where it is checked")
        boolean allowWriteExecute() default false;

        /** @return most bytes of address space this executor's reservations may hold */
        @AttributeDefinition(description = "Most bytes of address space the reservations in one executor may hold, " +
            "checked before anything is mapped (default 1 TiB)", min = "1")
        long reservedLimit() default MemoryLimits.DEFAULT_RESERVED_LIMIT;

        /** @return most bytes this executor's reservations may commit; 0 for a quarter of physical memory */
        @AttributeDefinition(description = "Most bytes the reservations in one executor may commit (prepared " +
            "working memory, zero-filled tails), checked before anything is committed; 0 for a quarter of the " +
            "machine's physical memory", min = "0")
        long committedLimit() default 0;
    }

    /**
     * @param context the bundle's context
     * @param config  the configuration
     * @param log     this component's logger
     */
    @Activate
    public SharedMemoryMapperComponent(final BundleContext context, final Config config,
        @Reference(service = LoggerFactory.class) final Logger log)
    {
        this.context = context;
        this.log = log;
        this.allowWriteExecute = config.allowWriteExecute();
        final MemoryLimits limits = MemoryLimits.configured(config.reservedLimit(), config.committedLimit());
        this.reservedLimit = limits.usage().reservedLimit();
        this.committedLimit = limits.usage().committedLimit();
    }

    /**
     * Registers a mapper for a new channel.
     *
     * @param channel an executor channel
     */
    @Reference(service = ExecutorChannel.class, cardinality = ReferenceCardinality.MULTIPLE,
        policy = ReferencePolicy.DYNAMIC, unbind = "removeChannel", target = LOCAL_CHANNELS)
    void addChannel(final ExecutorChannel channel)
    {
        if (!active || !channel.isOpen())
        {
            return;
        }
        final SharedMemoryMapper mapper;
        try
        {
            mapper = new SharedMemoryMapper(channel, allowWriteExecute,
                new MemoryLimits(reservedLimit, committedLimit));
        }
        catch (final MemoryMapperException ex)
        {
            log.warn("no shared-memory mapper for executor pid={}: {}", channel.executor().pid(), ex.getMessage());
            return;
        }
        catch (final RuntimeException ex)
        {
            log.error("no shared-memory mapper for executor pid={}", channel.executor().pid(), ex);
            return;
        }
        final Hashtable<String, Object> properties = new Hashtable<>(MapperProperties.of(mapper));
        properties.put(Constants.SERVICE_RANKING, RANKING);
        final Registered entry = new Registered(mapper, context.registerService(MemoryMapper.class, mapper,
            properties));
        if (registered.putIfAbsent(channel, entry) != null || !active)
        {
            registered.remove(channel, entry);
            dispose(entry);
            return;
        }
        channel.closed().whenComplete((reason, failure) -> removeChannel(channel));
    }

    /**
     * Unregisters the channel's mapper and releases its memory.
     *
     * @param channel an executor channel
     */
    void removeChannel(final ExecutorChannel channel)
    {
        final Registered entry = registered.remove(channel);
        if (entry != null)
        {
            dispose(entry);
        }
    }

    /** Unregisters every mapper and releases its memory. */
    @Deactivate
    void deactivate()
    {
        active = false;
        for (final ExecutorChannel channel : List.copyOf(registered.keySet()))
        {
            removeChannel(channel);
        }
    }

    private void dispose(final Registered entry)
    {
        try
        {
            entry.registration.unregister();
        }
        catch (final IllegalStateException alreadyGone)
        {
            log.debug("shared-memory mapper service was already unregistered");
        }
        try
        {
            entry.mapper.close(RELEASE_TIMEOUT);
        }
        catch (final ExecutorUnavailableException ex)
        {
            log.info("the executor of a departing shared-memory mapper is gone, its memory went with it: pid={} " +
                "reason={}", entry.mapper.executorPid(), ex.getMessage());
        }
        catch (final MemoryMapperException ex)
        {
            log.warn("shared-memory mapper released its memory with errors: pid={} reason={}",
                entry.mapper.executorPid(), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            log.error("shared-memory mapper released its memory with errors: pid={}", entry.mapper.executorPid(), ex);
        }
    }

    private record Registered(SharedMemoryMapper mapper, ServiceRegistration<MemoryMapper> registration)
    {
    }
}
