package org.jitmem.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.osgi.framework.BundleContext;

/**
 * The container's state directory, kept across runs (the Web Console's credentials): the framework or system property
 * {@value #PROPERTY}, else {@code ~/.jitmem}, created 0700 when missing. bnd expands the bndrun's properties on the
 * build machine, so the default is taken here, at run time, and nowhere else.
 */
final class StateDirectory
{
    /** Framework or system property naming the state directory. */
    static final String PROPERTY = "jitmem.state";

    private StateDirectory()
    {
    }

    /**
     * @param context a bundle context, to read {@value #PROPERTY}
     * @return the state directory, created 0700 when it was missing
     */
    static Path create(final BundleContext context)
    {
        final String named = context.getProperty(PROPERTY);
        final Path directory = (named != null ? Path.of(named) :
            Path.of(System.getProperty("user.home"), ".jitmem")).toAbsolutePath();
        try
        {
            return Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the state directory: directory=" + directory + " " +
                ex.getMessage(), ex);
        }
    }
}
