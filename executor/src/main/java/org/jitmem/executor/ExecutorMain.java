package org.jitmem.executor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.channel.ChannelServer;
import org.jitmem.channel.Protocol;
import org.jitmem.channel.TcpListenOptions;
import org.jitmem.channel.TlsStores;
import org.jitmem.posix.PageSize;

/**
 * The executor program: hosts the {@link ExecutorFunctionProvider}s found with {@link ServiceLoader} behind a
 * {@link ChannelServer}, and exits when its controller (the first connection) goes away. See {@link #USAGE}.
 */
public final class ExecutorMain
{
    /** Command-line help. */
    public static final String USAGE = """
        Usage: java -jar jitmem-executor.jar --socket <path> [options]
               java -jar jitmem-executor.jar --listen <host:port> --key-store <p12> --trust-store <p12> [options]

        Hosts executor functions for a jitmem controller behind a private Unix domain socket, or for controllers on
        other hosts behind a TCP port with mutually authenticated TLS 1.3.

          --socket <path>          socket to listen on. Its directory is created with mode 0700 when missing and
                                   removed at exit; an existing directory must be mode 0700 and owned by this user.
          --exit-with-parent       also exit when the parent process ends: when standard input reaches end of file
                                   (the parent keeps a pipe to it open) or the parent process id disappears.
          --remove-directory-on-exit
                                   remove the socket's whole directory at any exit it can handle (controller or
                                   parent gone, SIGTERM). The directory must be mode 0700, owned by this user and
                                   hold only the socket, this program's jar and the jna.tmpdir directory; otherwise
                                   the executor does not start (and a directory changed since is left in place).
          --max-frame-size <bytes> largest protocol frame, header included (default 67108864, and 4194304 with
                                   --listen: each connection may make the executor hold one such frame).
          --workers <n>            threads running calls, shared by all connections (default 8).
          --help                   print this text.

        Listening on TCP (instead of --socket):
          --listen <host:port>     address and port to listen on (port 0: any free port, named in the ready line).
          --key-store <path>       PKCS#12 store with the executor's private key and certificate chain.
          --key-store-password-file <path>
                                   file whose first line is its password; otherwise the environment variable
                                   JITMEM_KEY_STORE_PASSWORD. Passwords are never taken from the command line.
          --trust-store <path>     PKCS#12 store with the authorities a controller's certificate must chain to.
          --trust-store-password-file <path>
                                   its password file; otherwise the variable JITMEM_TRUST_STORE_PASSWORD.
          --max-connections <n>    connections at once, handshakes included; more are closed (default 16).
          --handshake-timeout-ms <ms>
                                   bound on a TLS handshake (default 5000).
          --heartbeat-interval-ms <ms>
                                   how often a heartbeat is sent to each controller (default 250).
          --heartbeat-timeout-ms <ms>
                                   a controller silent this long is disconnected (default 1000).
          --release-grace-ms <ms>  a disconnected controller's reservations are released this long after it went
                                   (default 5000).
          --plaintext-on-loopback  no TLS and no authentication, for benchmarks on a loopback address only; says so
                                   loudly on standard error at every start.

        Once it accepts connections it prints one line on standard output:
          jitmem-executor ready pid=<pid> socket=<path> pageSize=<bytes>
        With --listen the line reads listen=<host:port> instead of socket=<path>. A TCP peer must present a
        certificate the trust store's authorities signed, valid now; otherwise it is refused in the handshake, before
        any executor function exists for it, with one line on standard error. Controllers may come and go; the
        executor runs until SIGTERM (or its parent goes, with --exit-with-parent).
        Only processes of the same user may connect. The first connection is the controller's: when it closes, every
        provider is closed (releasing everything it holds) once the calls still running have finished, the socket is
        removed and the executor exits with 0. Calls that have not finished 0.5 s later (JIT'd code that does not
        return) are not waited for: the executor removes its socket (and directory) and halts. The same holds when
        the parent goes (--exit-with-parent) and on SIGTERM.
        Built-in functions: executor.ping (returns its argument), executor.info (key=value lines).
        Exit status: 0 after a normal end, 1 when the executor could not start, 2 for a usage error.
        """;

