package org.jitmem.runtime.slab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryProtection;
import org.junit.jupiter.api.Test;

final class SlabLayoutTest
{
    @Test
    void groupsByProtectionOnPageBoundaries()
    {
        final long page = 16384;
        final SlabLayout layout = SlabLayout.of(List.of(
            SegmentRequest.of(100, MemoryProtection.READ_EXEC),
            new SegmentRequest(10, 30, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD, 64),
            SegmentRequest.of(20, MemoryProtection.READ_EXEC),
            SegmentRequest.of(0, MemoryProtection.READ)), page);

        assertArrayEquals(new long[] {page, 0, page + 112, 0}, layout.offsets());
        assertEquals(2 * page, layout.totalSize());
        assertEquals(3, layout.segments().size(), "empty segments are not initialized");
    }

    @Test
    void finalizeLifetimeGroupsComeLastAsOneTail()
    {
        final long page = 4096;
        final SlabLayout layout = SlabLayout.of(List.of(
            new SegmentRequest(8, 0, MemoryProtection.READ, MemoryLifetime.FINALIZE, 8),
            SegmentRequest.of(100, MemoryProtection.READ_EXEC),
            new SegmentRequest(8, 0, MemoryProtection.READ_EXEC, MemoryLifetime.FINALIZE, 8),
            SegmentRequest.of(10, MemoryProtection.READ_WRITE)), page);

        assertArrayEquals(new long[] {2 * page, page, 3 * page, 0}, layout.offsets());
        assertEquals(2 * page, layout.standardSize(), "the standard groups end where the finalize tail begins");
        assertEquals(4 * page, layout.totalSize());
        assertEquals(page, SlabLayout.of(List.of(SegmentRequest.of(1, MemoryProtection.READ)), page).standardSize());
        assertEquals(0, SlabLayout.of(List.of(new SegmentRequest(1, 0, MemoryProtection.READ,
            MemoryLifetime.FINALIZE, 8)), page).standardSize());
    }

    @Test
    void refusesWhatCannotBeLaidOut()
    {
        assertThrows(InvalidRequestException.class, () -> SlabLayout.of(
            List.of(new SegmentRequest(1, 0, MemoryProtection.READ, MemoryLifetime.STANDARD, 8192)), 4096));
        assertThrows(InvalidRequestException.class, () -> SlabLayout.of(
            List.of(SegmentRequest.of(0, MemoryProtection.READ)), 4096));
    }
}
