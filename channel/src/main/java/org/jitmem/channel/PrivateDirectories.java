package org.jitmem.channel;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Removal of the private directory tree that holds an executor's socket (and, when launched, its jar). */
public final class PrivateDirectories
{
    private PrivateDirectories()
    {
    }

    /**
     * Removes a directory tree without following links; entries that vanish meanwhile are skipped.
     *
     * @param directory the tree's root; nothing happens when it does not exist
     * @throws IOException when an entry cannot be removed
     */
    public static void deleteTree(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
        {
            return;
        }
        Files.walkFileTree(directory, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attributes) throws IOException
            {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(final Path file, final IOException failure) throws IOException
            {
                if (failure instanceof NoSuchFileException)
                {
                    return FileVisitResult.CONTINUE;
                }
                throw failure;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path dir, final IOException failure) throws IOException
            {
                if (failure != null)
                {
                    throw failure;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
