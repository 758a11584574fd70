package org.jitmem.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.jitmem.channel.TlsStores;

/**
 * Certificates made with the JDK's {@code keytool} for a test run, in a fresh directory: a certificate authority,
 * the executor's and the controller's keys signed by it with {@code -gencert}, an expired controller certificate
 * (signed by the same authority with {@code -startdate} in the past), a controller certificate from an unknown
 * authority, and a self-signed one. Every store is PKCS#12 with the password in {@link #passwordFile()}. Also a
 * program, for benchmarks: {@code TestCertificates <empty directory>} makes them there.
 */
public final class TestCertificates
{
    /** The store password, also written to {@link #passwordFile()}. */
    public static final String PASSWORD = "jitmem-test-password";
    private static final long KEYTOOL_TIMEOUT_SECONDS = 60;

    private final Path directory;
    private final List<String> executorAddresses;

    private TestCertificates(final Path directory, final List<String> executorAddresses)
    {
        this.directory = directory;
        this.executorAddresses = executorAddresses;
    }

    /**
     * @param directory         an empty directory
     * @param executorAddresses IP addresses the executor's certificate names, beside localhost and 127.0.0.1
     * @return the certificates, made
     * @throws Exception when keytool fails
     */
    public static TestCertificates create(final Path directory, final String... executorAddresses) throws Exception
    {
        final TestCertificates certificates = new TestCertificates(directory, List.of(executorAddresses));
        certificates.make();
        return certificates;
    }

    /**
     * @param directory where {@link #create} or {@link #main} made them earlier
     * @return those certificates, not made again
     */
    public static TestCertificates in(final Path directory)
    {
        return new TestCertificates(directory, List.of());
    }

    /**
     * Makes the certificates in a directory.
     *
     * @param args the directory, created when missing
     * @throws Exception when keytool fails
     */
    public static void main(final String[] args) throws Exception
    {
        if (args.length != 1)
        {
            throw new IllegalArgumentException("usage: TestCertificates <directory>");
        }
        create(Files.createDirectories(Path.of(args[0])));
    }

    private void make() throws Exception
    {
        Files.writeString(passwordFile(), PASSWORD + "\n", StandardCharsets.UTF_8);
        authority("ca", "CN=jitmem test CA");
        authority("rogue-ca", "CN=jitmem unknown CA");
        keytool("-importcert", "-noprompt", "-keystore", store("trust"), "-alias", "ca", "-file", pem("ca"));
        final StringBuilder names = new StringBuilder("san=dns:localhost,ip:127.0.0.1");
        executorAddresses.forEach(address -> names.append(",ip:").append(address));
        signed("executor", "ca", "CN=jitmem executor", names.toString());
        signed("controller", "ca", "CN=jitmem controller", null);
        signed("expired", "ca", "CN=jitmem controller", null, "-startdate", "-10d", "-validity", "1");
        signed("unknown-ca", "rogue-ca", "CN=jitmem controller", null);
        keypair("self-signed", "CN=jitmem controller");
    }

    /** @return the file holding {@link #PASSWORD} */
    public Path passwordFile()
    {
        return directory.resolve("password");
    }

    /** @return the trust store: the test authority only */
    public Path trustStore()
    {
        return directory.resolve("trust.p12");
    }

    /**
     * @param name executor, controller, expired, unknown-ca or self-signed
     * @return that key store
     */
    public Path keyStore(final String name)
    {
        return directory.resolve(name + ".p12");
    }

    /**
     * @param name a key store's name, see {@link #keyStore}
     * @return a TLS context presenting that key and trusting the test authority
     */
    public SSLContext context(final String name)
    {
        return TlsStores.context(keyStore(name), PASSWORD.toCharArray(), trustStore(), PASSWORD.toCharArray());
    }

    /**
     * @param more further executor options
     * @return executor options that listen with the executor's key and the test authority, then {@code more}
     */
    public List<String> executorTlsOptions(final String... more)
    {
        final List<String> options = new ArrayList<>(List.of("--key-store", keyStore("executor").toString(),
            "--key-store-password-file", passwordFile().toString(), "--trust-store", trustStore().toString(),
            "--trust-store-password-file", passwordFile().toString()));
        options.addAll(List.of(more));
        return options;
    }

    private void authority(final String name, final String subject) throws Exception
    {
        keypair(name, subject, "-ext", "bc:c");
        keytool("-exportcert", "-rfc", "-keystore", store(name), "-alias", name, "-file", pem(name));
    }

    private void keypair(final String name, final String subject, final String... more) throws Exception
    {
        final List<String> arguments = new ArrayList<>(List.of("-genkeypair", "-keystore", store(name), "-alias", name,
            "-keyalg", "EC", "-groupname", "secp256r1", "-dname", subject, "-validity", "30"));
        arguments.addAll(List.of(more));
        keytool(arguments.toArray(String[]::new));
    }

    private void signed(final String name, final String authority, final String subject, final String names,
        final String... validity) throws Exception
    {
        keypair(name, subject);
        final String request = directory.resolve(name + ".csr").toString();
        keytool("-certreq", "-keystore", store(name), "-alias", name, "-file", request);
        final List<String> arguments = new ArrayList<>(List.of("-gencert", "-rfc", "-keystore", store(authority),
            "-alias", authority, "-infile", request, "-outfile", pem(name), "-ext", "eku=serverAuth,clientAuth"));
        if (names != null)
        {
            arguments.addAll(List.of("-ext", names));
        }
        arguments.addAll(validity.length == 0 ? List.of("-validity", "30") : List.of(validity));
        keytool(arguments.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-keystore", store(name), "-alias", authority, "-file", pem(authority));
        keytool("-importcert", "-keystore", store(name), "-alias", name, "-file", pem(name));
    }

    private String store(final String name)
    {
        return keyStore(name).toString();
    }

    private String pem(final String name)
    {
        return directory.resolve(name + ".pem").toString();
    }

    private void keytool(final String... arguments) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output;
        try
        {
            process.getOutputStream().close();
            if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                throw new IOException("keytool did not finish: " + command);
            }
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        finally
        {
            process.destroyForcibly();
        }
        if (process.exitValue() != 0)
        {
            throw new IOException("keytool failed: exit=" + process.exitValue() + " command=" + command + "\n" + output);
        }
    }
}
