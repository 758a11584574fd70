package org.jitmem.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.sun.jna.Pointer;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.junit.jupiter.api.Test;
import org.jitmem.machine.ProcMaps;

class PosixTest
{
    private static final long PAGE = PageSize.get();

    @Test
    void pageSizeIsWhatTheSystemReports() throws IOException, InterruptedException
    {
        final Process getconf = new ProcessBuilder("getconf", "PAGESIZE").start();
        final String reported = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertEquals(0, getconf.waitFor());
        assertEquals(Long.parseLong(reported), PageSize.get());
        assertEquals(1, Long.bitCount(PAGE));
    }

    @Test
    void roundsToPages()
    {
        assertEquals(0, PageSize.roundUp(0));
        assertEquals(PAGE, PageSize.roundUp(1));
        assertEquals(PAGE, PageSize.roundUp(PAGE));
        assertEquals(2 * PAGE, PageSize.roundUp(PAGE + 1));
        assertEquals(-1, PageSize.roundUp(Long.MAX_VALUE));
        assertEquals(-1, PageSize.roundUp(-5));
        assertEquals(PAGE, PageSize.roundDown(2 * PAGE - 1));
        assertTrue(PageSize.isAligned(3 * PAGE));
    }

    @Test
    void mprotectFailureCarriesErrnoAndItsText()
    {
        final long address = Posix.mmapAnonymous(MapperOperation.RESERVE, PAGE, MemoryProtection.NONE);
        try
        {
            final MemoryMapperException failure = assertThrows(MemoryMapperException.class,
                () -> Posix.mprotect(MapperOperation.INITIALIZE, address + 1, PAGE, MemoryProtection.READ));
            assertEquals(OsConstants.EINVAL, failure.errno());
            assertEquals(MapperOperation.INITIALIZE, failure.operation());
            assertEquals(address + 1, failure.address());
            assertEquals(PAGE, failure.length());
            assertTrue(failure.reason().contains("mprotect r--"), failure.getMessage());
            assertTrue(failure.reason().contains(Posix.strerror(OsConstants.EINVAL)), failure.getMessage());
        }
        finally
        {
            Posix.munmap(MapperOperation.RELEASE, address, PAGE);
        }
        assertTrue(ProcMaps.self().isUnmapped(address, PAGE));
    }

    @Test
    void openFailureNamesThePath()
    {
        final MemoryMapperException failure = assertThrows(MemoryMapperException.class,
            () -> Posix.open(MapperOperation.RESERVE, "/nonexistent/jitmem", OsConstants.O_RDONLY, 0));
        assertEquals(OsConstants.ENOENT, failure.errno());
        assertTrue(failure.getMessage().contains("/nonexistent/jitmem"), failure.getMessage());
    }

    @Test
    void memfdIsMappedSharedThroughTwoAddresses()
    {
        final int fd = Posix.memfdCreate(MapperOperation.RESERVE, "jitmem-test");
        try
        {
            Posix.fallocate(MapperOperation.RESERVE, fd, 2 * PAGE);
            final long first = Posix.mmap(MapperOperation.RESERVE, 0, 2 * PAGE, MemoryProtection.READ_WRITE,
                OsConstants.MAP_SHARED, fd, 0);
            final long second = Posix.mmap(MapperOperation.RESERVE, 0, 2 * PAGE, MemoryProtection.READ,
                OsConstants.MAP_SHARED, fd, 0);
            new Pointer(first).setLong(PAGE + 8, 0x1234_5678_9abcL);
            assertEquals(0x1234_5678_9abcL, new Pointer(second).getLong(PAGE + 8));
            assertEquals(MemoryProtection.READ, ProcMaps.self().protection(second, 2 * PAGE));
            assertTrue(ProcMaps.self().mappingAt(first).orElseThrow().shared());
            Posix.munmap(MapperOperation.RELEASE, first, 2 * PAGE);
            Posix.munmap(MapperOperation.RELEASE, second, 2 * PAGE);
        }
        finally
        {
            Posix.close(MapperOperation.RELEASE, fd);
        }
        // The number may already be reused by another thread of this JVM: check what it names, not that it is free.
        final Path link = Path.of("/proc/self/fd/" + fd);
        assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS) &&
            ProcMaps.isMemfd(readLink(link), "jitmem-test"), "memfd descriptor closed");
    }

    private static String readLink(final Path link)
    {
        try
        {
            return Files.readSymbolicLink(link).toString();
        }
        catch (final java.io.IOException ex)
        {
            return "";
        }
    }

    @Test
    void sharedMemoryObjectIsCreatedAndUnlinked()
    {
        final String name = "/jitmem-test-" + Posix.pid();
        final int fd = Posix.shmOpen(MapperOperation.RESERVE, name,
            OsConstants.O_RDWR | OsConstants.O_CREAT | OsConstants.O_EXCL, 0600);
        try
        {
            Posix.ftruncate(MapperOperation.RESERVE, fd, PAGE);
            assertTrue(Files.exists(Path.of("/dev/shm" + name)));
            final MemoryMapperException again = assertThrows(MemoryMapperException.class,
                () -> Posix.shmOpen(MapperOperation.RESERVE, name,
                    OsConstants.O_RDWR | OsConstants.O_CREAT | OsConstants.O_EXCL, 0600));
            assertEquals(OsConstants.EEXIST, again.errno());
        }
        finally
        {
            Posix.shmUnlink(MapperOperation.RELEASE, name);
            Posix.close(MapperOperation.RELEASE, fd);
        }
        assertTrue(Files.notExists(Path.of("/dev/shm" + name)));
        assertEquals(OsConstants.ENOENT, assertThrows(MemoryMapperException.class,
            () -> Posix.shmUnlink(MapperOperation.RELEASE, name)).errno());
    }

    @Test
    void pidIsThisProcess()
    {
        assertEquals(ProcessHandle.current().pid(), Posix.pid());
    }
}
