package org.jitmem.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jitmem.posix.Posix;

/**
 * Processor time of a process, user plus system, of every thread, exited ones included: this JVM's from Linux's
 * process CPU clock (to the nanosecond, as precise as the anchor's getrusage; the JDK's own figure comes in 10 ms
 * ticks, too coarse for a slab round of 20 ms), another process's from {@code /proc/<pid>/stat} (clock ticks), as the
 * LLVM anchor takes its executor's.
 */
final class ProcessCpu
{
    /** {@code /proc} counts in USER_HZ ticks, 100 a second on every Linux architecture. */
    private static final long NANOS_PER_TICK = 10_000_000L;
    private static final int UTIME_FIELD = 14;
    private static final int STIME_FIELD = 15;

    private ProcessCpu()
    {
    }

    /**
     * @return this process's processor time in nanoseconds
     */
    static long thisProcessNanos()
    {
        return Posix.processCpuNanos();
    }

    /**
     * @param pid a process of this machine
     * @return its processor time in nanoseconds, to a clock tick
     * @throws UncheckedIOException when its {@code /proc} entry cannot be read (it has exited)
     */
    static long processNanos(final long pid)
    {
        final Path stat = Path.of("/proc", Long.toString(pid), "stat");
        final String line;
        try
        {
            line = Files.readString(stat);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read processor time: pid=" + pid, ex);
        }
        // Fields count from 1; the command name (field 2) is in parentheses and may hold spaces.
        final String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
        final int first = 3;
        return (Long.parseLong(fields[UTIME_FIELD - first]) + Long.parseLong(fields[STIME_FIELD - first])) *
            NANOS_PER_TICK;
    }
}
