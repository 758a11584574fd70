package org.jitmem.executor.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.channel.Protocol;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.channel.TcpConnectOptions;
import org.jitmem.executor.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --listen} as a user meets it: no TCP without TLS stores and their passwords (a usage error), passwords from
 * the environment, plaintext only on loopback behind its flag and announced at every start.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class ExecutorListenOptionsTest
{
    @TempDir
    Path tmp;

    @Test
    void refusesToListenWithoutStoresOrPasswordsOrWithPlaintextOffLoopback() throws Exception
    {
        final Path store = tmp.resolve("any.p12");
        assertUsageError("listening on TCP needs TLS", "--listen", "127.0.0.1:0");
        assertUsageError("listening on TCP needs TLS", "--listen", "127.0.0.1:0", "--key-store", store.toString());
        assertUsageError("no key store password", "--listen", "127.0.0.1:0", "--key-store", store.toString(),
            "--trust-store", store.toString());
        assertUsageError("plaintext is allowed on a loopback address only", "--listen", "0.0.0.0:0",
            "--plaintext-on-loopback");
        assertUsageError("unknown option", "--listen", "127.0.0.1:0", "--key-store-password", "secret");
        assertUsageError("exactly one of --socket and --listen", "--listen", "127.0.0.1:0", "--socket",
            tmp.resolve("s").resolve("executor.sock").toString());
    }

    @Test
    void takesStorePasswordsFromTheEnvironment() throws Exception
    {
        final TestCertificates certificates = TestCertificates.create(Files.createDirectories(
            tmp.resolve("certificates")));
        try (ListeningExecutor executor = ListeningExecutor.start(List.of(), "127.0.0.1:0", tmp.resolve("tls.err"),
            List.of("--key-store", certificates.keyStore("executor").toString(), "--trust-store",
                certificates.trustStore().toString()),
            Map.of("JITMEM_KEY_STORE_PASSWORD", TestCertificates.PASSWORD, "JITMEM_TRUST_STORE_PASSWORD",
                TestCertificates.PASSWORD));
            SocketExecutorChannel channel = TcpConnectOptions.builder("localhost", executor.port())
                .tls(certificates.context("controller")).build().connect())
        {
            assertArrayEquals(new byte[] {5}, MemoryMapper.await(channel.call("executor.ping", new byte[] {5})));
        }
    }

    @Test
    void plaintextOnLoopbackWarnsLoudlyAndServesAPlaintextController() throws Exception
    {
        try (ListeningExecutor executor = ListeningExecutor.start(List.of(), "127.0.0.1:0",
            tmp.resolve("plain.err"), List.of("--plaintext-on-loopback"));
            SocketExecutorChannel channel = TcpConnectOptions.builder("127.0.0.1", executor.port())
                .plaintextOnLoopback().build().connect())
        {
            assertTrue(executor.errors().contains("WARNING: listening WITHOUT TLS and WITHOUT authentication"),
                executor.errors());
            assertArrayEquals(new byte[] {6}, MemoryMapper.await(channel.call("executor.ping", new byte[] {6})));
            // Over TCP the executor takes frames of up to 4 MiB by default, not the 64 MiB of a local socket.
            final byte[] large = new byte[Protocol.DEFAULT_TCP_MAX_FRAME_SIZE - (1 << 16)];
            assertArrayEquals(large, MemoryMapper.await(channel.call("executor.ping", large)));
            final byte[] tooLarge = new byte[Protocol.DEFAULT_TCP_MAX_FRAME_SIZE + 1];
            assertThrows(MemoryMapperException.class, () -> MemoryMapper.await(channel.call("executor.ping",
                tooLarge)));
            assertArrayEquals(new byte[] {7}, MemoryMapper.await(channel.call("executor.ping", new byte[] {7})));
        }
    }

    private void assertUsageError(final String message, final String... arguments) throws Exception
    {
        final Path errors = tmp.resolve("usage.err");
        Files.deleteIfExists(errors);
        final Process process = StandaloneExecutor.start(List.of(), List.of("-Xmx64m"), List.of(arguments), errors);
        try
        {
            assertTrue(process.waitFor(StandaloneExecutor.TIMEOUT_SECONDS, TimeUnit.SECONDS), "ends");
            final String text = Files.readString(errors, StandardCharsets.UTF_8);
            assertEquals(2, process.exitValue(), text);
            assertTrue(text.contains(message), text);
        }
        finally
        {
            process.destroyForcibly();
        }
    }
}
