package org.jitmem.container;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.osgi.framework.BundleContext;

/**
 * The home of Gogo's JLine shell ({@value #HOME}), in this bundle's storage, removed with the framework's: its
 * {@code etc/gosh_profile} reads the shell's own profile only in a session with a line reader. Gogo's JLine bundle
 * opens a session without one when it starts (the container's {@code gosh.args=--nointeractive}), where its own
 * profile, which sets line-reader options, would fail with a trace at every start.
 */
final class ShellHome
{
    /** System property Gogo's JLine shell reads its home from. */
    static final String HOME = "gosh.home";
    /** System property that lets JLine fall back to a dumb terminal without a warning when there is no terminal. */
    private static final String DUMB_TERMINAL = "org.jline.terminal.dumb";

    private ShellHome()
    {
    }

    /**
     * @param context this bundle's context, whose storage holds the home
     */
    static void prepare(final BundleContext context)
    {
        if (System.getProperty(DUMB_TERMINAL) == null)
        {
            System.setProperty(DUMB_TERMINAL, "true");
        }
        if (System.getProperty(HOME) != null)
        {
            return;
        }
        final Path home = context.getDataFile("gosh").toPath();
        try (InputStream profile = ShellHome.class.getResourceAsStream("gosh_profile"))
        {
            if (profile == null)
            {
                throw new IllegalStateException("gosh_profile missing beside " + ShellHome.class.getName());
            }
            Files.createDirectories(home.resolve("etc"));
            Files.copy(profile, home.resolve("etc").resolve("gosh_profile"), StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot prepare the shell's home: directory=" + home + " " +
                ex.getMessage(), ex);
        }
        System.setProperty(HOME, home.toString());
    }
}
