package org.jitmem.channel;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A Unix domain socket in a private (0700) directory that accepts processes of the same user only (checked with
 * {@code SO_PEERCRED}); removing it deletes the socket, and the directory when it created it.
 */
final class UnixListener implements Listener
{
    private static final System.Logger LOG = System.getLogger(UnixListener.class.getName());
    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private final Path socketPath;
    private final Path directory;
    private final boolean createdDirectory;
    private final ServerSocketChannel serverSocket;
    private final UserPrincipal owner;

    private UnixListener(final Path socketPath, final Path directory, final boolean createdDirectory,
        final ServerSocketChannel serverSocket, final UserPrincipal owner)
    {
        this.socketPath = socketPath;
        this.directory = directory;
        this.createdDirectory = createdDirectory;
        this.serverSocket = serverSocket;
        this.owner = owner;
    }

    /**
     * Creates the socket's directory with mode 0700 when it does not exist (and then removes it), or checks that it
     * is private when it does, and binds the socket.
     *
     * @param socketPath where to listen
     * @return the bound listener
     * @throws InvalidRequestException      when the directory is not private
     * @throws ExecutorUnavailableException when the socket cannot be bound
     */
    static UnixListener bind(final Path socketPath)
    {
        final Path socket = socketPath.toAbsolutePath();
        final Path directory = socket.getParent();
        final boolean created = createPrivateDirectory(directory);
        ServerSocketChannel serverSocket = null;
        try
        {
            checkPrivate(directory);
            serverSocket = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            serverSocket.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PRIVATE_FILE);
            final UserPrincipal owner = Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS);
            if (!owner.equals(Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS)))
            {
                throw invalid("socket directory belongs to another user: directory=" + directory);
            }
            return new UnixListener(socket, directory, created, serverSocket, owner);
        }
        catch (final IOException | RuntimeException ex)
        {
            final boolean bound = serverSocket != null && serverSocket.socket().isBound();
            Closeables.closeQuietly(serverSocket);
            if (bound)
            {
                deleteQuietly(socket);
            }
            if (created)
            {
                deleteQuietly(directory);
            }
            if (ex instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, "cannot listen: socket=" + socket,
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
    }

    Path socketPath()
    {
        return socketPath;
    }

    @Override
    public Accepted accept() throws IOException
    {
        final SocketChannel socket = serverSocket.accept();
        if (!isSameUser(socket))
        {
            Closeables.closeQuietly(socket);
            return null;
        }
        final Transport transport = Transport.unix(socket, "socket=" + socketPath);
        return new Accepted()
        {
            @Override
            public Transport open()
            {
                return transport;
            }

            @Override
            public void abort()
            {
                transport.close();
            }

            @Override
            public String peer()
            {
                return transport.peer();
            }
        };
    }

    @Override
    public boolean isOpen()
    {
        return serverSocket.isOpen();
    }

    @Override
    public void close()
    {
        Closeables.closeQuietly(serverSocket);
    }

    @Override
    public void remove()
    {
        deleteQuietly(socketPath);
        if (createdDirectory)
        {
            deleteQuietly(directory);
        }
    }

    @Override
    public SocketAddress localAddress()
    {
        return UnixDomainSocketAddress.of(socketPath);
    }

    @Override
    public boolean isLocal()
    {
        return true;
    }

    @Override
    public String toString()
    {
        return "socket=" + socketPath;
    }

    private boolean isSameUser(final SocketChannel socket)
    {
        try
        {
            final UnixDomainPrincipal peer = socket.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (owner.equals(peer.user()))
            {
                return true;
            }
            LOG.log(System.Logger.Level.WARNING, "connection refused, peer is another user: peer=" + peer.user() +
                " owner=" + owner + " socket=" + socketPath);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "connection refused, peer unknown: socket=" + socketPath, ex);
        }
        return false;
    }

    private static boolean createPrivateDirectory(final Path directory)
    {
        if (Files.exists(directory, LinkOption.NOFOLLOW_LINKS))
        {
            return false;
        }
        try
        {
            if (directory.getParent() != null)
            {
                Files.createDirectories(directory.getParent());
            }
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
            Files.setPosixFilePermissions(directory, PRIVATE_DIRECTORY);
            return true;
        }
        catch (final IOException ex)
        {
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, "cannot create socket directory: directory=" +
                directory, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
    }

    private static void checkPrivate(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS))
        {
            throw invalid("socket directory is not a directory: directory=" + directory);
        }
        final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS);
        if (!permissions.equals(PRIVATE_DIRECTORY))
        {
            throw invalid("socket directory is not private: directory=" + directory + " permissions=" +
                PosixFilePermissions.toString(permissions));
        }
    }

    private static InvalidRequestException invalid(final String reason)
    {
        return new InvalidRequestException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN);
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot delete: path=" + path, ex);
        }
    }
}
