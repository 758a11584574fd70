package org.jitmem.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jar bnd exported from {@code jitmem-container.bndrun}, run as {@code java -jar} in its own temporary directory:
 * every mode of the container, its exit status, its standard streams, and nothing of the launcher's left behind.
 */
final class ContainerModesIT
{
    private static final long TIMEOUT_SECONDS = 120;
    private static final Path JAR = Paths.get("target", "jitmem-container.jar").toAbsolutePath();
    private static final String HELLO = "#include <stdio.h>\n" +
        "int main(int argc, char **argv) { printf(\"hello, %s\\n\", argc > 1 ? argv[1] : \"world\"); return 7; }\n";

    @TempDir
    Path tmp;

    private Path javaTmp;

    private record Outcome(String stdout, String stderr, int status)
    {
    }

    @BeforeEach
    void createJavaTmp() throws IOException
    {
        javaTmp = Files.createDirectory(tmp.resolve("java-tmp"));
    }

    @Test
    void demoRunsEveryStepAndEndsWithZero() throws Exception
    {
        final Outcome demo = container(List.of(), "", "demo");
        assertEquals(0, demo.status(), demo.stdout() + demo.stderr());
        assertEquals(4, demo.stdout().split("results are correct", -1).length - 1, demo.stdout());
        assertTrue(demo.stdout().contains("posix-shm is selected again"), demo.stdout());
        assertLauncherLeftNothing();
    }

    @ParameterizedTest
    @ValueSource(strings = {"inprocess", "posix-shm"})
    void linkKeepsTheProgramsStreamsAndStatus(final String backend) throws Exception
    {
        final Path source = tmp.resolve("hello.c");
        Files.writeString(source, HELLO);
        final Path object = tmp.resolve("hello.o");
        assertEquals(0, run(List.of("cc", "-fPIC", "-c", source.toString(), "-o", object.toString()), "").status());

        final Outcome link = container(List.of(), "", "link", "--backend", backend, object.toString(), "--",
            "jitmem");
        assertEquals(7, link.status(), link.stderr());
        assertEquals("hello, jitmem\n", link.stdout());
        assertEquals("", link.stderr(), "the program's standard error is its own: nothing of the container's or the " +
            "executor's");
        assertLauncherLeftNothing();
    }

    @Test
    void unknownArgumentsGiveTheUsageAndTwo() throws Exception
    {
        final Outcome usage = container(List.of(), "", "bogus");
        assertEquals(2, usage.status(), usage.stderr());
        assertTrue(usage.stdout().startsWith("usage: "), usage.stdout());
        assertEquals("", usage.stderr());
        assertLauncherLeftNothing();
    }

    @Test
    void shellAnswersJitmemCommandsAndEndsWithZeroAtTheEndOfInput() throws Exception
    {
        final Outcome shell = container(List.of(), "jitmem:backends\n");
        assertEquals(0, shell.status(), shell.stderr());
        assertTrue(shell.stdout().contains("jitmem: Gogo shell ready"), shell.stdout());
        assertTrue(shell.stdout().contains("inprocess"), shell.stdout());
        assertLauncherLeftNothing();
    }

    /**
     * The shell on a real terminal: {@code script} gives the container a pseudo-terminal (120 columns), and keys go in
     * once the shell is up. TAB lists the backend types present and completes a command's name.
     */
    @Test
    void theShellOnATerminalCompletesWithTab() throws Exception
    {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final String command = "stty cols 120 rows 40; exec " + java + " -Djava.io.tmpdir=" + javaTmp +
            " -Djitmem.state=" + tmp.resolve("state") + " -Djitmem.webconsole.port=0 -jar " + JAR;
        final Process process = new ProcessBuilder("script", "-qfec", command, "/dev/null").directory(tmp.toFile())
            .redirectErrorStream(true).start();
        final StringBuffer screen = new StringBuffer();
        final Thread reader = new Thread(() ->
        {
            try (InputStream in = process.getInputStream())
            {
                final byte[] chunk = new byte[4096];
                for (int n = in.read(chunk); n >= 0; n = in.read(chunk))
                {
                    screen.append(new String(chunk, 0, n, StandardCharsets.UTF_8));
                }
            }
            catch (final IOException ex)
            {
                // the terminal closed
            }
        }, "terminal-reader");
        reader.setDaemon(true);
        reader.start();
        try
        {
            awaitScreen(screen, "Welcome to Apache Felix Gogo");
            type(process, "jitmem:pin \t");
            awaitScreen(screen, "posix-shm");
            final String listed = screen.substring(screen.lastIndexOf("jitmem:pin"));
            assertTrue(listed.matches("(?s).*inprocess\\s+none\\s+posix-shm.*"), listed);
            type(process, "\u0015jitmem:exe\t\r");
            awaitScreen(screen, "executor: RUNNING");
            type(process, "\u0004"); // Ctrl-D
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "still running:\n" + screen);
            assertEquals(0, process.exitValue(), screen.toString());
        }
        finally
        {
            process.destroyForcibly();
        }
        assertLauncherLeftNothing();
    }

    private static void type(final Process process, final String keys) throws IOException
    {
        process.getOutputStream().write(keys.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    private static void awaitScreen(final StringBuffer screen, final String text) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (screen.indexOf(text) < 0)
        {
            assertTrue(System.nanoTime() - deadline < 0, "not on the screen: " + text + "\n" + screen);
            Thread.sleep(50);
        }
    }

    @Test
    void noApplicationEndsWithAReportAndOne() throws Exception
    {
        final Properties launch = new Properties();
        try (JarFile jar = new JarFile(JAR.toFile()); InputStream in =
            jar.getInputStream(jar.getEntry("launcher.properties")))
        {
            launch.load(in);
        }
        final String withoutLauncher = launch.getProperty("launch.bundles")
            .replaceAll("jar/jitmem-launcher-[^,]*\\.jar,?", "");
        assertFalse(withoutLauncher.equals(launch.getProperty("launch.bundles")), withoutLauncher);

        final Outcome demo = container(List.of("-Dlaunch.bundles=" + withoutLauncher), "", "demo");
        assertEquals(1, demo.status(), demo.stdout() + demo.stderr());
        assertTrue(demo.stderr().contains("jitmem: no application for these arguments within 30 s"), demo.stderr());
        assertTrue(demo.stderr().contains("bundle not active: org.jitmem.demo"), demo.stderr());
        assertLauncherLeftNothing();
    }

    private Outcome container(final List<String> options, final String input, final String... arguments)
        throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin",
            "java").toString(), "-Djava.io.tmpdir=" + javaTmp, "-Djitmem.state=" + tmp.resolve("state"),
            "-Djitmem.webconsole.port=0"));
        command.addAll(options);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(arguments));
        return run(command, input);
    }

    /** bnd's launcher's framework storage and the jars it extracts are removed at exit. */
    private void assertLauncherLeftNothing() throws IOException
    {
        try (Stream<Path> left = Files.list(javaTmp))
        {
            assertEquals(List.of(), left.map(Path::getFileName).map(Path::toString)
                .filter(name -> name.startsWith("osgi.") || name.startsWith("resource")).toList());
        }
    }

    private Outcome run(final List<String> command, final String input) throws Exception
    {
        final Path out = Files.createTempFile(tmp, "out", ".txt");
        final Path err = Files.createTempFile(tmp, "err", ".txt");
        final Process process = new ProcessBuilder(command).directory(tmp.toFile())
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile())).start();
        try
        {
            process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
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
