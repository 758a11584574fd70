package org.jitmem.backend.posixshm;

import java.nio.file.Path;
import java.util.List;

import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;

/**
 * A controller process for tests: starts an executor with the given system properties, reserves and initializes
 * shared memory through a {@link SharedMemoryMapper}, prints
 * {@code controller ready executorPid=<pid> start=<address>} and waits to be killed.
 * Arguments: {@code --socket <path>}; system properties starting with {@code jitmem.} are passed on to the executor.
 */
public final class ControllerMain
{
    private ControllerMain()
    {
    }

    /**
     * @param args {@code --socket <path>}
     * @throws Exception when anything fails
     */
    public static void main(final String[] args) throws Exception
    {
        final List<String> properties = System.getProperties().stringPropertyNames().stream()
            .filter(name -> name.startsWith("jitmem.")).map(name -> "-D" + name + "=" + System.getProperty(name))
            .toList();
        final ExecutorProcess executor = ExecutorProcess.start(Path.of(args[1]), properties);
        final SocketExecutorChannel channel = executor.connect();
        final SharedMemoryMapper mapper = new SharedMemoryMapper(channel, false);
        final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(2 * mapper.pageSize()));
        mapper.prepare(range.start(), 8).putLong(42);
        MemoryMapper.await(mapper.initialize(AllocInfo.of(range.start(), Segment.of(0, 8, MemoryProtection.READ))));
        System.out.println("controller ready executorPid=" + channel.executor().pid() + " start=" +
            range.start().value());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
