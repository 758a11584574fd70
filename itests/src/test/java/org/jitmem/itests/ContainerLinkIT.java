package org.jitmem.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code java -jar jitmem-container.jar link --backend <type> a.o b.o -- args}: the linker bundle in the running
 * container loads objects compiled by the system compiler and runs main in the selected backend's executor; standard
 * output, standard error and the exit status are the program's, as when the system linker's executable runs.
 */
final class ContainerLinkIT
{
    private static final long TIMEOUT_SECONDS = 300;
    private static final String MAIN = """
        #include <stdio.h>
        int scale(int);
        int main(int argc, char **argv)
        {
            for (int i = 1; i < argc; i++)
            {
                printf("argv[%d]=%s\\n", i, argv[i]);
            }
            fprintf(stderr, "a line on standard error\\n");
            return scale(argc);
        }
        """;
    private static final String SCALE = "int scale(int x) { return 10 * x + 1; }\n";

    @TempDir
    Path tmp;

    private record Outcome(String stdout, String stderr, int status)
    {
    }

    @ParameterizedTest
    @ValueSource(strings = {"inprocess", "posix-shm"})
    void runsMainAsTheSystemLinkersExecutableDoes(final String backend) throws Exception
    {
        final Path main = compile("main", MAIN);
        final Path scale = compile("scale", SCALE);
        assertEquals(0, run(List.of("cc", main.toString(), scale.toString(), "-o", tmp.resolve("native").toString()))
            .status());
        final Outcome expected = run(List.of(tmp.resolve("native").toString(), "one", "two words"));
        final List<String> link = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin",
            "java").toString(), "-Djitmem.state=" + tmp.resolve("state"), "-jar",
            ContainerDemoIT.containerJar().toString(), "link", "--backend", backend));
        link.addAll(List.of(main.toString(), scale.toString(), "--", "one", "two words"));
        final Outcome actual = run(link);
        assertEquals(31, expected.status());
        assertEquals(expected.status(), actual.status(), actual.stderr());
        assertEquals(expected.stdout(), actual.stdout());
        assertTrue(actual.stderr().contains("a line on standard error\n"), actual.stderr());
    }

    private Path compile(final String name, final String source) throws Exception
    {
        final Path file = tmp.resolve(name + ".c");
        Files.writeString(file, source);
        final Path object = tmp.resolve(name + ".o");
        final Outcome compiled = run(List.of("cc", "-O2", "-fPIC", "-c", file.toString(), "-o",
            object.toString()));
        assertEquals(0, compiled.status(), compiled.stderr());
        return object;
    }

    private Outcome run(final List<String> command) throws Exception
    {
        final Path out = Files.createTempFile(tmp, "out", ".txt");
        final Path err = Files.createTempFile(tmp, "err", ".txt");
        final Process process = new ProcessBuilder(command).directory(tmp.toFile())
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile())).start();
        process.getOutputStream().close();
        try
        {
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "still running: " + command);
        }
        finally
        {
            process.destroyForcibly();
        }
        return new Outcome(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err,
            StandardCharsets.UTF_8), process.exitValue());
    }
}
