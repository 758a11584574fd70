package org.jitmem.executor;

import java.nio.file.Path;
import java.util.List;

import org.jitmem.channel.SocketExecutorChannel;

/**
 * A minimal controller for tests: launches an executor, connects, prints
 * {@code controller ready executorPid=<pid>} and waits to be killed. Arguments: {@code --socket <path>}, then the
 * executor's system properties ({@code -Dname=value}), then executor options.
 */
public final class ControllerMain
{
    private ControllerMain()
    {
    }

    /**
     * @param args {@code --socket <path>}, then the executor's system properties, then executor options
     * @throws Exception when anything fails
     */
    public static void main(final String[] args) throws Exception
    {
        final List<String> rest = List.of(args).subList(2, args.length);
        int properties = 0;
        while (properties < rest.size() && rest.get(properties).startsWith("-D"))
        {
            properties++;
        }
        final String[] options = rest.subList(properties, rest.size()).toArray(String[]::new);
        final ExecutorProcess executor = ExecutorProcess.start(Path.of(args[1]), rest.subList(0, properties), options);
        final SocketExecutorChannel channel = executor.connect();
        channel.call("executor.ping", new byte[] {1}).toCompletableFuture().join();
        System.out.println("controller ready executorPid=" + channel.executor().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
