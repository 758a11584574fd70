package org.jitmem.backend.remote;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.channel.TcpConnectOptions;
import org.jitmem.channel.TlsStores;
import org.jitmem.memory.MemoryLimits;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One executor of the copying backend, one instance per factory configuration of {@value #PID}: connects to the
 * executor (its Unix socket, or TCP with mutual TLS from the configured stores) on a thread of its own, registers its
 * {@link org.jitmem.api.ExecutorChannel} and a {@link RemoteMemoryMapper} over it as services whose properties say
 * where the executor is ({@link org.jitmem.api.MapperProperties#HOST},
 * {@link org.jitmem.api.MapperProperties#EXECUTOR_PID}), unregisters both when the channel closes and connects again
 * with backoff, each time with a new mapper ({@link ExecutorConnection}). The registered mapper is bare: its release
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

    private final ExecutorConnection connection;

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
        @AttributeDefinition(description = "Path of a file whose first line is the password of both stores (TLS " +
            "transport); passwords are never configuration properties")
        String passwordFile() default "";

        /** @return how long connecting may take */
        @AttributeDefinition(description = "How long one attempt to connect may take: connecting, the TLS " +
            "handshake and the executor's hello, in ms", min = "1")
        long connectTimeoutMillis() default 10_000;

        /** @return how long a silent executor may hold a caller */
        @AttributeDefinition(description = "How long an executor that stops answering may hold a caller before " +
            "every pending call fails and its mapper goes, in ms; heartbeats go every quarter of it (TCP transport)",
            min = "4")
        long heartbeatTimeoutMillis() default 1_000;

        /** @return the first pause before connecting again */
        @AttributeDefinition(description = "Pause before connecting again once the executor is lost or cannot be " +
            "reached, in ms; doubled after each failed attempt up to maxReconnectDelayMillis", min = "1")
        long reconnectDelayMillis() default 100;

        /** @return the bound on the pause before connecting again */
        @AttributeDefinition(description = "The longest pause between attempts to connect again, in ms", min = "1")
        long maxReconnectDelayMillis() default 10_000;

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
     * Starts connecting on the connection's own thread; the channel and the mapper are registered once connected.
     *
     * @param context the bundle's context
     * @param config  the configuration
     * @param log     this component's logger
     * @throws IllegalArgumentException when the configuration names no executor, or both transports
     * @throws org.jitmem.api.InvalidRequestException when a store or the password file cannot be read
     */
    @Activate
    public RemoteMapperComponent(final BundleContext context, final Config config,
        @Reference(service = LoggerFactory.class) final Logger log)
    {
        final Duration connectTimeout = Duration.ofMillis(config.connectTimeoutMillis());
        final String host;
        final Supplier<SocketExecutorChannel> connect;
        if (config.port() != 0)
        {
            if (!config.socketPath().isEmpty() || config.host().isEmpty())
            {
                throw new IllegalArgumentException("a TCP executor needs a host and no socketPath: host=" +
                    config.host() + " port=" + config.port() + " socketPath=" + config.socketPath());
            }
            host = config.host();
            connect = tcp(config, connectTimeout)::connect;
        }
        else if (!config.socketPath().isEmpty())
        {
            host = config.host().isEmpty() ? LOCALHOST : config.host();
            final Path socket = Path.of(config.socketPath());
            connect = () -> SocketExecutorChannel.connect(socket, connectTimeout);
        }
        else
        {
            throw new IllegalArgumentException("no executor to connect to: set socketPath, or host and port");
        }
        connection = new ExecutorConnection(log, context, host, connect, channel -> new RemoteMemoryMapper(channel,
            config.allowWriteExecute(), MemoryLimits.configured(config.reservedLimit(), config.committedLimit())),
            config.ranking(), Duration.ofMillis(config.reconnectDelayMillis()),
            Duration.ofMillis(config.maxReconnectDelayMillis()), connectTimeout);
        connection.start();
    }

    /** Stops reconnecting and closes the connection: services, mapper, channel. */
    @Deactivate
    void deactivate()
    {
        connection.close();
    }

    /** Mutual TLS from the configured stores, one password file for both; heartbeats a quarter of their timeout. */
    private static TcpConnectOptions tcp(final Config config, final Duration connectTimeout)
    {
        if (config.keyStore().isEmpty() || config.trustStore().isEmpty() || config.passwordFile().isEmpty())
        {
            throw new IllegalArgumentException("a TCP executor needs keyStore, trustStore and passwordFile: host=" +
                config.host() + " port=" + config.port());
        }
        final Path passwordFile = Path.of(config.passwordFile());
        final SSLContext tls = TlsStores.context(Path.of(config.keyStore()), TlsStores.passwordFromFile(passwordFile),
            Path.of(config.trustStore()), TlsStores.passwordFromFile(passwordFile));
        final Duration heartbeatTimeout = Duration.ofMillis(config.heartbeatTimeoutMillis());
        return TcpConnectOptions.builder(config.host(), config.port())
            .tls(tls)
            .heartbeat(heartbeatTimeout.dividedBy(4), heartbeatTimeout)
            .connectTimeout(connectTimeout)
            .build();
    }
}
