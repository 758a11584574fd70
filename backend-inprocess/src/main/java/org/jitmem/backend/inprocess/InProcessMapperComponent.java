package org.jitmem.backend.inprocess;

import java.util.Hashtable;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.memory.MemoryLimits;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Registers an {@link InProcessMemoryMapper} as a {@link MemoryMapper} service. The service carries the executor's
 pid and page size, which are known only at run time, so the component registers it itself. The registered object
 * is the bare mapper: its release unmaps (pooling belongs to the runtime's slab manager). Deactivation unregisters
 * the service and releases everything the mapper reserved.
 */
@Component(immediate = true, configurationPid = InProcessMapperComponent.PID, service = {})
@Designate(ocd = InProcessMapperComponent.Config.class)
public final class InProcessMapperComponent
{
    /** Configuration pid. */
    static final String PID = "org.jitmem.backend.inprocess";

    /** Ranking of the service; the shared-memory backend ranks higher. */
    static final int RANKING = 10;

    private final Logger log;
    private final InProcessMemoryMapper mapper;
    private final ServiceRegistration<MemoryMapper> registration;

    /** Configuration of the in-process backend. */
    @ObjectClassDefinition(name = "jitmem in-process backend")
    public @interface Config
    {
        /** @return accept segments that are both writable and executable */
        @AttributeDefinition(description = "Accept segments that are both writable and executable (W^X off)")
        boolean allowWriteExecute() default false;

        /** @return most bytes of address space the reservations may hold */
        @AttributeDefinition(description = "Most bytes of address space the reservations may hold, checked before " +
            "anything is mapped (default 1 TiB)", min = "1")
        long reservedLimit() default MemoryLimits.DEFAULT_RESERVED_LIMIT;

        /** @return most bytes the reservations may commit; 0 for a quarter of physical memory */
        @AttributeDefinition(description = "Most bytes the reservations may commit (prepared working memory, " +
            "zero-filled tails), checked before anything is committed; 0 for a quarter of the machine's physical " +
            "memory", min = "0")
        long committedLimit() default 0;
    }

    /**
     * @param context the bundle's context
     * @param config  the configuration
     * @param log     this component's logger
     */
    @Activate
    public InProcessMapperComponent(final BundleContext context, final Config config,
        @Reference(service = LoggerFactory.class) final Logger log)
    {
        this.log = log;
        mapper = new InProcessMemoryMapper(config.allowWriteExecute(),
            MemoryLimits.configured(config.reservedLimit(), config.committedLimit()));
        final Hashtable<String, Object> properties = new Hashtable<>(MapperProperties.of(mapper));
        properties.put(Constants.SERVICE_RANKING, RANKING);
        registration = context.registerService(MemoryMapper.class, mapper, properties);
    }

    /**
     * Unregisters the service and releases everything; failures are logged, never thrown.
     */
    @Deactivate
    void deactivate()
    {
        try
        {
            registration.unregister();
        }
        catch (final IllegalStateException alreadyGone)
        {
            log.debug("in-process mapper service was already unregistered");
        }
        try
        {
            mapper.close();
        }
        catch (final RuntimeException ex)
        {
            log.error("in-process mapper released its memory with errors", ex);
        }
    }
}
