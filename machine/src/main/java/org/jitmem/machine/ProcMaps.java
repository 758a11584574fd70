package org.jitmem.machine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MemoryProtection;

/**
 * A snapshot of {@code /proc/<pid>/maps} (Linux): which ranges are mapped and with which protection. Take a new
 * snapshot after every change to look at.
 */
public final class ProcMaps
{
    /** A mapping's or a descriptor's path naming a memory file: its name, and whether it was deleted. */
    private static final Pattern MEMFD = Pattern.compile("/memfd:(.*?)( \\(deleted\\))?");
    /** A mapping's or a descriptor's path naming a POSIX shared memory object. */
    private static final Pattern SHARED_MEMORY_OBJECT = Pattern.compile("/dev/shm/([^/]+?)( \\(deleted\\))?");

    /**
     * One line of the maps file.
     *
     * @param start      first address
     * @param end        first address past the mapping
     * @param protection read, write and execute bits
     * @param shared     true for a shared mapping, false for a private one
     * @param path       the backing file or pseudo name, empty for anonymous memory
     */
    public record Mapping(long start, long end, MemoryProtection protection, boolean shared, String path)
    {
        /**
         * @param address an address
         * @return true when the address lies in this mapping
         */
        public boolean contains(final long address)
        {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
        }

        /**
         * @param name a {@code memfd_create} name
         * @return true when this maps a memory file of that name
         */
        public boolean isMemfd(final String name)
        {
            return ProcMaps.isMemfd(path, name);
        }

        /**
         * @param name what the name of a POSIX shared memory object must match, without its leading slash
         * @return true when this maps such an object of {@code /dev/shm}, linked or not
         */
        public boolean isSharedMemoryObject(final Pattern name)
        {
            final Matcher object = SHARED_MEMORY_OBJECT.matcher(path == null ? "" : path);
            return object.matches() && name.matcher(object.group(1)).matches();
        }
    }

    private final List<Mapping> mappings;

    private ProcMaps(final List<Mapping> mappings)
    {
        this.mappings = mappings;
    }

    /**
     * @param path the path of a mapping, or the target of a {@code /proc/<pid>/fd} link
     * @param name a {@code memfd_create} name
     * @return true when the path names a memory file of exactly that name, never for a file whose path merely
     *     contains the name
     */
    public static boolean isMemfd(final String path, final String name)
    {
        if (path == null)
        {
            return false;
        }
        final Matcher memfd = MEMFD.matcher(path);
        return memfd.matches() && memfd.group(1).equals(name);
    }

    /** @return a snapshot of this process's mappings */
    public static ProcMaps self()
    {
        return read(Path.of("/proc/self/maps"));
    }

    /**
     * @param pid a process id
     * @return the process's resident set size in bytes ({@code VmRSS} of {@code /proc/<pid>/status})
     */
    public static long residentBytes(final long pid)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return Long.parseLong(line.substring("VmRSS:".length()).trim().split("\\s+")[0]) * 1024;
                }
            }
            throw new IllegalStateException("no VmRSS in the status of pid=" + pid);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param pid a process id
     * @return a snapshot of that process's mappings
     */
    public static ProcMaps of(final long pid)
    {
        return read(Path.of("/proc", Long.toString(pid), "maps"));
    }

    private static ProcMaps read(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the mappings: file=" + file, ex);
        }
        final List<Mapping> mappings = new ArrayList<>(lines.size());
        for (final String line : lines)
        {
            mappings.add(parse(line));
        }
        return new ProcMaps(List.copyOf(mappings));
    }

    private static Mapping parse(final String line)
    {
        final String[] fields = line.trim().split("\\s+", 6);
        final int dash = fields[0].indexOf('-');
        final String permissions = fields[1];
        return new Mapping(
            Long.parseUnsignedLong(fields[0].substring(0, dash), 16),
            Long.parseUnsignedLong(fields[0].substring(dash + 1), 16),
            MemoryProtection.parse(permissions.substring(0, 3)),
            permissions.charAt(3) == 's',
            fields.length > 5 ? fields[5] : "");
    }

    /** @return every mapping, in address order */
    public List<Mapping> mappings()
    {
        return mappings;
    }

    /**
     * @param address an address
     * @return the mapping holding it, if any
     */
    public Optional<Mapping> mappingAt(final long address)
    {
        return mappings.stream().filter(mapping -> mapping.contains(address)).findFirst();
    }

    /**
     * @param address start
     * @param length  bytes, more than zero
     * @return the mappings that share at least one byte with the range, in address order
     */
    public List<Mapping> mappingsIn(final long address, final long length)
    {
        final long end = address + length;
        return mappings.stream()
            .filter(m -> Long.compareUnsigned(m.start, end) < 0 && Long.compareUnsigned(address, m.end) < 0)
            .toList();
    }

    /**
     * @param address start
     * @param length  bytes, more than zero
     * @return true when every byte of the range is mapped
     */
    public boolean isMapped(final long address, final long length)
    {
        long next = address;
        for (final Mapping mapping : mappingsIn(address, length))
        {
            if (Long.compareUnsigned(mapping.start, next) > 0)
            {
                return false;
            }
            next = mapping.end;
        }
        return Long.compareUnsigned(next, address + length) >= 0;
    }

    /**
     * @param address start
     * @param length  bytes, more than zero
     * @return true when no byte of the range is mapped
     */
    public boolean isUnmapped(final long address, final long length)
    {
        return mappingsIn(address, length).isEmpty();
    }

    /**
     * Whether a shared mapping is gone: a process may map private memory of its own into the hole at once, so only
     * a shared mapping in the range can still be it.
     *
     * @param address start
     * @param length  bytes, more than zero
     * @return true when no shared mapping overlaps the range
     */
    public boolean hasNoSharedMapping(final long address, final long length)
    {
        return mappingsIn(address, length).stream().noneMatch(Mapping::shared);
    }

    /**
     * @param address start
     * @param length  bytes, more than zero
     * @return the one protection of the whole range
     * @throws IllegalStateException when part of the range is unmapped or the protection differs within it
     */
    public MemoryProtection protection(final long address, final long length)
    {
        final List<Mapping> covering = mappingsIn(address, length);
        if (!isMapped(address, length) ||
            covering.stream().map(Mapping::protection).distinct().count() != 1)
        {
            throw new IllegalStateException("range is not mapped with one protection: address=" +
                ExecutorAddress.hex(address) + " length=" + length + " mappings=" + covering);
        }
        return covering.get(0).protection();
    }

    /**
     * @param address an address
     * @return the protection of the page holding it
     * @throws IllegalStateException when it is not mapped
     */
    public MemoryProtection protection(final long address)
    {
        return protection(address, 1);
    }
}
