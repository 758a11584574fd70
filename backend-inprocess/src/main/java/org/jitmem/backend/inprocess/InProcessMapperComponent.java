package org.jitmem.backend.inprocess;

import java.time.Duration;
import java.util.Hashtable;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.posix.RetainingMemoryMapper;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Registers an {@link InProcessMemoryMapper} as a {@link MemoryMapper} service. The service carries the executor's
 * pid and page size, which are known only at run time, so the component registers it itself. With a positive
 * {@code retainedBytes} the registered object is a {@link RetainingMemoryMapper} around the mapper, which keeps that
 * many bytes of released reservations for reuse. Deactivation unregisters the service, gives the retained
 * reservations back and releases everything the mapper reserved.
 */
@Component(immediate = true, configurationPid = InProcessMapperComponent.PID, service = {})
@Designate(ocd = InProcessMapperComponent.Config.class)
public final class InProcessMapperComponent
{
    /** Configuration pid. */
    static final String PID = "org.jitmem.backend.inprocess";

    /** Ranking of the service; the shared-memory backend ranks higher. */
    static final int RANKING = 10;

    private static final System.Logger LOG = System.getLogger(InProcessMapperComponent.class.getName());

    /** How long deactivation waits for the retained reservations to be released. */
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

    private final InProcessMemoryMapper mapper;
    private final RetainingMemoryMapper retaining;
    private final ServiceRegistration<MemoryMapper> registration;

    /** Configuration of the in-process backend. */
    @ObjectClassDefinition(name = "jitmem in-process backend")
    public @interface Config
    {
        /** @return accept segments that are both writable and executable */
        @AttributeDefinition(description = "Accept segments that are both writable and executable (W^X off)")
        boolean allowWriteExecute() default false;

        /** @return bytes of released reservations kept for reuse; 0 disables retention */
        @AttributeDefinition(description = "Bytes of released reservations kept, zeroed, for the next reserve of " +
            "the same page-rounded size instead of being unmapped; 0 disables retention", min = "0")
        long retainedBytes() default RetainingMemoryMapper.DEFAULT_RETAINED_BYTES;

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
     */
    @Activate
    public InProcessMapperComponent(final BundleContext context, final Config config)
    {
        final long retainedBytes = RetainingMemoryMapper.checkRetainedBytes(config.retainedBytes());
        mapper = new InProcessMemoryMapper(config.allowWriteExecute(),
            MemoryLimits.configured(config.reservedLimit(), config.committedLimit()));
        retaining = retainedBytes > 0 ? new RetainingMemoryMapper(mapper, retainedBytes) : null;
        final Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(MapperProperties.TYPE, mapper.type());
        properties.put(MapperProperties.CROSS_PROCESS, Boolean.FALSE);
        properties.put(MapperProperties.EXECUTOR_PID, mapper.executorPid());
        properties.put(MapperProperties.PAGE_SIZE, mapper.pageSize());
        properties.put(Constants.SERVICE_RANKING, RANKING);
        registration = context.registerService(MemoryMapper.class,
            retaining != null ? retaining : mapper, properties);
    }

    /**
     * Unregisters the service, gives the retained reservations back and releases everything; failures are logged,
     * never thrown.
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
            LOG.log(System.Logger.Level.DEBUG, "in-process mapper service was already unregistered");
        }
        if (retaining != null)
        {
            try
            {
                retaining.close(RELEASE_TIMEOUT);
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.ERROR, "in-process mapper released its retained reservations with errors",
                    ex);
            }
        }
        try
        {
            mapper.close();
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.ERROR, "in-process mapper released its memory with errors", ex);
        }
    }
}
