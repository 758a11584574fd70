package org.jitmem.link;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.MemoryMapper;
import org.jitmem.backend.inprocess.InProcessMemoryMapper;
import org.jitmem.backend.posixshm.SharedMemoryMapper;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.link.internal.ObjectLinker;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabSettings;

/**
 * A linker on one backend: this process (in-process backend) or a real executor process over shared memory, started
 * by the executor tests' own launcher with the test class path (so it hosts the linker's executor functions).
 * Closing it checks that every module was unloaded and every byte given back, then stops everything.
 */
final class Executors implements AutoCloseable
{
    /** The backends a test runs on. */
    enum Backend
    {
        /** This process. */
        INPROCESS,
        /** A separate executor process over POSIX shared memory. */
        POSIX_SHM
    }

    /** Seconds a test waits for any stage. */
    static final long TIMEOUT_SECONDS = ExecutorProcess.TIMEOUT_SECONDS;

    private static final SlabSettings SETTINGS = new SlabSettings(16L << 20, 0);

    private final Backend backend;
    private final ExecutorProcess executor;
    private final SocketExecutorChannel channel;
    private final SharedMemoryMapper sharedMapper;
    private final InProcessMemoryMapper inProcessMapper;
    private final SlabMemoryManager slab;
    private final ObjectLinker linker;

    private Executors(final Backend backend, final ExecutorProcess executor, final SocketExecutorChannel channel,
        final SharedMemoryMapper sharedMapper, final InProcessMemoryMapper inProcessMapper)
    {
        this.backend = backend;
        this.executor = executor;
        this.channel = channel;
        this.sharedMapper = sharedMapper;
        this.inProcessMapper = inProcessMapper;
        this.slab = new SlabMemoryManager(sharedMapper != null ? sharedMapper : inProcessMapper, SETTINGS);
        this.linker = channel != null ? ObjectLinker.overChannel(slab, channel) : ObjectLinker.inProcess(slab);
    }

    /**
     * @param backend   the backend
     * @param directory a fresh directory for the executor's socket
     * @return a linker on it
     * @throws Exception when the executor does not start
     */
    static Executors start(final Backend backend, final Path directory) throws Exception
    {
        if (backend == Backend.INPROCESS)
        {
            return new Executors(backend, null, null, null, new InProcessMemoryMapper(false));
        }
        final ExecutorProcess executor = ExecutorProcess.start(directory.resolve("executor").resolve("socket"),
            List.of());
        try
        {
            final SocketExecutorChannel channel = executor.connect();
            return new Executors(backend, executor, channel, new SharedMemoryMapper(channel, false), null);
        }
        catch (final Exception ex)
        {
            executor.close();
            throw ex;
        }
    }

    /**
     * @param stage a stage
     * @param <T>   its value
     * @return its value, within the timeout; its failure rethrown as it is when it is a runtime exception
     */
    static <T> T await(final CompletionStage<T> stage)
    {
        return MemoryMapper.await(stage.toCompletableFuture().orTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    Backend backend()
    {
        return backend;
    }

    ObjectLinker linker()
    {
        return linker;
    }

    SlabMemoryManager slab()
    {
        return slab;
    }

    /** @return the executor's process id */
    long pid()
    {
        return slab.mapper().executorPid();
    }

    @Override
    public void close() throws IOException
    {
        try
        {
            final List<LoadedModule> modules = new java.util.ArrayList<>(linker.modules());
            java.util.Collections.reverse(modules);
            for (final LoadedModule module : modules)
            {
                await(module.unload());
            }
            assertEquals(0, slab.statistics().usedBytes(), "every module's memory given back");
            await(slab.close());
        }
        finally
        {
            if (sharedMapper != null)
            {
                sharedMapper.close(Duration.ofSeconds(TIMEOUT_SECONDS));
            }
            if (inProcessMapper != null)
            {
                inProcessMapper.close();
            }
            if (channel != null)
            {
                channel.close();
            }
            if (executor != null)
            {
                executor.close();
            }
        }
    }
}
