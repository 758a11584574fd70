package org.jitmem.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryProtection;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.Test;

class ProcMapsTest
{
    private static final long PAGE = PageSize.get();

    @Test
    void seesProtectionsPerPage()
    {
        final long address = Posix.mmapAnonymous(MapperOperation.RESERVE, 3 * PAGE, MemoryProtection.READ_WRITE);
        try
        {
            Posix.mprotect(MapperOperation.INITIALIZE, address + PAGE, PAGE, MemoryProtection.READ_EXEC);
            Posix.mprotect(MapperOperation.INITIALIZE, address + 2 * PAGE, PAGE, MemoryProtection.NONE);
            final ProcMaps maps = ProcMaps.self();
            assertEquals(MemoryProtection.READ_WRITE, maps.protection(address, PAGE));
            assertEquals(MemoryProtection.READ_EXEC, maps.protection(address + PAGE + 17));
            assertEquals(MemoryProtection.NONE, maps.protection(address + 2 * PAGE, PAGE));
            assertTrue(maps.isMapped(address, 3 * PAGE));
            assertEquals(3, maps.mappingsIn(address, 3 * PAGE).size());
            assertThrows(IllegalStateException.class, () -> maps.protection(address, 2 * PAGE));
            assertFalse(maps.mappingAt(address).orElseThrow().shared());
        }
        finally
        {
            Posix.munmap(MapperOperation.RELEASE, address, 3 * PAGE);
        }
        final ProcMaps after = ProcMaps.self();
        assertTrue(after.isUnmapped(address, 3 * PAGE));
        assertFalse(after.isMapped(address, PAGE));
        assertThrows(IllegalStateException.class, () -> after.protection(address));
    }

    @Test
    void readsAnotherProcessByPid()
    {
        final ProcMaps byPid = ProcMaps.of(ProcessHandle.current().pid());
        assertTrue(byPid.mappings().stream().anyMatch(mapping -> mapping.path().equals("[stack]")));
        assertThrows(UncheckedIOException.class, () -> ProcMaps.of(Integer.MAX_VALUE));
    }

    @Test
    void partlyMappedRangeIsNeitherMappedNorUnmapped()
    {
        final long address = Posix.mmapAnonymous(MapperOperation.RESERVE, 2 * PAGE, MemoryProtection.READ);
        Posix.munmap(MapperOperation.RELEASE, address + PAGE, PAGE);
        try
        {
            final ProcMaps maps = ProcMaps.self();
            assertFalse(maps.isMapped(address, 2 * PAGE));
            assertFalse(maps.isUnmapped(address, 2 * PAGE));
            assertTrue(maps.isMapped(address, PAGE));
        }
        finally
        {
            Posix.munmap(MapperOperation.RELEASE, address, PAGE);
        }
    }
}
