package org.jitmem.container;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code link} mode: {@code link [--backend inprocess|posix-shm] a.o b.o [-- args...]} loads the objects into
 * the selected backend's executor, runs their {@code main} there and exits with its value. The linker bundle does the
 * work (its link-mode component reads the framework properties set here); the container stays quiet so that
 * standard output and error are the program's own.
 */
final class LinkRun
{
    /** The first argument that selects this mode. */
    static final String MODE = "link";

    private static final String USAGE =
        "usage: java -jar jitmem-container.jar link [--backend inprocess|posix-shm] a.o [b.o...] [-- args...]";
    private static final long TIMEOUT_MILLIS = TimeUnit.HOURS.toMillis(1);
    private static final int EXIT_FAILURE = 1;
    private static final int EXIT_USAGE = 2;

    private LinkRun()
    {
    }

    /**
     * @param args the command line, {@code link} first
     * @param out  where usage errors go
     * @return the exit status: main's value, 1 when linking failed, 2 for a usage error
     */
    static int run(final String[] args, final PrintStream out)
    {
        String backend = "";
        final List<String> objects = new ArrayList<>();
        final List<String> arguments = new ArrayList<>();
        int i = 1;
        for (; i < args.length && !"--".equals(args[i]); i++)
        {
            if ("--backend".equals(args[i]) && i + 1 < args.length)
            {
                backend = args[++i];
            }
            else
            {
                objects.add(Path.of(args[i]).toAbsolutePath().toString());
            }
        }
        for (i++; i < args.length; i++)
        {
            arguments.add(args[i]);
        }
        if (objects.isEmpty())
        {
            out.println(USAGE);
            return EXIT_USAGE;
        }
        Logger.getLogger("").setLevel(Level.SEVERE);
        final Map<String, String> properties = Map.of(Main.MODE_PROPERTY, MODE, "gosh.args", "--nointeractive",
            "jitmem.link.backend", backend, "jitmem.link.objects", String.join("\n", objects),
            "jitmem.link.arguments", String.join("\n", arguments));
        final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try (FelixContainer container = FelixContainer.start(properties, EmbeddedBundles.load(), quiet))
        {
            if (!container.awaitStop(TIMEOUT_MILLIS))
            {
                System.err.println("jitmem link: the program did not finish in time");
                return EXIT_FAILURE;
            }
        }
        final String exit = System.getProperty("jitmem.link.exit");
        return exit == null ? EXIT_FAILURE : Integer.parseInt(exit.trim());
    }
}
