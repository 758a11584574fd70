package org.jitmem.link;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The test programs (C and C++ sources in the test resources), compiled at test time, and how they are run. */
final class Corpus
{
    /** Each program and its source files. */
    static final Map<String, List<String>> PROGRAMS = Map.of(
        "hello", List.of("hello.c"),
        "sort", List.of("sort.c"),
        "multi", List.of("main.c", "lib.c", "util.c"),
        "tables", List.of("tables.c"),
        "weak", List.of("main.c", "strong.c"),
        "ctors", List.of("ctors.c"),
        "data", List.of("data.c"),
        "cxx", List.of("cxx.cpp"),
        "cxxmulti", List.of("main.cpp", "other.cpp"));

    /** Arguments passed to every program. */
    static final List<String> ARGUMENTS = List.of("one", "two words");

    private Corpus()
    {
    }

    /**
     * @param resource a path under the corpus resources
     * @param into     a directory
     * @return the resource copied there
     * @throws IOException when it cannot be copied
     */
    static Path source(final String resource, final Path into) throws IOException
    {
        try (InputStream in = Corpus.class.getResourceAsStream("/corpus/" + resource))
        {
            if (in == null)
            {
                throw new IOException("no such corpus resource: " + resource);
            }
            final Path file = into.resolve(Path.of(resource).getFileName());
            Files.write(file, in.readAllBytes());
            return file;
        }
    }

    /**
     * @param program  a program of {@link #PROGRAMS}
     * @param compiler a C compiler
     * @param flags    compiler flags
     * @param into     a fresh directory
     * @return the program's objects
     * @throws Exception when a compiler fails
     */
    static List<Path> compile(final String program, final String compiler, final List<String> flags, final Path into)
        throws Exception
    {
        final List<Path> objects = new ArrayList<>();
        if (program.equals("cxxmulti"))
        {
            source(program + "/shared.hpp", into);
        }
        for (final String file : PROGRAMS.get(program))
        {
            final Path source = source(program + "/" + file, into);
            objects.add(Toolchain.compile(compiler, source, into.resolve(file + ".o"), flags));
        }
        return objects;
    }

    /**
     * Links the objects with the system linker and runs the executable: the expected outcome.
     *
     * @param compiler the compiler whose driver links
     * @param objects  the objects
     * @param into     the directory of the executable
     * @return its output and exit status
     * @throws Exception when linking fails or it does not end
     */
    static Toolchain.Outcome runNatively(final String compiler, final List<Path> objects, final Path into)
        throws Exception
    {
        final Path executable = into.resolve("native");
        final List<String> link = new ArrayList<>(List.of(Toolchain.cxxOf(compiler)));
        objects.forEach(object -> link.add(object.toString()));
        link.addAll(List.of("-o", executable.toString()));
        Toolchain.check(link, Toolchain.run(link, into));
        final List<String> run = new ArrayList<>(List.of(executable.toString()));
        run.addAll(ARGUMENTS);
        return Toolchain.run(run, into);
    }

    /**
     * Loads the objects through the linker and runs main with the executor's standard output sent to a file by
     * the capture module: load (constructors run), main, unload (destructors run), all captured.
     *
     * @param executors the linker and its backend
     * @param capture   the loaded capture helper
     * @param objects   the program's objects
     * @param into      a directory for the captured output
     * @return what main printed and returned (as an exit status would show it)
     * @throws Exception when a stage fails
     */
    static Toolchain.Outcome runThroughLinker(final Executors executors, final LoadedModule capture,
        final List<Path> objects, final Path into) throws Exception
    {
        final Path output = into.resolve("captured.txt");
        if (Executors.await(capture.call("capture_begin", (output + "\0").getBytes(StandardCharsets.UTF_8))) != 0)
        {
            throw new IllegalStateException("capture did not start: file=" + output);
        }
        final int status;
        try
        {
            final List<ObjectFile> files = new ArrayList<>();
            for (final Path object : objects)
            {
                files.add(ObjectFile.read(object));
            }
            final LoadedModule module = Executors.await(executors.linker().load("program", files, Map.of()));
            try
            {
                status = Executors.await(module.runMain(ARGUMENTS));
            }
            finally
            {
                Executors.await(module.unload());
            }
        }
        finally
        {
            Executors.await(capture.call("capture_end", new byte[0]));
        }
        return new Toolchain.Outcome(Files.readString(output, StandardCharsets.UTF_8), status & 0xff);
    }
}
