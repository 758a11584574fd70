package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.jitmem.api.MapperProperties;
import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.InvalidSyntaxException;

/**
 * Tab completion of the jitmem commands in Gogo's JLine shell: gogo.jline's {@code gosh} runs in a real Felix on a
 * JLine terminal over pipes, with its line reader, as a person's console runs it; the test types keys, TAB among
 * them, and reads what the shell draws.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellCompletionIT extends FelixTestSupport
{
    private static final String GOGO_SHELL = "org.apache.felix.gogo.shell";
    private static final String SHARED_MEMORY_BUNDLE = "org.jitmem.backend.posixshm";
    private static final String LAUNCHER_BUNDLE = "org.jitmem.launcher";
    private static final long TEST_TIMEOUT_MILLIS = 120_000;

    /** @return the framework of every test class plus Gogo's JLine shell and JLine */
    @Configuration
    @Override
    public Option[] config()
    {
        final List<Option> jline = new ArrayList<>();
        // gogo.jline opens the process's own terminal when it starts; the test JVM has none: no fallback warning
        jline.add(systemProperty("org.jline.terminal.dumb").value("true"));
        final Path bundles = Paths.get(System.getProperty("jitmem.itest.bundles"));
        // a profile that gogo.jline's non-interactive start-up session reads without failing
        jline.add(frameworkProperty("gosh.home").value(bundles.resolveSibling("test-classes/gosh").toString()));
        final Path directory = bundles.resolveSibling("jline-bundles");
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(directory, "*.jar"))
        {
            jars.forEach(jar -> jline.add(bundle(jar.toUri().toString())));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("JLine bundles not copied: directory=" + directory, ex);
        }
        return OptionUtils.combine(super.config(), jline.toArray(Option[]::new));
    }

    /**
     * {@code jitmem:pin TAB} offers the backend types present and {@code none}, and no longer a type whose backend
     * went; a unique prefix completes the command and the executor's actions.
     *
     * @throws Exception when the shell cannot be driven
     */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void completesTheBackendTypesPresentAndFollowsThem() throws Exception
    {
        // the JLine shell instead of Gogo's plain one, whose own start would run the JLine shell's gosh on no terminal
        installedBundle(GOGO_SHELL).stop();
        final Bundle sharedMemory = installedBundle(SHARED_MEMORY_BUNDLE);
        try (TrackedService<CommandProcessor> processor = awaitService(CommandProcessor.class, null);
             TrackedService<BackendSelector> selector = awaitService(BackendSelector.class, null))
        {
            awaitTrue("both backends present", () -> types(selector.service()).equals(
                Set.of(MapperProperties.TYPE_INPROCESS, MapperProperties.TYPE_POSIX_SHM)));
            try (Console console = new Console(processor.service()))
            {
                assertEquals(Set.of("inprocess", "none", "posix-shm"), console.candidates("jitmem:pin "));
                assertEquals("jitmem:executor ", console.complete("jitmem:exe"));
                console.execute("jitmem:exe\t", "executor: RUNNING");
                assertEquals(Set.of("start", "stop"), console.candidates("jitmem:executor "));
                assertEquals("jitmem:pin posix-shm ", console.complete("jitmem:pin po"));
                final long pid = selector.service().backends().stream()
                    .filter(backend -> backend.type().equals(MapperProperties.TYPE_POSIX_SHM))
                    .findFirst().orElseThrow().executorPid();
                assertEquals("jitmem:pin posix-shm pid=" + pid + " ", console.complete("jitmem:pin posix-shm "));
                final String commands = console.listing("jitmem:");
                for (final String command : List.of("jitmem:backends", "jitmem:stats", "jitmem:pin",
                    "jitmem:executor", "jitmem:demo", "jitmem:load", "jitmem:symbols", "jitmem:call", "jitmem:run",
                    "jitmem:unload", "selects the backend of a type for new allocations",
                    "starts or stops the executor"))
                {
                    assertTrue(command + " in " + commands, commands.contains(command));
                }

                sharedMemory.stop();
                try
                {
                    awaitTrue("the shared-memory backend gone", () -> types(selector.service()).equals(
                        Set.of(MapperProperties.TYPE_INPROCESS)));
                    assertEquals(Set.of("inprocess", "none"), console.candidates("jitmem:pin "));
                    final String completed = console.complete("jitmem:pin po");
                    assertFalse(completed, completed.contains(MapperProperties.TYPE_POSIX_SHM));
                }
                finally
                {
                    sharedMemory.start();
                }
                awaitTrue("the shared-memory backend back", () -> types(selector.service()).contains(
                    MapperProperties.TYPE_POSIX_SHM));
                assertEquals(Set.of("inprocess", "none", "posix-shm"), console.candidates("jitmem:pin "));

                // the executor's argument completion goes with the launcher bundle and comes back with it (Gogo
                // itself keeps listing the name of a command whose service went)
                final Bundle launcher = installedBundle(LAUNCHER_BUNDLE);
                assertEquals("jitmem:executor stop ", console.complete("jitmem:executor sto"));
                launcher.stop();
                try
                {
                    assertEquals("jitmem:executor sto", console.complete("jitmem:executor sto"));
                }
                finally
                {
                    launcher.start();
                }
                awaitTrue("the executor command and its completer back", () ->
                    registered("(osgi.command.function=executor)") &&
                    registered("(jitmem.completion.command=jitmem:executor)"));
                assertEquals("jitmem:executor stop ", console.complete("jitmem:executor sto"));
                console.execute("jitmem:backends", "inprocess");
            }
        }
    }

    /**
     * {@code jitmem:load} completes file paths, {@code jitmem:call} the symbols of the modules loaded, while they are
     * loaded.
     *
     * @throws Exception when the shell cannot be driven or the object not compiled
     */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void completesObjectPathsAndLoadedSymbols() throws Exception
    {
        installedBundle(GOGO_SHELL).stop();
        final Path directory = Files.createTempDirectory("completion-it");
        final Path object = Files.createFile(directory.resolve("probe-object.o"));
        try (TrackedService<CommandProcessor> processor = awaitService(CommandProcessor.class, null);
             TrackedService<Linker> linker = awaitService(Linker.class, null);
             Console console = new Console(processor.service()))
        {
            assertEquals("jitmem:load " + object + " ", console.complete("jitmem:load " + directory + "/probe-"));
            assertEquals("jitmem:call greeting_", console.complete("jitmem:call greeting_"));
            final LoadedModule module = within(linker.service().load("greeting", List.of(LinkerIT.compile()),
                Map.of()));
            try
            {
                assertEquals("jitmem:call greeting_length ", console.complete("jitmem:call greeting_"));
            }
            finally
            {
                within(module.unload());
            }
            assertEquals("jitmem:call greeting_", console.complete("jitmem:call greeting_"));
        }
        finally
        {
            Files.delete(object);
            Files.delete(directory);
        }
    }

    /**
     * A session of another shell (gogo.shell, Karaf's console) has no JLine completions: the commands run there as
     * ever and nothing is installed.
     *
     * @throws Exception when the command fails
     */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void commandsRunUnchangedInASessionWithoutJLine() throws Exception
    {
        try (TrackedService<CommandProcessor> processor = awaitService(CommandProcessor.class, null);
             TrackedService<BackendSelector> selector = awaitService(BackendSelector.class, null))
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (CommandSession session = processor.service().createSession(new java.io.ByteArrayInputStream(
                new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true,
                StandardCharsets.UTF_8)))
            {
                final Object pinned = session.execute("jitmem:pin inprocess");
                try
                {
                    assertTrue(String.valueOf(pinned), String.valueOf(pinned).contains("inprocess"));
                    assertEquals(MapperProperties.TYPE_INPROCESS, selector.service().pinnedType());
                    assertNull(session.get(".completions"));
                    assertNull(session.get(".jitmemCandidates"));
                }
                finally
                {
                    session.execute("jitmem:pin none");
                }
            }
            assertEquals("", selector.service().pinnedType());
        }
    }

    private boolean registered(final String filter)
    {
        try
        {
            return context().getAllServiceReferences(null, filter) != null;
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    private static Set<String> types(final BackendSelector selector)
    {
        return selector.backends().stream().map(BackendDescription::type).collect(Collectors.toSet());
    }

    /**
     * gogo.jline's login shell ({@code gosh --login --noshutdown}, as a container starts it) on a JLine terminal whose
     * keyboard and screen are pipes to the test.
     */
    private static final class Console implements AutoCloseable
    {
        private static final String PROMPT = "g! ";
        private static final char CTRL_D = 4;
        private static final char CTRL_U = 21;

        private final PipedOutputStream keys = new PipedOutputStream();
        private final Screen screen = new Screen();
        private final Terminal terminal;
        private final CommandSession session;
        private final CompletableFuture<Object> shell = new CompletableFuture<>();
        private final Thread thread;

        Console(final CommandProcessor processor) throws Exception
        {
            terminal = terminal(new PipedInputStream(keys, 1 << 16), screen);
            session = processor.createSession(terminal.input(), terminal.output(), terminal.output());
            session.put(".terminal", terminal);
            thread = new Thread(() ->
            {
                try
                {
                    // called, not executed: an executed gosh is a foreground job, which its shell then waits for
                    // after every command
                    final Function gosh = (Function) session.get("gogo:gosh");
                    shell.complete(gosh.execute(session, List.of("--login", "--noshutdown", "--nohistory")));
                }
                catch (final Exception ex)
                {
                    shell.completeExceptionally(ex);
                }
            }, "jline shell under test");
            thread.start();
            awaitScreen("the prompt", view -> view.line().isEmpty());
        }

        /** JLine finds its terminal providers through the context class loader: here, its own bundle's. */
        private static Terminal terminal(final PipedInputStream keyboard, final OutputStream display)
            throws IOException
        {
            final Thread thread = Thread.currentThread();
            final ClassLoader context = thread.getContextClassLoader();
            thread.setContextClassLoader(TerminalBuilder.class.getClassLoader());
            try
            {
                return TerminalBuilder.builder().system(false).type("xterm").size(new Size(200, 50))
                    .streams(keyboard, display).build();
            }
            finally
            {
                thread.setContextClassLoader(context);
            }
        }

        /**
         * Types a line and TAB, reads the candidates the shell lists under it, and clears the line.
         *
         * @param line the line typed before TAB
         * @return the candidates listed
         */
        Set<String> candidates(final String line) throws IOException
        {
            return Arrays.stream(listing(line).split("\\s+")).filter(word -> !word.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
        }

        /**
         * Types a line and TAB, reads what the shell lists under it, and clears the line.
         *
         * @param line the line typed before TAB
         * @return the rows under the line: the candidates, with their descriptions where they have some
         */
        String listing(final String line) throws IOException
        {
            // TAB lists the candidates, after inserting what they have in common
            type(line + "\t");
            final Screen.View listed = awaitScreen("the candidates of '" + line + "'", view ->
                view.line().startsWith(line) && !view.below().isBlank());
            clear();
            return listed.below();
        }

        /**
         * Types a prefix and TAB and reads the line as the shell completed it; then clears the line.
         *
         * @param prefix what is typed before TAB
         * @return the line after completion
         */
        String complete(final String prefix) throws IOException
        {
            // a key typed after TAB: once it shows, TAB has been handled
            final String marker = "#";
            type(prefix + "\t" + marker);
            final String line = awaitScreen("the completion of '" + prefix + "'", view ->
                view.line().endsWith(marker)).line();
            clear();
            return line.substring(0, line.length() - marker.length());
        }

        /**
         * Types keys and Enter and waits for the command's output and the next prompt.
         *
         * @param keys     the keys typed before Enter
         * @param expected text the command prints
         */
        void execute(final String keys, final String expected) throws IOException
        {
            type(keys + "\r");
            awaitScreen("the output of '" + keys + "'", view -> view.line().isEmpty() &&
                screen.rows().contains(expected));
        }

        private void clear() throws IOException
        {
            type(String.valueOf(CTRL_U));
            awaitScreen("an empty line", view -> view.line().isEmpty() && view.below().isBlank());
        }

        private void type(final String text) throws IOException
        {
            keys.write(text.getBytes(StandardCharsets.UTF_8));
            keys.flush();
        }

        private Screen.View awaitScreen(final String what, final Predicate<Screen.View> condition)
        {
            final Screen.View[] view = new Screen.View[1];
            try
            {
                awaitTrue(what, () ->
                {
                    if (shell.isDone())
                    {
                        throw new AssertionError("the shell ended: " + shell.handle((result, failure) ->
                            failure == null ? "result=" + result : failure.toString()).join());
                    }
                    view[0] = screen.view(PROMPT);
                    return view[0] != null && condition.test(view[0]);
                });
            }
            catch (final AssertionError ex)
            {
                // the probe reports the failure alone, without its cause
                final StringBuilder threads = new StringBuilder();
                Thread.getAllStackTraces().forEach((t, stack) ->
                {
                    if (t.getName().startsWith("pipe-") || t == thread)
                    {
                        threads.append(t.getName()).append('\n');
                        for (final StackTraceElement e : stack)
                        {
                            threads.append("  ").append(e).append('\n');
                        }
                    }
                });
                throw new AssertionError(ex.getMessage() + "; screen:\n" + screen.rows() + "\n" + threads);
            }
            return view[0];
        }

        @Override
        public void close() throws IOException, ExecutionException, TimeoutException
        {
            try
            {
                type(String.valueOf(CTRL_U) + CTRL_D);
                shell.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while the shell ends", ex);
            }
            finally
            {
                thread.interrupt();
                try
                {
                    thread.join(TIMEOUT_MILLIS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                assertFalse("the shell thread ends", thread.isAlive());
                session.close();
                terminal.close();
                keys.close();
            }
        }
    }

    /**
     * The terminal's screen as the shell draws it: the characters it writes at the cursor, and the few control
     * sequences JLine moves the cursor and erases with (CR, LF, backspace, cursor up, down, forward, back and column,
     * erase line and below); other sequences change no character.
     */
    private static final class Screen extends OutputStream
    {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final List<StringBuilder> rows = new ArrayList<>(List.of(new StringBuilder()));
        private int row;
        private int column;
        private int decoded;

        @Override
        public synchronized void write(final int b)
        {
            bytes.write(b);
        }

        @Override
        public synchronized void write(final byte[] b, final int off, final int len)
        {
            bytes.write(b, off, len);
        }

        /**
         * @param prompt the prompt
         * @return the line being edited (from the prompt to the cursor) and the text under it, or null while the
         *     cursor is on no prompt
         */
        synchronized View view(final String prompt)
        {
            decode();
            final String current = rows.get(row).toString();
            if (!current.startsWith(prompt) || column < prompt.length() || column > current.length())
            {
                return null;
            }
            return new View(current.substring(prompt.length(), column), String.join("\n",
                rows.subList(row + 1, rows.size())));
        }

        /** @return every row, for a failure's message */
        synchronized String rows()
        {
            decode();
            return String.join("\n", rows);
        }

        private void decode()
        {
            final String text = bytes.toString(StandardCharsets.UTF_8);
            int i = decoded;
            while (i < text.length())
            {
                final char c = text.charAt(i);
                if (c == '\u001B')
                {
                    final int end = sequenceEnd(text, i);
                    if (end < 0)
                    {
                        break;
                    }
                    control(text.substring(i, end));
                    i = end;
                    continue;
                }
                if (c == '\r')
                {
                    column = 0;
                }
                else if (c == '\n')
                {
                    moveTo(row + 1);
                }
                else if (c == '\b')
                {
                    column = Math.max(0, column - 1);
                }
                else if (c >= ' ')
                {
                    final StringBuilder line = rows.get(row);
                    while (line.length() < column)
                    {
                        line.append(' ');
                    }
                    if (column < line.length())
                    {
                        line.setCharAt(column, c);
                    }
                    else
                    {
                        line.append(c);
                    }
                    column++;
                }
                i++;
            }
            decoded = i;
        }

        /** @return the end of the sequence starting at {@code start}, or -1 when it is not all written yet */
        private static int sequenceEnd(final String text, final int start)
        {
            if (start + 1 >= text.length())
            {
                return -1;
            }
            if (text.charAt(start + 1) != '[')
            {
                return start + 2;
            }
            for (int i = start + 2; i < text.length(); i++)
            {
                if (text.charAt(i) >= '@' && text.charAt(i) <= '~')
                {
                    return i + 1;
                }
            }
            return -1;
        }

        private void control(final String sequence)
        {
            if (sequence.length() < 3 || sequence.charAt(1) != '[' || sequence.charAt(2) == '?')
            {
                return;
            }
            final char command = sequence.charAt(sequence.length() - 1);
            final String parameter = sequence.substring(2, sequence.length() - 1);
            final int n = parameter.isEmpty() || !parameter.chars().allMatch(Character::isDigit) ? 1 :
                Integer.parseInt(parameter);
            switch (command)
            {
                case 'A' -> row = Math.max(0, row - n);
                case 'B' -> moveTo(row + n);
                case 'C' -> column += n;
                case 'D' -> column = Math.max(0, column - n);
                case 'G' -> column = n - 1;
                case 'K' -> rows.get(row).setLength(parameter.equals("2") ? 0 :
                    Math.min(column, rows.get(row).length()));
                case 'J' ->
                {
                    rows.get(row).setLength(Math.min(column, rows.get(row).length()));
                    rows.subList(row + 1, rows.size()).clear();
                }
                default ->
                {
                }
            }
        }

        private void moveTo(final int target)
        {
            while (rows.size() <= target)
            {
                rows.add(new StringBuilder());
            }
            row = target;
        }

        /**
         * @param line  the line being edited, from the prompt to the cursor
         * @param below the rows under it
         */
        record View(String line, String below)
        {
        }
    }
}
