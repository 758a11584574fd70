package org.jitmem.container;

import java.io.PrintStream;
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
    /** Framework property that tells bundles which mode the container runs in. */
    public static final String MODE_PROPERTY = "jitmem.mode";
    /** The value of {@link #MODE_PROPERTY} in demo mode. */
    public static final String MODE_DEMO = "demo";

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
        else if (LinkRun.MODE.equals(args[0]))
        {
            exitCode = LinkRun.run(args, out);
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
        try (FelixContainer container = startWithShutdownHook(Map.of(), out))
        {
            out.println("jitmem: Gogo shell ready; try 'lb', 'scr:list' or 'help'; 'stop 0' or Ctrl-D leaves");
            container.awaitStop(0);
        }
        return 0;
    }

    private static int runDemo(final PrintStream out)
    {
        final Map<String, String> properties = Map.of(MODE_PROPERTY, MODE_DEMO, "gosh.args", "--nointeractive");
        try (FelixContainer container = startWithShutdownHook(properties, out))
        {
            return new DemoRun(container, out).run();
        }
    }

    private static FelixContainer startWithShutdownHook(final Map<String, String> properties, final PrintStream out)
    {
        final List<EmbeddedBundles.EmbeddedBundle> bundles = EmbeddedBundles.load();
        final FelixContainer container = FelixContainer.start(properties, bundles, out);
        Runtime.getRuntime().addShutdownHook(new Thread(container::close, "jitmem-container-shutdown"));
        return container;
    }
}
