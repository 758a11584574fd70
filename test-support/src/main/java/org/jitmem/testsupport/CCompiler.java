package org.jitmem.testsupport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The system's C compiler, run at test time to make relocatable objects for the linker. */
public final class CCompiler
{
    private static final long TIMEOUT_SECONDS = 60;

    private CCompiler()
    {
    }

    /**
     * Compiles C source with {@code cc -c -O2 -fPIC}; the source file is deleted once compiled.
     *
     * @param source    C source
     * @param directory where the object goes
     * @param name      base name of the source and the object
     * @return the object file, which the caller deletes
     * @throws IOException          when the files cannot be written or the compiler not started
     * @throws InterruptedException when interrupted while waiting for the compiler
     * @throws AssertionError       when the compiler fails or does not end in time
     */
    public static Path compile(final String source, final Path directory, final String name)
        throws IOException, InterruptedException
    {
        final Path sourceFile = Files.writeString(directory.resolve(name + ".c"), source, StandardCharsets.UTF_8);
        final Path object = directory.resolve(name + ".o");
        try
        {
            final Process cc = new ProcessBuilder("cc", "-c", "-O2", "-fPIC", "-o", object.toString(),
                sourceFile.toString()).redirectErrorStream(true).start();
            final String output = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue("cc ends", cc.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals("cc: " + output, 0, cc.exitValue());
        }
        finally
        {
            Files.delete(sourceFile);
        }
        return object;
    }
}
