package org.jitmem.executor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import org.jitmem.api.ActionFailedException;
import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;

/**
 * Functions for tests, found by the executor through META-INF/services on the test class path. Closing appends a
 * line to the file named by the system property {@value #CLOSE_LOG}, when set.
 */
public final class TestFunctions implements ExecutorFunctionProvider
{
    /** System property: file that records provider closes. */
    public static final String CLOSE_LOG = "jitmem.test.closeLog";
    static final long FAIL_ADDRESS = 0x7f12_3456_7000L;
    static final long FAIL_LENGTH = 8192;
    static final int FAIL_ERRNO = 22;
    static final int FAIL_ACTION_INDEX = 3;
    static final long FAIL_ACTION_FUNCTION = 0x5555_0000_1230L;
    static final long FAIL_ACTION_RESULT = -7;

    private final Map<String, ExecutorFunction> functions = Map.of(
        "test.echo", argument -> argument,
        "test.sleep", TestFunctions::sleep,
        "test.fail", argument ->
        {
            throw new InvalidRequestException(MapperOperation.RESERVE, "address outside any reservation",
                FAIL_ADDRESS, FAIL_LENGTH);
        },
        "test.failErrno", argument ->
        {
            throw new MemoryMapperException(MapperOperation.INITIALIZE, "mprotect failed", FAIL_ADDRESS, FAIL_LENGTH,
                FAIL_ERRNO);
        },
        "test.failAction", argument ->
        {
            throw new ActionFailedException(MapperOperation.INITIALIZE, FAIL_ACTION_INDEX, FAIL_ACTION_FUNCTION,
                FAIL_ACTION_RESULT);
        },
        "test.failJoined", argument ->
        {
            final InvalidRequestException first = new InvalidRequestException(MapperOperation.DEINITIALIZE,
                "unknown allocation key", FAIL_ADDRESS, MemoryMapperException.UNKNOWN);
            first.addSuppressed(new MemoryRevokedException(MapperOperation.DEINITIALIZE, "revoked",
                FAIL_ADDRESS + FAIL_LENGTH, FAIL_LENGTH));
            throw first;
        },
        "test.crash", argument ->
        {
            throw new IllegalStateException("boom");
        },
        "test.big", argument -> new byte[ByteBuffer.wrap(argument).getInt()]);

    @Override
    public Map<String, ExecutorFunction> functions()
    {
        return functions;
    }

    @Override
    public void close()
    {
        final String log = System.getProperty(CLOSE_LOG);
        if (log == null)
        {
            return;
        }
        try
        {
            Files.write(Path.of(log), "closed\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return an argument for {@code test.sleep} */
    static byte[] millis(final long millis)
    {
        return ByteBuffer.allocate(Long.BYTES).putLong(millis).array();
    }

    private static byte[] sleep(final byte[] argument)
    {
        LockSupport.parkNanos(ByteBuffer.wrap(argument).getLong() * 1_000_000L);
        return argument;
    }
}
