package org.jitmem.link;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A relocatable object as a compiler wrote it, with a name used in error messages.
 *
 * @param name  the name errors use, such as a file name
 * @param bytes the object's bytes; not copied, so not to be changed while a load reads them
 */
public record ObjectFile(String name, byte[] bytes)
{
    /**
     * @param name  name
     * @param bytes content
     */
    public ObjectFile
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bytes, "bytes");
    }

    /**
     * @param file a file
     * @return the object in the file, named by the file name
     * @throws UncheckedIOException when the file cannot be read
     */
    public static ObjectFile read(final Path file)
    {
        try
        {
            return new ObjectFile(file.getFileName().toString(), Files.readAllBytes(file));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read object: file=" + file, ex);
        }
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof ObjectFile other && name.equals(other.name) && java.util.Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode()
    {
        return 31 * name.hashCode() + java.util.Arrays.hashCode(bytes);
    }

    @Override
    public String toString()
    {
        return "ObjectFile(" + name + ", " + bytes.length + " bytes)";
    }
}
