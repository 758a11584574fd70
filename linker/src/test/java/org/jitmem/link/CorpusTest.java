package org.jitmem.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every corpus program, compiled by every compiler present at -O0 and -O2, position-independent and as the
 * compiler's default, runs through the linker on both backends exactly as the system linker's executable runs:
 * same standard output, same exit status.
 */
@Timeout(600)
class CorpusTest
{
    @TempDir
    static Path shared;

    private static final Map<Executors.Backend, Executors> EXECUTORS = new EnumMap<>(Executors.Backend.class);
    private static final Map<Executors.Backend, LoadedModule> CAPTURES = new EnumMap<>(Executors.Backend.class);

    @BeforeAll
    static void start() throws Exception
    {
        final Path capture = Toolchain.compile("gcc", Corpus.source("capture.c", shared),
            shared.resolve("capture.o"), List.of("-O2", "-fPIC"));
        for (final Executors.Backend backend : Executors.Backend.values())
        {
            final Executors executors = Executors.start(backend, Files.createDirectory(shared.resolve(backend.name())));
            EXECUTORS.put(backend, executors);
            CAPTURES.put(backend, Executors.await(executors.linker().load("capture",
                List.of(ObjectFile.read(capture)), Map.of())));
        }
    }

    @AfterAll
    static void stop() throws Exception
    {
        for (final Executors executors : EXECUTORS.values())
        {
            executors.close();
        }
        EXECUTORS.clear();
        CAPTURES.clear();
    }

    static Stream<Arguments> programs()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final String program : Corpus.PROGRAMS.keySet().stream().sorted().toList())
        {
            for (final String compiler : Toolchain.cCompilers())
            {
                for (final String optimization : List.of("-O0", "-O2"))
                {
                    for (final String model : List.of("-fPIC", "default"))
                    {
                        for (final Executors.Backend backend : Executors.Backend.values())
                        {
                            cases.add(Arguments.of(program, compiler, optimization, model, backend));
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} {4}")
    @MethodSource("programs")
    void runsAsTheSystemLinkersExecutableDoes(final String program, final String compiler, final String optimization,
        final String model, final Executors.Backend backend, @TempDir final Path directory) throws Exception
    {
        final List<String> flags = new ArrayList<>(List.of(optimization, "-fcommon"));
        if (!model.equals("default"))
        {
            flags.add(model);
        }
        final List<Path> objects = Corpus.compile(program, compiler, flags, directory);
        final Toolchain.Outcome expected = Corpus.runNatively(compiler, objects, directory);
        final Toolchain.Outcome actual;
        try
        {
            actual = Corpus.runThroughLinker(EXECUTORS.get(backend), CAPTURES.get(backend), objects, directory);
        }
        catch (final RelocationOverflowException beyondReach)
        {
            // gcc's default (PIE) code reads data of the executor's libraries, such as libstdc++'s type_info objects,
            // PC-relatively: it reaches them only within 2 GiB. This test JVM maps a lot between its libraries and
            // the slab, so in process that reach depends on its layout; the refusal must say why and what helps.
            assertTrue(model.equals("default") && backend == Executors.Backend.INPROCESS, beyondReach.getMessage());
            assertTrue(beyondReach.getMessage().contains("relocation=R_X86_64_PC32") &&
                beyondReach.getMessage().contains("compile with -fPIC"), beyondReach.getMessage());
            Assumptions.abort("out of reach of position-dependent code in this process's layout: " +
                beyondReach.getMessage());
            return;
        }
        assertEquals(expected, actual);
    }
}
