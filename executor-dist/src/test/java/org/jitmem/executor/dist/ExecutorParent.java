package org.jitmem.executor.dist;

import java.nio.file.Path;
import java.util.List;

/**
 * A parent process for tests: starts the standalone executor at {@code --socket <path>} with
 * {@code --exit-with-parent --remove-directory-on-exit}, its standard error going to {@code --errors <file>}, prints
 * {@code parent ready executorPid=<pid>} once the executor is ready and waits to be killed. It never connects.
 */
public final class ExecutorParent
{
    /** Start of the line printed once the executor is ready. */
    static final String READY = "parent ready";

    private ExecutorParent()
    {
    }

    /**
     * @param args {@code --socket <path> --errors <file>}, then the executor's JVM options
     * @throws Exception when anything fails
     */
    public static void main(final String[] args) throws Exception
    {
        final Process executor = StandaloneExecutor.start(List.of(args).subList(4, args.length), Path.of(args[1]),
            Path.of(args[3]), "--exit-with-parent", "--remove-directory-on-exit");
        StandaloneExecutor.awaitReadyLine(executor);
        System.out.println(READY + " executorPid=" + executor.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
