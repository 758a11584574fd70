package org.jitmem.executor.dist;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.backend.posixshm.SharedMemoryMapper;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.machine.MachineCode;

/**
 * A controller process for tests: connects to the executor at {@code --socket <path>}, loads code that never returns
 * through a {@link SharedMemoryMapper}, calls it, prints {@code controller spinning} once the code runs and waits to
 * be killed.
 */
public final class SpinningController
{
    /** The line printed once the code runs. */
    static final String SPINNING = "controller spinning";

    private SpinningController()
    {
    }

    /**
     * @param args {@code --socket <path>}
     * @throws Exception when anything fails
     */
    public static void main(final String[] args) throws Exception
    {
        final SocketExecutorChannel channel = SocketExecutorChannel.connect(Path.of(args[1]),
            Duration.ofSeconds(StandaloneExecutor.TIMEOUT_SECONDS));
        spin(new SharedMemoryMapper(channel, false));
        System.out.println(SPINNING + " executorPid=" + channel.executor().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /**
     * Loads {@link MachineCode#waitForNonZero()} and a zero word, calls the code and returns once the code has said
     * that it runs; the call does not return for as long as the word stays zero.
     *
     * @param mapper a mapper of the executor
     * @throws IllegalStateException when the code did not start within the timeout
     */
    static void spin(final MemoryMapper mapper)
    {
        final long page = mapper.pageSize();
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(2 * page));
        final byte[] code = MachineCode.waitForNonZero();
        mapper.prepare(range.start(), code.length).put(code);
        final ExecutorAddress word = range.start().add(page);
        final ByteBuffer words = mapper.prepare(word, 2 * Long.BYTES).order(ByteOrder.nativeOrder());
        final ExecutorAddress key = MemoryMapper.await(mapper.initialize(AllocInfo.of(range.start(),
            Segment.of(0, code.length, MemoryProtection.READ_EXEC),
            Segment.of(page, 2 * Long.BYTES, MemoryProtection.READ_WRITE))));
        mapper.call(ActionCall.of(key, MachineCode.loadArgument(word.value())));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(StandaloneExecutor.TIMEOUT_SECONDS);
        while (words.getLong(Long.BYTES) != 1)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("the code did not start: key=" + key);
            }
            Thread.onSpinWait();
        }
    }
}
