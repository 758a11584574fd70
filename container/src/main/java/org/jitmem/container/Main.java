package org.jitmem.container;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the jitmem container: Felix with SCR, Config Admin, Gogo, JNA and the jitmem bundles, all embedded in the
 * runnable jar.
 * <ul>
 *     <li>{@code java -jar jitmem-container.jar}: the interactive Gogo shell ({@code lb}, {@code scr:list},
 *     {@code stop 0} to leave);</li>
 *     <li>{@code java -jar jitmem-container.jar demo}: runs the demo without a shell and exits with its result;</li>
 *     <li>{@code java -jar jitmem-container.jar link a.o [-- args]}: runs a program's main in the executor.</li>
 * </ul>
 */
public final class Main
{
    /** The argument that runs the demo. */
    public static final String MODE_DEMO = "demo";
    /** The first argument of the link mode. */
    public static final String MODE_LINK = "link";

    private static final String USAGE = "usage: java -jar jitmem-container.jar [demo | link [--backend type] a.o... " +
        "[-- args...]]";
    private static final int EXIT_USAGE = 2;

    private Main()
    {
    }

    /**
     * @param args none for the shell, {@code demo} for the demo
     */
    public static void main(final String[] args)
    {
        final PrintStream out = System.out;
        final int exitCode;
        if (args.length == 0)
        {
            exitCode = runShell(out);
        }
        else if (args.length == 1 && MODE_DEMO.equals(args[0]))
        {
            exitCode = runDemo(out);
        }
        else if (MODE_LINK.equals(args[0]))
        {
            exitCode = runLink(List.of(args));
        }
        else
        {
            out.println(USAGE);
            exitCode = args.length == 1 && ("-h".equals(args[0]) || "--help".equals(args[0])) ? 0 : EXIT_USAGE;
        }
        out.flush();
        System.exit(exitCode);
    }

    private static int runShell(final PrintStream out)
    {
        try (FelixContainer container = startWithShutdownHook(
            WebConsoleAccess.frameworkProperties(FelixContainer.createStateDirectory(), out), List.of(), out))
        {
            WebConsoleAccess.announce(container.systemContext(), out);
            out.println("jitmem: Gogo shell ready; try 'lb', 'scr:list' or 'help'; 'stop 0' or Ctrl-D leaves");
            container.awaitStop(0);
        }
        return 0;
    }

    private static int runDemo(final PrintStream out)
    {
        try (FelixContainer container = startWithShutdownHook(withoutHttp(Map.of("gosh.args", "--nointeractive")),
            List.of(MODE_DEMO), out))
        {
            return new ApplicationRun(container, out).run();
        }
    }

    /**
     * Runs the linker's application quietly, so that standard output and error are the program's own: the container's
     * log goes to its file only, and what keeps the program from running to standard error.
     */
    private static int runLink(final List<String> arguments)
    {
        if (System.getProperty(ContainerLogging.CONSOLE_LEVEL) == null)
        {
            System.setProperty(ContainerLogging.CONSOLE_LEVEL, "OFF");
        }
        final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try (FelixContainer container = startWithShutdownHook(withoutHttp(Map.of("gosh.args", "--nointeractive")),
            arguments, quiet))
        {
            return new ApplicationRun(container, System.err).run();
        }
    }

    private static Map<String, String> withoutHttp(final Map<String, String> properties)
    {
        final Map<String, String> all = new HashMap<>(properties);
        all.putAll(WebConsoleAccess.DISABLED);
        return all;
    }

    private static FelixContainer startWithShutdownHook(final Map<String, String> properties,
        final List<String> arguments, final PrintStream out)
    {
        final List<EmbeddedBundles.EmbeddedBundle> bundles = EmbeddedBundles.load();
        final FelixContainer container = FelixContainer.start(properties, arguments, bundles, out);
        Runtime.getRuntime().addShutdownHook(new Thread(container::close, "jitmem-container-shutdown"));
        return container;
    }
}