    private static final int DEFAULT_WORKERS = 8;
    /** Environment variable with the key store's password when no file is given. */
    static final String KEY_STORE_PASSWORD_VARIABLE = "JITMEM_KEY_STORE_PASSWORD";
    /** Environment variable with the trust store's password when no file is given. */
    static final String TRUST_STORE_PASSWORD_VARIABLE = "JITMEM_TRUST_STORE_PASSWORD";
    /** How long the calls still running may take to finish once the executor ends, before it halts. */
    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private ExecutorMain()
    {
    }

    /**
     * @param args command line, see {@link #USAGE}
     */
    public static void main(final String[] args)
    {
        EventLineFormatter.install();
        System.exit(run(args));
    }

    /**
     * @param args command line, see {@link #USAGE}
     * @return the exit status
     */
    static int run(final String[] args)
    {
        final Options options;
        try
        {
            options = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("jitmem-executor: " + ex.getMessage());
            System.err.print(USAGE);
            return 2;
        }
        if (options == null)
        {
            System.out.print(USAGE);
            return 0;
        }
        final ChannelServer server;
        final PrivateDirectory directory;
        try
        {
            final TcpListenOptions tcp = options.listen == null ? null : options.listen.toOptions();
            final List<ServiceLoader.Provider<ExecutorFunctionProvider>> discovered =
                ServiceLoader.load(ExecutorFunctionProvider.class, ExecutorMain.class.getClassLoader()).stream().toList();
            server = tcp == null ?
                ChannelServer.start(options.socket, PageSize.get(), executor -> createProviders(discovered, executor),
                    options.maxFrameSize, options.workers) :
                ChannelServer.listen(tcp, PageSize.get(), executor -> createProviders(discovered, executor),
                    options.maxFrameSize, options.workers);
            directory = claimDirectory(server, options);
            if (tcp != null && tcp.tls() == null)
            {
                System.err.println("jitmem-executor: WARNING: listening WITHOUT TLS and WITHOUT authentication on " +
                    server.endpoint() + ": anyone who reaches this port can run code here; for benchmarks only");
            }
        }
        catch (final RuntimeException | ServiceConfigurationError | LinkageError ex)
        {
            System.err.println("jitmem-executor: cannot start: " + ex);
            if (!(ex instanceof IllegalStateException || ex instanceof IllegalArgumentException ||
                ex instanceof UncheckedIOException))
            {
                ex.printStackTrace(); // a refusal with its reason needs no trace; anything else is a bug to find
            }
            return 1;
        }
        final Ending ending = new Ending(server, directory);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ending.end("terminated"), "jitmem-executor-shutdown"));
        final CompletableFuture<String> exit = new CompletableFuture<>();
        server.primaryLost().thenRun(() -> exit.complete("controller disconnected"));
        if (options.exitWithParent)
        {
            watchParent(exit);
        }
        System.out.println("jitmem-executor ready pid=" + server.executor().pid() + " " + server.endpoint() +
            " pageSize=" + server.executor().pageSize());
        System.out.flush();
        ending.end(exit.join());
        return 0;
    }

    /**
     * How the executor ends once its controller or parent is gone, or on SIGTERM: it closes the server (providers
     * release everything, dealloc actions run) when the calls still running finish within {@link #GRACE_NANOS};
     * otherwise, or once that is done, it removes its socket and directory and halts. Running JIT'd code never
     * returns to be waited for, and a graceful exit with it would never end.
     */
    private static final class Ending
    {
        private final ChannelServer server;
        private final PrivateDirectory directory;
        private final AtomicBoolean started = new AtomicBoolean();

        Ending(final ChannelServer server, final PrivateDirectory directory)
        {
            this.server = server;
            this.directory = directory;
        }

        /**
         * Ends the process; never returns. Only the first caller closes the server, later ones wait for the halt.
         *
         * @param reason why, for the last line on standard error
         */
        void end(final String reason)
        {
            if (!started.compareAndSet(false, true))
            {
                while (true)
                {
                    LockSupport.park(this);
                }
            }
            final Thread deadline = new Thread(() ->
            {
                final long until = System.nanoTime() + GRACE_NANOS;
                for (long left = GRACE_NANOS; left > 0; left = until - System.nanoTime())
                {
                    LockSupport.parkNanos(this, left);
                }
                halt(reason + " (calls still running)");
            }, "jitmem-executor-halt");
            deadline.setDaemon(true);
            deadline.start();
            server.close();
            halt(reason);
        }

        /** The minimum that cannot block: the socket and the directory go, the kernel releases the rest. */
        private void halt(final String reason)
        {
            server.removeSocket();
            if (directory != null)
            {
                directory.remove();
            }
            System.err.println("jitmem-executor exiting: reason=" + reason);
            System.err.flush();
            Runtime.getRuntime().halt(0);
        }
    }

    /** @return the socket's directory to remove at exit, or null when the option is off */
    private static PrivateDirectory claimDirectory(final ChannelServer server, final Options options)
    {
        if (!options.removeDirectoryOnExit)
        {
            return null;
        }
        try
        {
            return PrivateDirectory.claim(server.socketPath());
        }
        catch (final RuntimeException ex)
        {
            server.close();
            throw ex;
        }
    }

    private static List<ExecutorFunctionProvider> createProviders(
        final List<ServiceLoader.Provider<ExecutorFunctionProvider>> discovered, final ExecutorInfo executor)
    {
        final List<ExecutorFunctionProvider> created = new ArrayList<>(discovered.size() + 1);
        try
        {
            final List<String> names = new ArrayList<>();
            for (final ServiceLoader.Provider<ExecutorFunctionProvider> provider : discovered)
            {
                final ExecutorFunctionProvider instance = provider.get();
                created.add(instance);
                names.addAll(instance.functions().keySet());
            }
            created.add(new BuiltinFunctions(executor, names));
            return created;
        }
        catch (final RuntimeException | ServiceConfigurationError ex)
        {
            for (int i = created.size() - 1; i >= 0; i--)
            {
                try
                {
                    created.get(i).close();
                }
                catch (final RuntimeException closeFailure)
                {
                    ex.addSuppressed(closeFailure);
                }
            }
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, "cannot create executor functions: " + ex,
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
    }

    private static void watchParent(final CompletableFuture<String> exit)
    {
        final Thread stdin = new Thread(() ->
        {
            final byte[] sink = new byte[256];
            try (InputStream in = System.in)
            {
                int read;
                do
                {
                    read = in.read(sink);
                }
                while (read >= 0);
            }
            catch (final IOException ex)
            {
                exit.complete("standard input failed: " + ex);
            }
            exit.complete("standard input closed");
        }, "jitmem-executor-stdin");
        stdin.setDaemon(true);
        stdin.start();
        ProcessHandle.current().parent().ifPresentOrElse(
            parent -> parent.onExit().thenRun(() -> exit.complete("parent exited: pid=" + parent.pid())),
            () -> exit.complete("no parent process"));
    }

    /** What --listen and its options say; the stores are read when the executor starts. */
    private record Listen(InetSocketAddress address, Path keyStore, Path keyStorePasswordFile, Path trustStore,
        Path trustStorePasswordFile, boolean plaintext, int maxConnections, long handshakeMillis,
        long heartbeatIntervalMillis, long heartbeatTimeoutMillis, long releaseGraceMillis)
    {
        TcpListenOptions toOptions()
        {
            final TcpListenOptions.Builder builder = TcpListenOptions.builder(address)
                .maxConnections(maxConnections)
                .handshakeTimeout(Duration.ofMillis(handshakeMillis))
                .heartbeat(Duration.ofMillis(heartbeatIntervalMillis), Duration.ofMillis(heartbeatTimeoutMillis))
                .releaseGrace(Duration.ofMillis(releaseGraceMillis));
            if (plaintext)
            {
                return builder.plaintextOnLoopback().build();
            }
            return builder.tls(TlsStores.context(keyStore, password(keyStorePasswordFile, KEY_STORE_PASSWORD_VARIABLE),
                trustStore, password(trustStorePasswordFile, TRUST_STORE_PASSWORD_VARIABLE))).build();
        }

        private static char[] password(final Path file, final String variable)
        {
            return file != null ? TlsStores.passwordFromFile(file) : TlsStores.passwordFromEnvironment(variable);
        }
    }

    /** Parsed command line. */
    private record Options(Path socket, Listen listen, boolean exitWithParent, boolean removeDirectoryOnExit,
        int maxFrameSize, int workers)
    {
        /** @return the options, or null when help was asked for */
        static Options parse(final String[] args)
        {
            Path socket = null;
            boolean exitWithParent = false;
            boolean removeDirectoryOnExit = false;
            int maxFrameSize = 0;
            int workers = DEFAULT_WORKERS;
            InetSocketAddress listen = null;
            Path keyStore = null;
            Path keyStorePasswordFile = null;
            Path trustStore = null;
            Path trustStorePasswordFile = null;
            boolean plaintext = false;
            int maxConnections = TcpListenOptions.DEFAULT_MAX_CONNECTIONS;
            long handshakeMillis = TcpListenOptions.DEFAULT_HANDSHAKE_TIMEOUT.toMillis();
            long heartbeatIntervalMillis = TcpListenOptions.DEFAULT_HEARTBEAT_INTERVAL.toMillis();
            long heartbeatTimeoutMillis = TcpListenOptions.DEFAULT_HEARTBEAT_TIMEOUT.toMillis();
            long releaseGraceMillis = TcpListenOptions.DEFAULT_RELEASE_GRACE.toMillis();
            for (int i = 0; i < args.length; i++)
            {
                switch (args[i])
                {
                    case "--socket" -> socket = Path.of(value(args, ++i));
                    case "--listen" -> listen = address(args, ++i);
                    case "--key-store" -> keyStore = Path.of(value(args, ++i));
                    case "--key-store-password-file" -> keyStorePasswordFile = Path.of(value(args, ++i));
                    case "--trust-store" -> trustStore = Path.of(value(args, ++i));
                    case "--trust-store-password-file" -> trustStorePasswordFile = Path.of(value(args, ++i));
                    case "--plaintext-on-loopback" -> plaintext = true;
                    case "--max-connections" -> maxConnections = number(args, ++i);
                    case "--handshake-timeout-ms" -> handshakeMillis = number(args, ++i);
                    case "--heartbeat-interval-ms" -> heartbeatIntervalMillis = number(args, ++i);
                    case "--heartbeat-timeout-ms" -> heartbeatTimeoutMillis = number(args, ++i);
                    case "--release-grace-ms" -> releaseGraceMillis = number(args, ++i);
                    case "--exit-with-parent" -> exitWithParent = true;
                    case "--remove-directory-on-exit" -> removeDirectoryOnExit = true;
                    case "--max-frame-size" -> maxFrameSize = number(args, ++i);
                    case "--workers" -> workers = number(args, ++i);
                    case "--help", "-h" ->
                    {
                        return null;
                    }
                    default -> throw new IllegalArgumentException("unknown option: option=" + args[i]);
                }
            }
            if ((socket == null) == (listen == null))
            {
                throw new IllegalArgumentException("exactly one of --socket and --listen is needed");
            }
            if (maxFrameSize == 0)
            {
                maxFrameSize = listen == null ? Protocol.DEFAULT_MAX_FRAME_SIZE : Protocol.DEFAULT_TCP_MAX_FRAME_SIZE;
            }
            if (maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE || workers < 1)
            {
                throw new IllegalArgumentException("option out of range: maxFrameSize=" + maxFrameSize + " min=" +
                    Protocol.MIN_MAX_FRAME_SIZE + " workers=" + workers);
            }
            final Listen tcp = listen == null ? null : new Listen(listen, keyStore, keyStorePasswordFile, trustStore,
                trustStorePasswordFile, plaintext, maxConnections, handshakeMillis, heartbeatIntervalMillis,
                heartbeatTimeoutMillis, releaseGraceMillis);
            if (tcp != null)
            {
                checkListen(tcp, removeDirectoryOnExit);
            }
            return new Options(socket, tcp, exitWithParent, removeDirectoryOnExit, maxFrameSize, workers);
        }

        private static void checkListen(final Listen listen, final boolean removeDirectoryOnExit)
        {
            if (removeDirectoryOnExit)
            {
                throw new IllegalArgumentException("--remove-directory-on-exit goes with --socket only");
            }
            if (listen.plaintext())
            {
                if (listen.keyStore() != null || listen.trustStore() != null)
                {
                    throw new IllegalArgumentException("--plaintext-on-loopback takes no stores");
                }
                if (listen.address().getAddress() == null || !listen.address().getAddress().isLoopbackAddress())
                {
                    throw new IllegalArgumentException("plaintext is allowed on a loopback address only: listen=" +
                        listen.address());
                }
                return;
            }
            if (listen.keyStore() == null || listen.trustStore() == null)
            {
                throw new IllegalArgumentException("listening on TCP needs TLS: missing option=" +
                    (listen.keyStore() == null ? "--key-store" : "--trust-store"));
            }
            if (listen.keyStorePasswordFile() == null && System.getenv(KEY_STORE_PASSWORD_VARIABLE) == null)
            {
                throw new IllegalArgumentException("no key store password: give --key-store-password-file or set " +
                    KEY_STORE_PASSWORD_VARIABLE);
            }
            if (listen.trustStorePasswordFile() == null && System.getenv(TRUST_STORE_PASSWORD_VARIABLE) == null)
            {
                throw new IllegalArgumentException("no trust store password: give --trust-store-password-file or set " +
                    TRUST_STORE_PASSWORD_VARIABLE);
            }
            if (listen.maxConnections() < 1 || listen.handshakeMillis() < 1 || listen.heartbeatIntervalMillis() < 1 ||
                listen.heartbeatTimeoutMillis() <= listen.heartbeatIntervalMillis() || listen.releaseGraceMillis() < 0)
            {
                throw new IllegalArgumentException("option out of range: maxConnections=" + listen.maxConnections() +
                    " handshakeTimeoutMs=" + listen.handshakeMillis() + " heartbeatIntervalMs=" +
                    listen.heartbeatIntervalMillis() + " heartbeatTimeoutMs=" + listen.heartbeatTimeoutMillis() +
                    " (longer than the interval) releaseGraceMs=" + listen.releaseGraceMillis());
            }
        }

        private static InetSocketAddress address(final String[] args, final int index)
        {
            final String text = value(args, index);
            final int colon = text.lastIndexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException("not host:port: option=--listen value=" + text);
            }
            final String host = text.substring(0, colon).replace("[", "").replace("]", "");
            final int port = number(args, index, text.substring(colon + 1));
            if (port < 0 || port > 65535)
            {
                throw new IllegalArgumentException("port out of range: option=--listen value=" + text);
            }
            final InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved())
            {
                throw new IllegalArgumentException("unknown host: option=--listen value=" + text);
            }
            return address;
        }

        private static String value(final String[] args, final int index)
        {
            if (index >= args.length)
            {
                throw new IllegalArgumentException("missing value: option=" + args[index - 1]);
            }
            return args[index];
        }

        private static int number(final String[] args, final int index)
        {
            return number(args, index, value(args, index));
        }

        private static int number(final String[] args, final int index, final String text)
        {
            try
            {
                return Integer.parseInt(text);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a number: option=" + args[index - 1] + " value=" + text, ex);
            }
        }
    }
}
