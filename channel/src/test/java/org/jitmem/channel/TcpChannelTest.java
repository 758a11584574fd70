package org.jitmem.channel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.ExecutorUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The controller's end over TCP (plaintext on loopback, so that the test can play a misbehaving executor): an
 * executor that keeps sending heartbeats but reads nothing is given up once a write has waited for the heartbeat
 * timeout, and the calls stuck behind it fail with {@link ExecutorUnavailableException}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class TcpChannelTest
{
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(1);
    private static final long FAILS_WITHIN_SECONDS = 30;

    @Test
    void executorThatReadsNothingIsGivenUp() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final Thread executor = new Thread(() -> helloThenHeartbeatsOnly(server), "deaf-executor");
            executor.setDaemon(true);
            executor.start();
            final SocketExecutorChannel channel = TcpConnectOptions.builder("127.0.0.1", server.getLocalPort())
                .plaintextOnLoopback()
                .heartbeat(Duration.ofMillis(100), HEARTBEAT_TIMEOUT)
                .build()
                .connect();
            try
            {
                assertFalse(channel.hasLane());
                final byte[] argument = new byte[1 << 20];
                CompletableFuture<byte[]> last = null;
                while (channel.isOpen())
                {
                    // each call writes a megabyte no one reads, until the socket's buffers are full and one waits
                    last = channel.call("executor.ping", argument).toCompletableFuture();
                }
                final CompletableFuture<byte[]> stuck = last;
                final ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> stuck.get(FAILS_WITHIN_SECONDS, TimeUnit.SECONDS));
                assertInstanceOf(ExecutorUnavailableException.class, failure.getCause());
                final Throwable reason = channel.closed().toCompletableFuture().get(FAILS_WITHIN_SECONDS,
                    TimeUnit.SECONDS);
                assertInstanceOf(ExecutorUnavailableException.class, reason);
                assertTrue(reason.getMessage().contains("executor reads nothing"), reason.getMessage());
            }
            finally
            {
                channel.close();
            }
        }
    }

    private static void helloThenHeartbeatsOnly(final ServerSocket server)
    {
        try (Socket socket = server.accept())
        {
            final DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            final byte[] hello = Protocol.encodeHello(new ExecutorInfo(Protocol.VERSION, 1, 4096, "test", "test"),
                Protocol.DEFAULT_MAX_FRAME_SIZE);
            frame(out, Protocol.HELLO, hello);
            while (true)
            {
                frame(out, Protocol.HEARTBEAT, Protocol.EMPTY);
                Thread.sleep(100);
            }
        }
        catch (final IOException | InterruptedException ex)
        {
            // the controller closed the connection
        }
    }

    private static void frame(final DataOutputStream out, final byte type, final byte[] payload) throws IOException
    {
        out.writeInt(Protocol.HEADER_SIZE - Integer.BYTES + payload.length);
        out.writeByte(type);
        out.writeLong(0);
        out.write(payload);
        out.flush();
    }
}
