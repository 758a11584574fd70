package org.jitmem.channel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

/**
 * TLS 1.3 contexts for TCP channels, built from PKCS#12 stores: the key store holds this end's key and certificate
 * chain, the trust store the certificate authorities whose certificates the peer must present. Passwords come from
 * files or the environment, never from a command line.
 */
public final class TlsStores
{
    /** The only protocol TCP channels speak. */
    public static final String PROTOCOL = "TLSv1.3";

    private TlsStores()
    {
    }

    /**
     * @param keyStore           PKCS#12 file with this end's private key and certificate chain
     * @param keyStorePassword   its password (also the key's); cleared by this method
     * @param trustStore         PKCS#12 file with the trusted certificate authorities
     * @param trustStorePassword its password; cleared by this method
     * @return a TLS 1.3 context that presents the key and trusts only the trust store's authorities
     * @throws InvalidRequestException when a store cannot be read or holds nothing usable
     */
    public static SSLContext context(final Path keyStore, final char[] keyStorePassword, final Path trustStore,
        final char[] trustStorePassword)
    {
        try
        {
            final KeyStore keys = load(keyStore, keyStorePassword);
            final KeyStore trusted = load(trustStore, trustStorePassword);
            if (trusted.size() == 0)
            {
                throw invalid("trust store holds no certificate: trustStore=" + trustStore, null);
            }
            final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, keyStorePassword);
            final TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(
                TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trusted);
            final SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            return context;
        }
        catch (final GeneralSecurityException ex)
        {
            throw invalid("cannot build a TLS context: keyStore=" + keyStore + " trustStore=" + trustStore + " " + ex,
                ex);
        }
        finally
        {
            Arrays.fill(keyStorePassword, '\0');
            Arrays.fill(trustStorePassword, '\0');
        }
    }

    /**
     * @param file a file whose first line is the password (a trailing line break is not part of it)
     * @return the password
     * @throws InvalidRequestException when the file cannot be read
     */
    public static char[] passwordFromFile(final Path file)
    {
        try
        {
            final String text = Files.readString(file, StandardCharsets.UTF_8);
            final int end = text.indexOf('\n');
            final String line = end < 0 ? text : text.substring(0, end);
            return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
        }
        catch (final IOException ex)
        {
            throw invalid("cannot read password file: file=" + file + " " + ex, ex);
        }
    }

    /**
     * @param variable name of an environment variable
     * @return its value, or null when it is not set
     */
    public static char[] passwordFromEnvironment(final String variable)
    {
        final String value = System.getenv(variable);
        return value == null ? null : value.toCharArray();
    }

    private static KeyStore load(final Path file, final char[] password) throws GeneralSecurityException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        }
        catch (final IOException ex)
        {
            throw invalid("cannot read PKCS#12 store: file=" + file + " " + ex, ex);
        }
    }

    private static InvalidRequestException invalid(final String reason, final Throwable cause)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN, cause);
    }
}
