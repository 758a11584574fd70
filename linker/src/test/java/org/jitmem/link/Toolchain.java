package org.jitmem.link;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The system's compilers and linker, run as processes: the oracles the linker is compared with. */
final class Toolchain
{
    /** Seconds any compiler, linker or native program may take. */
    static final long TIMEOUT_SECONDS = 60;

    /** What a process wrote to its standard output and how it ended. */
    record Outcome(String stdout, int exitStatus)
    {
    }

    private Toolchain()
    {
    }

    /** @return the C compilers present: gcc, and clang-19 when installed */
    static List<String> cCompilers()
    {
        final List<String> compilers = new ArrayList<>(List.of("gcc"));
        if (exists("clang-19"))
        {
            compilers.add("clang-19");
        }
        return compilers;
    }

    /**
     * @param compiler a C compiler
     * @return the C++ driver of the same family
     */
    static String cxxOf(final String compiler)
    {
        return compiler.equals("gcc") ? "g++" : compiler.replace("clang", "clang++");
    }

    /** @return true when a program is on the path */
    static boolean exists(final String program)
    {
        for (final String directory : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
        {
            if (Files.isExecutable(Path.of(directory, program)))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Compiles one source file into an object.
     *
     * @param compiler the compiler (its C++ driver is used for {@code .cpp})
     * @param source   the source
     * @param output   the object to write
     * @param flags    flags such as {@code -O2 -fPIC}
     * @return the object
     * @throws Exception when the compiler fails
     */
    static Path compile(final String compiler, final Path source, final Path output, final List<String> flags)
        throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(source.toString().endsWith(".cpp") ? cxxOf(compiler) : compiler);
        command.addAll(flags);
        command.addAll(List.of("-c", source.toString(), "-o", output.toString()));
        check(command, run(command, output.getParent()));
        return output;
    }

    /**
     * Compiles C source text with gcc.
     *
     * @param directory where the source and the object go
     * @param name      the object's name without {@code .o}
     * @param source    the C source
     * @param flags     compiler flags
     * @return the object
     * @throws Exception when the compiler fails
     */
    static ObjectFile compileC(final Path directory, final String name, final String source, final String... flags)
        throws Exception
    {
        final Path file = directory.resolve(name + ".c");
        Files.writeString(file, source);
        return ObjectFile.read(compile("gcc", file, directory.resolve(name + ".o"), List.of(flags)));
    }

    /**
     * @param command a command
     * @param outcome how it ended
     * @return the outcome when it succeeded
     */
    static Outcome check(final List<String> command, final Outcome outcome)
    {
        if (outcome.exitStatus() != 0)
        {
            throw new IllegalStateException("command failed: command=" + command + " status=" + outcome.exitStatus() +
                " output=" + outcome.stdout());
        }
        return outcome;
    }

    /**
     * Runs a command with standard error merged into standard output.
     *
     * @param command   the command
     * @param directory its working directory
     * @return what it wrote and how it ended
     * @throws Exception when it does not end in time
     */
    static Outcome run(final List<String> command, final Path directory) throws Exception
    {
        final Path output = Files.createTempFile(directory, "out", ".txt");
        final Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
            .redirectOutput(output.toFile()).start();
        try
        {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("command did not end in time: command=" + command);
            }
            return new Outcome(Files.readString(output, StandardCharsets.UTF_8), process.exitValue());
        }
        finally
        {
            process.destroyForcibly();
            deleteQuietly(output);
        }
    }

    private static void deleteQuietly(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ignored)
        {
            // a leftover temporary file in the test's own directory
        }
    }
}
