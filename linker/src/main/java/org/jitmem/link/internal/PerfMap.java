package org.jitmem.link.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * The map {@code perf} reads to name code it cannot find in any file: {@code /tmp/perf-<pid>.map}, one line
 * {@code start size name} (hexadecimal) per function, appended for every module loaded into that process.
 */
final class PerfMap
{
    private PerfMap()
    {
    }

    /**
     * @param pid       the executor's process id
     * @param functions each function's name and {start, size}
     */
    static synchronized void append(final long pid, final Map<String, long[]> functions)
    {
        final StringBuilder lines = new StringBuilder();
        functions.forEach((name, range) -> lines.append(Long.toHexString(range[0])).append(' ')
            .append(Long.toHexString(range[1])).append(' ').append(name).append('\n'));
        try
        {
            Files.writeString(file(pid), lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot append to the perf map: file=" + file(pid), ex);
        }
    }

    /**
     * @param pid a process id
     * @return its perf map
     */
    static Path file(final long pid)
    {
        return Path.of("/tmp", "perf-" + pid + ".map");
    }
}
