package org.jitmem.bench;

import static org.jitmem.api.MemoryMapper.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jitmem.link.LoadedModule;
import org.jitmem.link.ObjectFile;
import org.jitmem.link.internal.ObjectLinker;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Link, load and finalize of compiled objects through the linker and the slab manager (64 MiB slabs, as the anchor's
 * {@code MapperJITLinkMemoryManager}), the counterpart of the LLVM anchor's {@code link} benchmark (JITLink's
 * {@code ObjectLinkingLayer}): {@code wide} is one object of 50 functions, {@code small} is 1,000 small objects loaded
 * together; both come from {@code bench/link-objects.sh}, in the directory the system property
 * {@value #OBJECTS_PROPERTY} names. One operation loads the set as one module (layout, symbol resolution in the
 * executor, relocation, writing, finalize with unwind tables registered); unloading it afterwards is not timed, but
 * each iteration's {@link CpuPerOperation} window holds both, as the anchor's processor time does. Not final: JMH
 * subclasses state classes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LinkBenchmark extends CpuPerIteration
{
    /** System property: the directory {@code bench/link-objects.sh} wrote. */
    static final String OBJECTS_PROPERTY = "jitmem.bench.linkObjects";

    /** The backend, by its {@code jitmem.mapper.type} name; see {@link BenchBackend}. */
    @Param({"inprocess", "posix-shm"})
    public String backend;

    /** {@code wide}: one object of 50 functions; {@code small}: 1,000 small objects. */
    @Param({"wide", "small"})
    public String objects;

    private BenchBackend opened;
    private SlabMemoryManager manager;
    private ObjectLinker linker;
    private List<ObjectFile> files;
    private LoadedModule loaded;

    /** Opens the backend, reads the objects and warms the path up. */
    @Setup(Level.Trial)
    public void open()
    {
        files = readObjects(Path.of(System.getProperty(OBJECTS_PROPERTY, "bench/target/link-objects")), objects);
        opened = BenchBackend.open(backend);
        manager = new SlabMemoryManager(opened.mapper(), SlabSettings.DEFAULT);
        linker = opened.channel()
            .map(channel -> ObjectLinker.overChannel(manager, channel))
            .orElseGet(() -> ObjectLinker.inProcess(manager));
        WarmUp.run(() ->
        {
            load();
            unload();
        }, 3);
        reportMemory();
    }

    /** Closes the manager and the backend. */
    @TearDown(Level.Trial)
    public void close()
    {
        try
        {
            await(manager.close());
        }
        finally
        {
            opened.close();
        }
    }

    /**
     * Loads every object as one module.
     *
     * @return the module, so that nothing is optimized away
     */
    @Benchmark
    public LoadedModule load()
    {
        loaded = await(linker.load("bench", files, Map.of()));
        counted();
        return loaded;
    }

    @Override
    protected long executorPid()
    {
        return opened.executorPid();
    }

    /** Unloads the module the operation loaded. */
    @TearDown(Level.Invocation)
    public void unload()
    {
        if (loaded != null)
        {
            await(loaded.unload());
            loaded = null;
        }
    }

    /**
     * Prints the executor memory one load takes from the slab manager, in a line that {@code bench/ratios.py} reads
     * beside the anchor's {@code executor_bytes}.
     */
    private void reportMemory()
    {
        final long before = manager.statistics().usedBytes();
        load();
        final long bytes = manager.statistics().usedBytes() - before;
        unload();
        System.out.println("LINK-MEMORY backend=" + backend + " objects=" + files.size() + " executor_bytes=" + bytes +
            " executor_bytes_per_object=" + bytes / files.size());
    }

    private static List<ObjectFile> readObjects(final Path directory, final String set)
    {
        if ("wide".equals(set))
        {
            return List.of(ObjectFile.read(directory.resolve("wide.o")));
        }
        if (!"small".equals(set))
        {
            throw new IllegalArgumentException("objects must be wide or small: objects=" + set);
        }
        try (Stream<Path> small = Files.list(directory.resolve("small")))
        {
            return small.filter(path -> path.toString().endsWith(".o")).sorted().map(ObjectFile::read).toList();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list the small objects: directory=" + directory +
                " (run bench/link-objects.sh first)", ex);
        }
    }
}
