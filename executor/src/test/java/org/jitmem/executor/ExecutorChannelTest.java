package org.jitmem.executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ActionFailedException;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.channel.Protocol;
import org.jitmem.channel.SocketExecutorChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One real executor process for the whole class, its controller connected first. */
class ExecutorChannelTest
{
    private static final int MAX_FRAME_SIZE = 1 << 20;

    @TempDir
    static Path temp;

    private static ExecutorProcess executor;
    private static SocketExecutorChannel channel;

    @BeforeAll
    static void startExecutor() throws Exception
    {
        executor = ExecutorProcess.start(temp.resolve("run").resolve("executor.sock"), List.of(),
            "--max-frame-size", Integer.toString(MAX_FRAME_SIZE));
        channel = executor.connect();
    }

    @AfterAll
    static void stopExecutor() throws Exception
    {
        channel.close();
        assertTrue(executor.process().waitFor(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, executor.process().exitValue());
        assertTrue(Files.notExists(executor.socket().getParent()), "socket directory removed");
        executor.close();
    }

    @Test
    void handshakeStatesTheChildProcess()
    {
        final ExecutorInfo info = channel.executor();
        assertEquals(executor.process().pid(), info.pid());
        assertEquals(Protocol.VERSION, info.protocolVersion());
        assertTrue(info.pageSize() > 0);
        assertEquals(System.getProperty("os.arch"), info.architecture());
        assertEquals(System.getProperty("os.name"), info.os());
        assertEquals(Long.toString(info.pid()), executor.field("pid"));
        assertEquals(Long.toString(info.pageSize()), executor.field("pageSize"));
    }

    @Test
    void socketDirectoryIsPrivate() throws Exception
    {
        final Path directory = executor.socket().getParent();
        assertEquals("rwx------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS)));
        assertEquals(Files.getOwner(temp), Files.getOwner(directory));
    }

    @Test
    void builtinFunctions() throws Exception
    {
        final byte[] argument = "ping".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(argument, call("executor.ping", argument));
        final String info = new String(call("executor.info", new byte[0]), StandardCharsets.UTF_8);
        assertTrue(info.contains("pid=" + executor.process().pid() + "\n"), info);
        assertTrue(info.contains("pageSize=" + channel.executor().pageSize() + "\n"), info);
        assertTrue(info.contains("test.echo"), info);
    }

    @Test
    void manyConcurrentCallsEachGetTheirOwnResult() throws Exception
    {
        final int threads = 8;
        final int callsPerThread = 250;
        final List<CompletableFuture<List<Runnable>>> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final int thread = t;
            senders.add(CompletableFuture.supplyAsync(() ->
            {
                final List<Runnable> checks = new ArrayList<>();
                for (int i = 0; i < callsPerThread; i++)
                {
                    final byte[] argument = argument(thread * callsPerThread + i);
                    final CompletableFuture<byte[]> reply = channel.call(i % 2 == 0 ? "test.echo" : "executor.ping",
                        argument).toCompletableFuture();
                    checks.add(() -> assertArrayEquals(argument, join(reply)));
                }
                return checks;
            }));
        }
        int checked = 0;
        for (final CompletableFuture<List<Runnable>> sender : senders)
        {
            for (final Runnable check : sender.get(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                check.run();
                checked++;
            }
        }
        assertEquals(threads * callsPerThread, checked);
    }

    @Test
    void typedErrorsArriveWithEveryField() throws Exception
    {
        final InvalidRequestException invalid = assertInstanceOf(InvalidRequestException.class, failure("test.fail"));
        assertEquals(MapperOperation.RESERVE, invalid.operation());
        assertEquals("address outside any reservation", invalid.reason());
        assertEquals(TestFunctions.FAIL_ADDRESS, invalid.address());
        assertEquals(TestFunctions.FAIL_LENGTH, invalid.length());

        final MemoryMapperException errno = failure("test.failErrno");
        assertEquals(MemoryMapperException.class, errno.getClass());
        assertEquals(MapperOperation.INITIALIZE, errno.operation());
        assertEquals("mprotect failed", errno.reason());
        assertEquals(TestFunctions.FAIL_ADDRESS, errno.address());
        assertEquals(TestFunctions.FAIL_LENGTH, errno.length());
        assertEquals(TestFunctions.FAIL_ERRNO, errno.errno());

        final ActionFailedException action = assertInstanceOf(ActionFailedException.class,
            failure("test.failAction"));
        assertEquals(MapperOperation.INITIALIZE, action.operation());
        assertEquals(TestFunctions.FAIL_ACTION_INDEX, action.actionIndex());
        assertEquals(TestFunctions.FAIL_ACTION_FUNCTION, action.address());
        assertEquals(TestFunctions.FAIL_ACTION_RESULT, action.result());

        final MemoryMapperException joined = failure("test.failJoined");
        assertInstanceOf(InvalidRequestException.class, joined);
        assertEquals(1, joined.getSuppressed().length);
        final MemoryRevokedException revoked = assertInstanceOf(MemoryRevokedException.class,
            joined.getSuppressed()[0]);
        assertEquals(TestFunctions.FAIL_ADDRESS + TestFunctions.FAIL_LENGTH, revoked.address());
        assertEquals(TestFunctions.FAIL_LENGTH, revoked.length());

        final MemoryMapperException crash = failure("test.crash");
        assertEquals(MapperOperation.CALL, crash.operation());
        assertTrue(crash.reason().contains("function=test.crash"), crash.reason());
        assertTrue(crash.reason().contains("boom"), crash.reason());

        final MemoryMapperException unknown = failure("test.nothing");
        assertInstanceOf(InvalidRequestException.class, unknown);
        assertTrue(unknown.reason().contains("function=test.nothing"), unknown.reason());
    }

    @Test
    void oversizedArgumentsAndResultsAreRefused() throws Exception
    {
        final long max = channel.maxArgumentSize("test.echo");
        final byte[] largest = argument(7, (int)max);
        assertArrayEquals(largest, call("test.echo", largest));
        assertInstanceOf(InvalidRequestException.class, failure("test.echo", new byte[(int)max + 1]));
        final MemoryMapperException result = failure("test.big", ByteBuffer.allocate(4).putInt(MAX_FRAME_SIZE).array());
        assertInstanceOf(InvalidRequestException.class, result);
        assertTrue(result.reason().startsWith("result too large"), result.reason());
        assertTrue(channel.isOpen());
    }

    @Test
    void badFramesFromASecondClientLeaveTheControllerWorking() throws Exception
    {
        try (RawClient garbage = connectRaw())
        {
            garbage.send("GET / HTTP/1.1\r\nHost: executor\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertConnectionError(garbage, "frame length out of range");
        }
        try (RawClient oversized = connectRaw())
        {
            oversized.send(ByteBuffer.allocate(13).putInt(MAX_FRAME_SIZE - 3).put(Protocol.CALL).putLong(1).array());
            assertConnectionError(oversized, "frame length out of range");
        }
        try (RawClient negative = connectRaw())
        {
            negative.send(ByteBuffer.allocate(4).putInt(-1).array());
            assertConnectionError(negative, "frame length out of range");
        }
        try (RawClient undersized = connectRaw())
        {
            undersized.send(ByteBuffer.allocate(8).putInt(3).putInt(0).array());
            assertConnectionError(undersized, "frame length out of range");
        }
        try (RawClient truncated = connectRaw())
        {
            truncated.send(ByteBuffer.allocate(23).putInt(109).put(Protocol.CALL).putLong(5).put(new byte[10]).array());
            truncated.shutdownOutput();
            assertNull(truncated.read(), "connection closed after a truncated frame");
        }
        try (RawClient confused = connectRaw())
        {
            confused.sendFrame((byte)99, 42, new byte[] {1, 2, 3});
            assertRequestError(confused.read(), 42, "unexpected frame type: type=99");
            confused.sendFrame(Protocol.HELLO, 43, new byte[0]);
            assertRequestError(confused.read(), 43, "unexpected frame type: type=HELLO");
            confused.sendFrame(Protocol.CALL, 44, ByteBuffer.allocate(6).putInt(1000).putShort((short)0).array());
            assertRequestError(confused.read(), 44, "malformed frame payload");
            confused.sendCall(45, "executor.ping", new byte[] {9, 8, 7});
            final RawClient.RawFrame reply = confused.read();
            assertEquals(Protocol.RESULT, reply.type());
            assertEquals(45, reply.requestId());
            assertEquals(ByteBuffer.wrap(new byte[] {9, 8, 7}), reply.payload());
        }
        assertTrue(channel.isOpen());
        assertArrayEquals(new byte[] {4, 2}, call("test.echo", new byte[] {4, 2}));
    }

    private static RawClient connectRaw() throws Exception
    {
        final RawClient client = new RawClient(executor.socket());
        final RawClient.RawFrame hello = client.read();
        assertNotNull(hello);
        assertEquals(Protocol.HELLO, hello.type());
        assertEquals(Protocol.MAGIC, hello.payload().getInt(0));
        assertEquals(Protocol.VERSION, hello.payload().getInt(4));
        assertEquals(executor.process().pid(), hello.payload().getLong(8));
        return client;
    }

    private static void assertConnectionError(final RawClient client, final String reason) throws Exception
    {
        assertRequestError(client.read(), 0, reason);
        assertNull(client.read(), "connection closed after the error");
    }

    private static void assertRequestError(final RawClient.RawFrame frame, final long requestId, final String reason)
    {
        assertNotNull(frame, "an error reply");
        assertEquals(Protocol.ERROR, frame.type());
        assertEquals(requestId, frame.requestId());
        assertEquals(1, frame.errorKind(), "InvalidRequestException");
        assertTrue(frame.errorReason().startsWith(reason), frame.errorReason());
    }

    private static byte[] call(final String function, final byte[] argument) throws Exception
    {
        return channel.call(function, argument).toCompletableFuture().get(ExecutorProcess.TIMEOUT_SECONDS,
            TimeUnit.SECONDS);
    }

    private static MemoryMapperException failure(final String function) throws Exception
    {
        return failure(function, new byte[0]);
    }

    private static MemoryMapperException failure(final String function, final byte[] argument) throws Exception
    {
        final ExecutionException thrown = assertThrows(ExecutionException.class, () -> call(function, argument));
        return assertInstanceOf(MemoryMapperException.class, thrown.getCause());
    }

    private static byte[] argument(final int index)
    {
        return argument(index, index % 100 == 0 ? 256 * 1024 : index % 512);
    }

    private static byte[] argument(final int index, final int size)
    {
        final byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)(index * 31 + i);
        }
        if (size >= Integer.BYTES)
        {
            ByteBuffer.wrap(bytes).putInt(index);
        }
        return bytes;
    }

    private static byte[] join(final CompletableFuture<byte[]> reply)
    {
        try
        {
            return reply.get(ExecutorProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }
}
