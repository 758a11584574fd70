package org.jitmem.backend.remote;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.memory.MemoryLimits;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One executor of the copying backend, one instance per factory configuration of {@value #PID}: connects to the
 * executor, registers its {@link ExecutorChannel} and a {@link RemoteMemoryMapper} over it as services whose
 * properties say where the executor is ({@link MapperProperties#HOST}, {@link MapperProperties#EXECUTOR_PID}), and
 * unregisters both when the channel closes or the configuration goes. The registered mapper is bare: its release
 * unmaps (pooling belongs to the runtime's slab manager).
 */
@Component(configurationPid = RemoteMapperComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
    service = {})
@Designate(ocd = RemoteMapperComponent.Config.class, factory = true)
public final class RemoteMapperComponent
{
    /** Factory configuration pid. */
    static final String PID = "org.jitmem.backend.remote";

    /** Host of an executor reached through a local socket. */
    static final String LOCALHOST = "localhost";

    /** How long unregistering waits for the executor to release a mapper's memory. */
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

    private static final System.Logger LOG = System.getLogger(RemoteMapperComponent.class.getName());

    private final ExecutorChannel channel;
    private final RemoteMemoryMapper mapper;
    private final ServiceRegistration<ExecutorChannel> channelRegistration;
    private final ServiceRegistration<MemoryMapper> mapperRegistration;

    /** Configuration of one executor of the copying backend. */
    @ObjectClassDefinition(name = "jitmem remote executor",
        description = "One executor of the copying backend; one factory configuration per executor")
    public @interface Config
    {
        /** @return the executor's Unix domain socket */
        @AttributeDefinition(description = "The executor's Unix domain socket (jitmem-executor --socket)")
        String socketPath() default "";

        /** @return where the executor runs, as its services state it */
        @AttributeDefinition(description = "Where the executor runs: a host name or address (the TCP transport " +
            "connects there); empty means localhost for a socket path")
        String host() default "";

        /** @return the executor's TCP port */
        @AttributeDefinition(description = "The executor's TCP port (jitmem-executor --listen); 0 for none", min = "0",
            max = "65535")
        int port() default 0;

        /** @return the controller's PKCS#12 key store */
        @AttributeDefinition(description = "Path of the controller's PKCS#12 key store (TLS transport)")
        String keyStore() default "";

        /** @return the PKCS#12 trust store holding the executors' CA */
        @AttributeDefinition(description = "Path of the PKCS#12 trust store that holds the executors' CA (TLS " +
            "transport)")
        String trustStore() default "";

        /** @return the file holding the stores' password */
        @AttributeDefinition(description = "Path of a file holding the stores' password (TLS transport)")
        String passwordFile() default "";

        /** @return how long connecting may take */
        @AttributeDefinition(description = "How long connecting and the executor's handshake may take, in ms",
            min = "1")
        long connectTimeoutMillis() default 10_000;

        /** @return how long a silent executor may hold a caller */
        @AttributeDefinition(description = "How long an executor that stops answering may hold a caller before " +
            "every pending call fails, in ms (TCP transport)", min = "1")
        long heartbeatTimeoutMillis() default 1_000;

        /** @return the mapper service's ranking */
        @AttributeDefinition(description = "Ranking of the mapper service (in-process 10, shared memory 100)")
        int ranking() default 50;

        /** @return accept segments that are both writable and executable */
        @AttributeDefinition(description = "Accept segments that are both writable and executable (W^X off); " +
            "sent to the executor with each initialize, where it is checked")
        boolean allowWriteExecute() default false;

        /** @return most bytes of address space this executor's reservations may hold */
        @AttributeDefinition(description = "Most bytes of address space the reservations in this executor may " +
            "hold, checked before anything is reserved (default 1 TiB)", min = "1")
        long reservedLimit() default MemoryLimits.DEFAULT_RESERVED_LIMIT;

        /** @return most bytes of working memory; 0 for a quarter of physical memory */
        @AttributeDefinition(description = "Most bytes of working memory the controller commits for this executor " +
            "(prepared content), checked before anything is committed; 0 for a quarter of the machine's physical " +
            "memory", min = "0")
        long committedLimit() default 0;
    }

    /**
     * Connects and registers the channel and the mapper.
     *
     * @param context the bundle's context
     * @param config  the configuration
     * @throws IllegalArgumentException when the configuration names no executor this build can reach
     * @throws org.jitmem.api.ExecutorUnavailableException when the executor did not answer in time
     */
    @Activate
    public RemoteMapperComponent(final BundleContext context, final Config config)
    {
        if (config.socketPath().isEmpty())
        {
            throw new IllegalArgumentException("no executor to connect to: socketPath is empty" +
                (config.port() != 0 ? " (host=" + config.host() + " port=" + config.port() + " needs the TCP " +
                "transport)" : ""));
        }
        final String host = config.host().isEmpty() ? LOCALHOST : config.host();
        channel = SocketExecutorChannel.connect(Path.of(config.socketPath()),
            Duration.ofMillis(config.connectTimeoutMillis()));
        try
        {
            mapper = new RemoteMemoryMapper(channel, config.allowWriteExecute(),
                MemoryLimits.configured(config.reservedLimit(), config.committedLimit()));
            final ExecutorInfo executor = channel.executor();
            final Hashtable<String, Object> channelProperties = new Hashtable<>();
            channelProperties.put(MapperProperties.TYPE, MapperProperties.TYPE_REMOTE);
            channelProperties.put(MapperProperties.EXECUTOR_PID, executor.pid());
            channelProperties.put(MapperProperties.HOST, host);
            channelRegistration = context.registerService(ExecutorChannel.class, channel, channelProperties);
            final Hashtable<String, Object> mapperProperties = new Hashtable<>(MapperProperties.of(mapper));
            mapperProperties.put(MapperProperties.HOST, host);
            mapperProperties.put(Constants.SERVICE_RANKING, config.ranking());
            mapperRegistration = context.registerService(MemoryMapper.class, mapper, mapperProperties);
        }
        catch (final RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        channel.closed().whenComplete((reason, failure) -> unregister());
    }

    /** Unregisters the services, releases the mapper's memory and closes the channel. */
    @Deactivate
    void deactivate()
    {
        unregister();
        try
        {
            mapper.close(RELEASE_TIMEOUT);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.ERROR, "remote mapper released its memory with errors: pid=" +
                mapper.executorPid(), ex);
        }
        channel.close();
    }

    private void unregister()
    {
        unregisterQuietly(mapperRegistration);
        unregisterQuietly(channelRegistration);
    }

    private static void unregisterQuietly(final ServiceRegistration<?> registration)
    {
        try
        {
            registration.unregister();
        }
        catch (final IllegalStateException alreadyGone)
        {
            LOG.log(System.Logger.Level.DEBUG, "service was already unregistered");
        }
    }
}
