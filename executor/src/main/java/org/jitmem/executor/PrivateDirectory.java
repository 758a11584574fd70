package org.jitmem.executor;

import java.io.IOException;
import java.net.URISyntaxException;
import java.security.CodeSource;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.jitmem.channel.PrivateDirectories;

/**
 * The socket's directory as the executor's own, removed as a whole when the executor exits: only while it is private
 * (mode 0700, owned by the socket's owner) and holds nothing but the socket, the executor's jar and JNA's temporary
 * directory ({@code jna.tmpdir}), each only when it lies directly in it. Anything else stays, and so does the directory.
 */
final class PrivateDirectory
{
    private static final System.Logger LOG = System.getLogger(PrivateDirectory.class.getName());
    private static final String PRIVATE = "rwx------";

    private final Path directory;
    private final UserPrincipal owner;
    private final Set<Path> expected;
    private boolean removed;

    private PrivateDirectory(final Path directory, final UserPrincipal owner, final Set<Path> expected)
    {
        this.directory = directory;
        this.owner = owner;
        this.expected = expected;
    }

    /**
     * Claims the directory of a listening socket, checking that it may be removed as a whole.
     *
     * @param socket the socket this process listens on
     * @return the claimed directory
     * @throws IllegalStateException when it is not private or holds something unexpected
     */
    static PrivateDirectory claim(final Path socket)
    {
        final Path absolute = socket.toAbsolutePath().normalize();
        final Path directory = absolute.getParent();
        final Set<Path> expected = new HashSet<>();
        expected.add(absolute);
        inside(directory, ownJar()).ifPresent(expected::add);
        final String jnaTemp = System.getProperty("jna.tmpdir");
        if (jnaTemp != null)
        {
            inside(directory, Path.of(jnaTemp)).ifPresent(expected::add);
        }
        try
        {
            final PrivateDirectory claimed = new PrivateDirectory(directory,
                Files.getOwner(absolute, LinkOption.NOFOLLOW_LINKS), Set.copyOf(expected));
            final String refusal = claimed.refusal();
            if (refusal != null)
            {
                throw new IllegalStateException("socket directory cannot be removed on exit: " + refusal);
            }
            return claimed;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot check the socket directory: directory=" + directory, ex);
        }
    }

    /**
     * Removes the whole directory, after checking again that it is still private and holds only what is expected;
     * otherwise leaves it and logs why. Idempotent; never throws.
     */
    synchronized void remove()
    {
        if (removed)
        {
            return;
        }
        removed = true;
        try
        {
            if (Files.notExists(directory, LinkOption.NOFOLLOW_LINKS))
            {
                return;
            }
            final String refusal = refusal();
            if (refusal != null)
            {
                LOG.log(System.Logger.Level.WARNING, "socket directory left in place: " + refusal);
                return;
            }
            PrivateDirectories.deleteTree(directory);
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot remove the socket directory: directory=" + directory, ex);
        }
    }

    /** @return why the directory must not be removed, or null when it may */
    private String refusal() throws IOException
    {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS))
        {
            return "not a directory: directory=" + directory;
        }
        final String permissions = PosixFilePermissions.toString(
            Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS));
        if (!PRIVATE.equals(permissions))
        {
            return "not private: directory=" + directory + " permissions=" + permissions;
        }
        final UserPrincipal directoryOwner = Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS);
        if (!owner.equals(directoryOwner))
        {
            return "owned by another user: directory=" + directory + " owner=" + directoryOwner + " user=" + owner;
        }
        try (Stream<Path> entries = Files.list(directory))
        {
            final List<Path> unexpected = entries.filter(entry -> !expected.contains(entry)).toList();
            return unexpected.isEmpty() ? null : "unexpected entries: directory=" + directory + " entries=" + unexpected;
        }
    }

    private static Optional<Path> inside(final Path directory, final Path candidate)
    {
        if (candidate == null)
        {
            return Optional.empty();
        }
        final Path absolute = candidate.toAbsolutePath().normalize();
        return directory.equals(absolute.getParent()) ? Optional.of(absolute) : Optional.empty();
    }

    private static Path ownJar()
    {
        try
        {
            final CodeSource source = ExecutorMain.class.getProtectionDomain().getCodeSource();
            return source == null ? null : Path.of(source.getLocation().toURI());
        }
        catch (final URISyntaxException | RuntimeException ex)
        {
            return null;
        }
    }
}
