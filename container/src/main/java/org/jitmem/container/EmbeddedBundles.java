package org.jitmem.container;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The bundles the build put under {@code bundles/} beside the launcher: inside the runnable jar, or in the classes
 * directory when the launcher runs from the build tree.
 */
final class EmbeddedBundles
{
    /** Folder of the bundles, relative to the launcher's code source. */
    static final String FOLDER = "bundles/";

    /**
     * One bundle jar.
     *
     * @param name    file name, without the folder
     * @param content the whole jar
     */
    record EmbeddedBundle(String name, byte[] content)
    {
        /** @return the location the framework records for the bundle */
        String location()
        {
            return "embedded:" + FOLDER + name;
        }
    }

    private EmbeddedBundles()
    {
    }

    /**
     * @return every embedded bundle, sorted by file name
     * @throws IllegalStateException when there are none
     */
    static List<EmbeddedBundle> load()
    {
        final Path codeSource = codeSource();
        final List<EmbeddedBundle> bundles = Files.isDirectory(codeSource) ?
            fromDirectory(codeSource.resolve(FOLDER)) : fromJar(codeSource);
        if (bundles.isEmpty())
        {
            throw new IllegalStateException("no bundles embedded: codeSource=" + codeSource + " folder=" + FOLDER);
        }
        bundles.sort(Comparator.comparing(EmbeddedBundle::name));
        return Collections.unmodifiableList(bundles);
    }

    private static Path codeSource()
    {
        try
        {
            return Paths.get(EmbeddedBundles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException("launcher location is not a file: " + ex.getMessage(), ex);
        }
    }

    private static List<EmbeddedBundle> fromJar(final Path jar)
    {
        final List<EmbeddedBundle> bundles = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile()))
        {
            final Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements())
            {
                final JarEntry entry = entries.nextElement();
                final String name = entry.getName();
                if (isBundleJar(name) && name.indexOf('/', FOLDER.length()) < 0)
                {
                    try (InputStream in = file.getInputStream(entry))
                    {
                        bundles.add(new EmbeddedBundle(name.substring(FOLDER.length()), in.readAllBytes()));
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the embedded bundles: jar=" + jar, ex);
        }
        return bundles;
    }

    private static List<EmbeddedBundle> fromDirectory(final Path directory)
    {
        final List<EmbeddedBundle> bundles = new ArrayList<>();
        if (!Files.isDirectory(directory))
        {
            return bundles;
        }
        try (Stream<Path> files = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (isBundleJar(FOLDER + file.getFileName()))
                {
                    bundles.add(new EmbeddedBundle(file.getFileName().toString(), Files.readAllBytes(file)));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the bundles: directory=" + directory, ex);
        }
        return bundles;
    }

    private static boolean isBundleJar(final String entryName)
    {
        return entryName.startsWith(FOLDER) && entryName.endsWith(".jar");
    }
}
