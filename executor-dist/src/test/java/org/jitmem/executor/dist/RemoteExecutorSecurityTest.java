package org.jitmem.executor.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.channel.Protocol;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.channel.TcpConnectOptions;
import org.jitmem.channel.TlsStores;
import org.jitmem.executor.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor listening on TCP with mutual TLS, as a real process: every peer without a trusted, valid certificate
 * is refused in the handshake with one log line, frames that break the protocol close their connection with one log
 * line, a flood of connections is bounded, and through it all a good controller is served.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class RemoteExecutorSecurityTest
{
    private static final int MAX_CONNECTIONS = 4;
    private static final int FLOOD = 200;
    private static final int MAX_FRAME_SIZE = 65536;
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final String REFUSED = "connection refused, handshake failed";

    @TempDir
    static Path tmp;
    private static TestCertificates certificates;
    private static ListeningExecutor executor;

    @BeforeAll
    static void startExecutor() throws Exception
    {
        certificates = TestCertificates.create(java.nio.file.Files.createDirectories(tmp.resolve("certificates")));
        executor = ListeningExecutor.start(List.of(), "127.0.0.1:0", tmp.resolve("executor.err"),
            certificates.executorTlsOptions("--max-connections", Integer.toString(MAX_CONNECTIONS),
                "--handshake-timeout-ms", "1000", "--max-frame-size", Integer.toString(MAX_FRAME_SIZE)));
    }

    @AfterAll
    static void stopExecutor() throws Exception
    {
        if (executor != null)
        {
            executor.close();
        }
    }

    @Test
    void trustedControllerIsServedAndLearnsPidAndHost()
    {
        try (SocketExecutorChannel channel = connect("controller"))
        {
            assertEquals(executor.process().pid(), channel.executor().pid());
            assertEquals("127.0.0.1", channel.executor().host());
            assertEquals(null, channel.socketPath());
            assertFalse(channel.hasLane(), "no lane across machines");
            final byte[] echo = "over TLS".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(echo, MemoryMapper.await(channel.call("executor.ping", echo)));
        }
    }

    @Test
    void expiredUnknownAuthoritySelfSignedAndMissingCertificatesAreRefusedInTheHandshake() throws Exception
    {
        final long before = executor.countLines(REFUSED);
        for (final String name : List.of("expired", "unknown-ca", "self-signed"))
        {
            assertThrows(ExecutorUnavailableException.class, () -> connect(name).close(), name);
        }
        assertThrows(ExecutorUnavailableException.class, () -> TcpConnectOptions.builder("127.0.0.1",
            executor.port()).tls(trustOnly()).build().connect().close(), "no certificate at all");
        executor.await(() -> executor.countLines(REFUSED) >= before + 4, "one refusal line per peer");
        stillServesAGoodController();
    }

    @Test
    void plaintextClientIsRefusedBeforeAnyFunctionRuns() throws Exception
    {
        final long before = executor.countLines(REFUSED);
        try (Socket plain = new Socket())
        {
            plain.connect(new InetSocketAddress("127.0.0.1", executor.port()));
            plain.setSoTimeout((int)TimeUnit.NANOSECONDS.toMillis(WAIT_NANOS));
            final DataOutputStream out = new DataOutputStream(plain.getOutputStream());
            boolean closed;
            try
            {
                writeCall(out, "executor.ping", new byte[8]);
                closed = drainsToEnd(plain.getInputStream());
            }
            catch (final SocketException refusedWhileWriting)
            {
                closed = true; // the executor may close on the first bytes, before the call is written whole
            }
            assertTrue(closed, "the executor closes a plaintext connection");
        }
        executor.await(() -> executor.countLines(REFUSED) >= before + 1, "a refusal line");
        stillServesAGoodController();
    }

    @Test
    void garbledAndOversizedFramesAfterTheHandshakeCloseTheirConnection() throws Exception
    {
        final String closed = "reason=frame length out of range";
        final long before = executor.countLines(closed);
        try (SSLSocket garbled = handshaken())
        {
            final byte[] noise = new byte[64];
            java.util.Arrays.fill(noise, (byte)0xA7);
            garbled.getOutputStream().write(noise);
            garbled.getOutputStream().flush();
            assertTrue(drainsToEnd(garbled.getInputStream()), "garbled frame: connection closed");
        }
        try (SSLSocket oversized = handshaken())
        {
            // One write, one TLS record: the executor refuses on the length alone and may close before more arrives.
            final byte[] header = java.nio.ByteBuffer.allocate(Integer.BYTES + 1 + Long.BYTES)
                .putInt(MAX_FRAME_SIZE).put(Protocol.CALL).putLong(1).array();
            boolean closedConnection;
            try
            {
                oversized.getOutputStream().write(header);
                oversized.getOutputStream().flush();
                closedConnection = drainsToEnd(oversized.getInputStream());
            }
            catch (final SocketException refusedWhileWriting)
            {
                closedConnection = true;
            }
            assertTrue(closedConnection, "oversized frame: connection closed");
        }
        executor.await(() -> executor.countLines(closed) >= before + 2, "one line per closed connection");
        stillServesAGoodController();
    }

    @Test
    void aControllerThatSendsButNeverReadsIsDisconnected() throws Exception
    {
        final String stuck = "the controller reads nothing";
        final long before = executor.countLines(stuck);
        try (SSLSocket greedy = handshaken())
        {
            final Thread sender = new Thread(() ->
            {
                try
                {
                    final DataOutputStream out = new DataOutputStream(greedy.getOutputStream());
                    final byte[] argument = new byte[MAX_FRAME_SIZE / 2];
                    while (true)
                    {
                        writeCall(out, "executor.ping", argument);
                    }
                }
                catch (final IOException ex)
                {
                    // the executor closed the connection
                }
            }, "greedy-controller");
            sender.setDaemon(true);
            sender.start();
            executor.await(() -> executor.countLines(stuck) > before, "a line naming the stuck write");
            sender.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NANOS));
        }
        stillServesAGoodController();
    }

    @Test
    void aFloodOfConnectionsIsBoundedAndPassesWithTheHandshakeTimeout() throws Exception
    {
        final long threadsBefore = executor.threads();
        final long descriptorsBefore = executor.descriptors();
        final long refusedBefore = executor.countLines("too many connections");
        final long handshakesBefore = executor.countLines(REFUSED);
        final List<Socket> flood = new ArrayList<>();
        try
        {
            for (int i = 0; i < FLOOD; i++)
            {
                final Socket socket = new Socket();
                flood.add(socket);
                socket.connect(new InetSocketAddress("127.0.0.1", executor.port()));
            }
            executor.await(() -> executor.countLines("too many connections") - refusedBefore +
                executor.countLines(REFUSED) - handshakesBefore >= FLOOD - MAX_CONNECTIONS,
                "every connection beyond the bound refused at once with a line");
            final long threadsDuring = executor.threads();
            final long descriptorsDuring = executor.descriptors();
            assertTrue(threadsDuring <= threadsBefore + MAX_CONNECTIONS + 6, "threads bounded: before=" +
                threadsBefore + " during=" + threadsDuring);
            assertTrue(descriptorsDuring <= descriptorsBefore + MAX_CONNECTIONS + 4, "descriptors bounded: before=" +
                descriptorsBefore + " during=" + descriptorsDuring);
            executor.await(() -> executor.countLines("too many connections") - refusedBefore +
                executor.countLines(REFUSED) - handshakesBefore >= FLOOD,
                "silent clients in a slot cut at the handshake timeout, with a line each");
            stillServesAGoodController();
        }
        finally
        {
            for (final Socket socket : flood)
            {
                socket.close();
            }
        }
        executor.await(() -> executor.descriptors() <= descriptorsBefore + 4, "descriptors back");
    }

    @Test
    void plaintextControllerAndPlaintextOffLoopbackAreRefused()
    {
        assertThrows(InvalidRequestException.class, () -> TcpConnectOptions.builder("192.0.2.1", 7000)
            .plaintextOnLoopback().build());
        assertThrows(InvalidRequestException.class, () -> TcpConnectOptions.builder("127.0.0.1", 7000).build());
        assertThrows(ExecutorUnavailableException.class, () -> TcpConnectOptions.builder("127.0.0.1",
            executor.port()).plaintextOnLoopback().connectTimeout(Duration.ofSeconds(5)).build().connect().close());
    }

    private static void stillServesAGoodController()
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (true)
        {
            try (SocketExecutorChannel channel = connect("controller"))
            {
                final byte[] echo = {1, 2, 3};
                assertArrayEquals(echo, MemoryMapper.await(channel.call("executor.ping", echo)));
                return;
            }
            catch (final ExecutorUnavailableException ex)
            {
                // every slot may still be taken by a flood's silent clients until their handshake timeout
                if (System.nanoTime() - deadline > 0)
                {
                    throw ex;
                }
            }
        }
    }

    private static SocketExecutorChannel connect(final String keyStore)
    {
        return TcpConnectOptions.builder("127.0.0.1", executor.port())
            .tls(certificates.context(keyStore))
            .connectTimeout(Duration.ofSeconds(10))
            .build()
            .connect();
    }

    /** @return a TLS connection with the trusted controller's key whose HELLO has been read */
    private static SSLSocket handshaken() throws IOException
    {
        final SSLSocket socket = (SSLSocket)certificates.context("controller").getSocketFactory().createSocket(
            "127.0.0.1", executor.port());
        socket.setEnabledProtocols(new String[] {TlsStores.PROTOCOL});
        socket.setSoTimeout((int)TimeUnit.NANOSECONDS.toMillis(WAIT_NANOS));
        socket.startHandshake();
        final DataInputStream in = new DataInputStream(socket.getInputStream());
        final int length = in.readInt();
        assertEquals(Protocol.HELLO, in.readByte());
        in.readFully(new byte[length - 1]);
        return socket;
    }

    private static SSLContext trustOnly() throws Exception
    {
        final KeyStore trusted = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(certificates.trustStore()))
        {
            trusted.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        final SSLContext context = SSLContext.getInstance(TlsStores.PROTOCOL);
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private static void writeCall(final DataOutputStream out, final String function, final byte[] argument)
        throws IOException
    {
        final byte[] name = function.getBytes(StandardCharsets.UTF_8);
        out.writeInt(Protocol.HEADER_SIZE - Integer.BYTES + Integer.BYTES + name.length + argument.length);
        out.writeByte(Protocol.CALL);
        out.writeLong(1);
        out.writeInt(name.length);
        out.write(name);
        out.write(argument);
        out.flush();
    }

    /** @return true when the stream ends (or is reset) before the wait is over; what comes before is skipped */
    private static boolean drainsToEnd(final InputStream in)
    {
        final byte[] sink = new byte[4096];
        try
        {
            while (in.read(sink) >= 0)
            {
                // skip the ERROR frame or TLS alert that precedes the close
            }
            return true;
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            return true;
        }
    }



}
