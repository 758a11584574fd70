package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jitmem.api.MapperProperties;
import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.ObjectFile;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.testsupport.CCompiler;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * The linker bundle in Felix: an object the system's C compiler makes at test time is loaded through the selected
 * backend and run there, its string literal read through a call into the executor's libc; then the shared-memory
 * backend departs: new loads go to the in-process backend, the module left on the departed one fails typed, and once
 * the bundle is back new loads go to the executor again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LinkerIT extends FelixTestSupport
{
    private static final String SHARED_MEMORY_BUNDLE = "org.jitmem.backend.posixshm";
    private static final String SOURCE = """
        #include <string.h>
        static const char greeting[] = "hello from a compiled object";
        long greeting_length(const void *argument, unsigned long length)
        {
            return (long)strlen(greeting) * 1000 + (long)length;
        }
        """;
    /** What the compiled object's {@code greeting_length} returns for a 3-byte argument. */
    static final long EXPECTED = 28 * 1000 + 3;

    /** Load, run, hot swap, load again. */
    @Test
    public void compiledCodeRunsThroughTheSelectedBackendAndNewLoadsFollowAHotSwap() throws Exception
    {
        final List<ObjectFile> objects = List.of(compile());
        try (TrackedService<Linker> linker = awaitService(Linker.class, null);
             TrackedService<BackendSelector> selector = awaitService(BackendSelector.class, null))
        {
            final SlabMemoryManager shared = awaitSelected(selector.service(), MapperProperties.TYPE_POSIX_SHM);
            final LoadedModule inExecutor = within(linker.service().load("greeting", objects, Map.of()));
            assertEquals("runs in the executor", Long.valueOf(EXPECTED),
                within(inExecutor.call("greeting_length", new byte[3])));
            assertTrue("its memory is the executor's slab's", shared.statistics().usedBytes() > 0);

            final Bundle backend = installedBundle(SHARED_MEMORY_BUNDLE);
            backend.stop();
            try
            {
                awaitSelected(selector.service(), MapperProperties.TYPE_INPROCESS);
                assertTypedFailure("a call into the departed backend's module",
                    () -> inExecutor.call("greeting_length", new byte[3]));
                assertTrue("the departed backend's symbols are not found",
                    linker.service().lookup("greeting_length").isEmpty());
                assertTrue("nor its modules listed", linker.service().modules().isEmpty());
                final LoadedModule here = within(linker.service().load("greeting", objects, Map.of()));
                assertEquals("runs in this process", Long.valueOf(EXPECTED),
                    within(here.call("greeting_length", new byte[3])));
                within(here.unload());
            }
            finally
            {
                backend.start();
            }
            final SlabMemoryManager again = awaitSelected(selector.service(), MapperProperties.TYPE_POSIX_SHM);
            final LoadedModule back = within(linker.service().load("greeting", objects, Map.of()));
            assertEquals("runs in the new executor's memory", Long.valueOf(EXPECTED),
                within(back.call("greeting_length", new byte[3])));
            within(back.unload());
            assertEquals("unloaded: every byte back", 0, again.statistics().usedBytes());
        }
    }

    /** @return the object the system's C compiler makes of the greeting source */
    static ObjectFile compile() throws IOException, InterruptedException
    {
        final Path directory = Files.createTempDirectory("linker-it");
        final Path object = CCompiler.compile(SOURCE, directory, "greeting");
        final ObjectFile file = ObjectFile.read(object);
        Files.delete(object);
        Files.delete(directory);
        return file;
    }
}
