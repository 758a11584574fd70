package org.jitmem.container;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The Web Console of the shell container: Felix HTTP Jetty bound to 127.0.0.1 only, on the port of the system property
 * {@value #PORT} (default {@value #DEFAULT_PORT}, 0 for any free one), and the Web Console's credentials, which are
 * never its well-known default: the system properties {@value #USERNAME} and {@value #PASSWORD}, else the file
 * {@value #CREDENTIALS_FILE} in the state directory, else generated at the first start into that file (mode 0600,
 * the password hashed as the Web Console accepts it) and printed that once. Both reach Jetty and the Web Console
 * through Config Admin; until then Felix HTTP opens no port (the bndrun disables it), so the Web Console never
 * listens with its default credentials.
 */
final class WebConsoleAccess
{
    /** System property with the port; 0 takes any free one. */
    static final String PORT = "jitmem.webconsole.port";
    /** The port when none is set. */
    static final int DEFAULT_PORT = 8088;
    /** System property with the user name. */
    static final String USERNAME = "jitmem.webconsole.username";
    /** System property with the password, plain or hashed as the Web Console accepts it. */
    static final String PASSWORD = "jitmem.webconsole.password";
    /** The credentials file in the state directory: {@code username} and {@code password}. */
    static final String CREDENTIALS_FILE = "webconsole.properties";
    /** The Web Console's root and the jitmem page's label. */
    static final String PAGE = "system/console/jitmem";
    /** Felix HTTP's bundle, whose start level in the bndrun is above the framework's until the shell lowers it. */
    static final String HTTP_BUNDLE = "org.apache.felix.http.jetty";
    /** Felix HTTP's configuration. */
    static final String HTTP_PID = "org.apache.felix.http";
    /** The Web Console's configuration. */
    static final String WEBCONSOLE_PID = "org.apache.felix.webconsole.internal.servlet.OsgiManager";

    private static final String HOST = "127.0.0.1";
    private static final String GENERATED_USER = "jitmem";
    private static final int PASSWORD_BYTES = 15;
    private static final int SALT_BYTES = 8;
    private static final int HASH_ITERATIONS = 1000;
    private static final long ANNOUNCE_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(10);
    private static final String ENDPOINT = "osgi.http.endpoint";
    private static final String HTTP_RUNTIME = "(objectClass=org.osgi.service.http.runtime.HttpServiceRuntime)";

    private WebConsoleAccess()
    {
    }

    /**
     * Configures the Web Console's credentials, then Felix HTTP on 127.0.0.1 (Config Admin delivers the two
     * configurations in this order), then lowers Felix HTTP's bundle to the framework's start level, which starts it.
     *
     * @param context        a bundle context, to reach the framework's start level
     * @param configurations Config Admin
     * @param stateDirectory the container's state directory
     * @param out            where the generated credentials are printed, once
     */
    static void enable(final BundleContext context, final ConfigurationAdmin configurations,
        final Path stateDirectory, final PrintStream out)
    {
        final Map<String, String> settings = settings(stateDirectory, out);
        final Dictionary<String, Object> console = new Hashtable<>();
        console.put("username", settings.get("felix.webconsole.username"));
        console.put("password", settings.get("felix.webconsole.password"));
        final Dictionary<String, Object> http = new Hashtable<>();
        settings.forEach((key, value) ->
        {
            if (key.startsWith("org.apache.felix.http") || key.startsWith("org.osgi.service.http"))
            {
                http.put(key, value);
            }
        });
        try
        {
            configurations.getConfiguration(WEBCONSOLE_PID, "?").update(console);
            configurations.getConfiguration(HTTP_PID, "?").update(http);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot configure the Web Console: " + ex.getMessage(), ex);
        }
        final int active = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkStartLevel.class)
            .getStartLevel();
        for (final Bundle bundle : context.getBundles())
        {
            if (HTTP_BUNDLE.equals(bundle.getSymbolicName()))
            {
                bundle.adapt(BundleStartLevel.class).setStartLevel(active);
            }
        }
    }

    /**
     * @param stateDirectory the container's state directory
     * @param out            where the generated credentials are printed, once
     * @return Jetty's address and the Web Console's credentials, by their framework property names
     */
    static Map<String, String> settings(final Path stateDirectory, final PrintStream out)
    {
        final String port = System.getProperty(PORT, String.valueOf(DEFAULT_PORT));
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65_535)
        {
            throw new IllegalArgumentException("invalid Web Console port: " + PORT + "=" + port);
        }
        final Properties credentials = credentials(stateDirectory, out);
        return Map.of("org.apache.felix.http.enable", "true",
            "org.osgi.service.http.port", port,
            "org.apache.felix.http.host", HOST,
            "org.apache.felix.https.enable", "false",
            "felix.webconsole.username", credentials.getProperty("username"),
            "felix.webconsole.password", credentials.getProperty("password"));
    }

    /**
     * Prints the address Jetty listens on, once it is known (a free port is chosen only when Jetty starts).
     *
     * @param context the system bundle's context
     * @param out     where the address is printed
     */
    static void announce(final BundleContext context, final PrintStream out)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ANNOUNCE_TIMEOUT_MILLIS);
        while (System.nanoTime() < deadline)
        {
            final String endpoint = endpoint(context);
            if (endpoint != null)
            {
                out.println("jitmem: Web Console at " + endpoint + (endpoint.endsWith("/") ? "" : "/") + PAGE);
                return;
            }
            try
            {
                Thread.sleep(50);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
        out.println("jitmem: the Web Console's HTTP service did not start within " + ANNOUNCE_TIMEOUT_MILLIS + " ms");
    }

    private static String endpoint(final BundleContext context)
    {
        try
        {
            final ServiceReference<?>[] references = context.getServiceReferences((String)null, HTTP_RUNTIME);
            if (references == null)
            {
                return null;
            }
            final Object value = references[0].getProperty(ENDPOINT);
            final String endpoint = value instanceof String[] array ? (array.length == 0 ? null : array[0]) :
                value instanceof String text ? text : null;
            return endpoint == null || endpoint.matches(".*:0/?$") ? null : endpoint;
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException("filter: " + ex.getMessage(), ex);
        }
    }

    private static Properties credentials(final Path stateDirectory, final PrintStream out)
    {
        final Properties credentials = new Properties();
        final String username = System.getProperty(USERNAME);
        final String password = System.getProperty(PASSWORD);
        if (username != null || password != null)
        {
            if (username == null || username.isEmpty() || password == null || password.isEmpty())
            {
                throw new IllegalArgumentException("set both " + USERNAME + " and " + PASSWORD + ", or neither");
            }
            credentials.setProperty("username", username);
            credentials.setProperty("password", password.startsWith("{") ? password : hash(password));
            return credentials;
        }
        final Path file = stateDirectory.resolve(CREDENTIALS_FILE);
        if (Files.exists(file))
        {
            try (InputStream in = Files.newInputStream(file))
            {
                credentials.load(in);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot read the Web Console credentials: file=" + file, ex);
            }
            if (credentials.getProperty("username", "").isEmpty() || credentials.getProperty("password", "").isEmpty())
            {
                throw new IllegalArgumentException("the Web Console credentials need username and password: file=" +
                    file);
            }
            return credentials;
        }
        final byte[] random = new byte[PASSWORD_BYTES];
        new SecureRandom().nextBytes(random);
        final String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        credentials.setProperty("username", GENERATED_USER);
        credentials.setProperty("password", hash(generated));
        write(file, credentials);
        out.println("jitmem: Web Console credentials generated: user " + GENERATED_USER + ", password " + generated +
            " (printed only now; stored hashed in " + file + ")");
        return credentials;
    }

    private static void write(final Path file, final Properties credentials)
    {
        try
        {
            final Path temporary = Files.createTempFile(file.getParent(), CREDENTIALS_FILE, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream stream = Files.newOutputStream(temporary))
            {
                credentials.store(stream, "Web Console credentials; password plain or {sha-256}salt-iterations-hash");
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the Web Console credentials: file=" + file, ex);
        }
    }

    /**
     * @param password a plain password
     * @return it salted and hashed in the Web Console's form: {@code {sha-256}salt-iterations-base64}, the digest
     *     applied {@code iterations} times to the salt followed by the password
     */
    static String hash(final String password)
    {
        final byte[] saltBytes = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(saltBytes);
        final String salt = HexFormat.of().formatHex(saltBytes);
        try
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = (salt + password).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < HASH_ITERATIONS; i++)
            {
                digest.reset();
                hash = digest.digest(hash);
            }
            return "{sha-256}" + salt + "-" + HASH_ITERATIONS + "-" + Base64.getEncoder().encodeToString(hash);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 missing: " + ex.getMessage(), ex);
        }
    }
}
