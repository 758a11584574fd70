package org.jitmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

final class ValueTypesTest
{
    @Test
    void rangeContainmentIsHalfOpenAndUnsigned()
    {
        final ExecutorAddressRange range = ExecutorAddressRange.of(0x1000, 0x2000);
        assertTrue(range.contains(ExecutorAddress.of(0x1000)));
        assertTrue(range.contains(ExecutorAddress.of(0x2fff)));
        assertFalse(range.contains(ExecutorAddress.of(0x3000)));
        assertFalse(range.contains(ExecutorAddress.of(0xfff)));
        assertTrue(range.contains(ExecutorAddressRange.of(0x2000, 0x1000)));
        assertFalse(range.contains(ExecutorAddressRange.of(0x2000, 0x1001)));
        assertFalse(range.contains(ExecutorAddressRange.of(0xfff, 1)));

        final ExecutorAddressRange high = ExecutorAddressRange.of(0xffff_8000_0000_0000L, 0x1000);
        assertTrue(high.contains(ExecutorAddress.of(0xffff_8000_0000_0fffL)));
        assertFalse(high.contains(ExecutorAddress.of(0x1000)));
    }

    @Test
    void rangesThatWrapOrHaveNegativeSizeAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> ExecutorAddressRange.of(0x1000, -1));
        assertThrows(IllegalArgumentException.class, () -> ExecutorAddressRange.of(-4096, 8192));
    }

    @Test
    void overlapNeedsASharedByte()
    {
        final ExecutorAddressRange a = ExecutorAddressRange.of(0x1000, 0x1000);
        assertTrue(a.overlaps(ExecutorAddressRange.of(0x1fff, 1)));
        assertFalse(a.overlaps(ExecutorAddressRange.of(0x2000, 1)));
        assertFalse(a.overlaps(ExecutorAddressRange.of(0x1800, 0)));
    }

    @Test
    void protectionParsesAndPrintsLikeProcMaps()
    {
        for (final String text : List.of("---", "r--", "rw-", "r-x", "rwx", "--x"))
        {
            assertEquals(text, MemoryProtection.parse(text).toString());
        }
        assertTrue(MemoryProtection.READ_WRITE_EXEC.writableAndExecutable());
        assertFalse(MemoryProtection.READ_EXEC.writableAndExecutable());
        assertThrows(IllegalArgumentException.class, () -> MemoryProtection.parse("rw"));
        assertThrows(IllegalArgumentException.class, () -> MemoryProtection.parse("xwr"));
        assertThrows(IllegalArgumentException.class, () -> new MemoryProtection(8));
    }

    @Test
    void segmentsRefuseNegativeFieldsAndOverflow()
    {
        assertThrows(IllegalArgumentException.class, () -> Segment.of(-1, 10, MemoryProtection.READ));
        assertThrows(IllegalArgumentException.class, () -> Segment.of(0, -10, MemoryProtection.READ));
        assertThrows(IllegalArgumentException.class,
            () -> new Segment(0, Long.MAX_VALUE, 1, MemoryProtection.READ, MemoryLifetime.STANDARD));
        final Segment segment = new Segment(0x100, 10, 6, MemoryProtection.READ, MemoryLifetime.STANDARD);
        assertEquals(ExecutorAddressRange.of(0x1100, 16), segment.range(ExecutorAddress.of(0x1000)));
    }

    @Test
    void allocationKeyIsTheLowestSegmentAddress()
    {
        final AllocInfo info = AllocInfo.of(ExecutorAddress.of(0x10000),
            Segment.of(0x2000, 16, MemoryProtection.READ_EXEC), Segment.of(0x1000, 16, MemoryProtection.READ_WRITE));
        assertEquals(ExecutorAddress.of(0x11000), info.key());
    }

    @Test
    void actionCallsCopyTheirArgumentAndRefuseTheNullFunction()
    {
        final byte[] argument = {1, 2, 3};
        final ActionCall call = ActionCall.of(ExecutorAddress.of(0x4000), argument);
        argument[0] = 9;
        assertEquals(1, call.argument()[0]);
        assertEquals(3, call.argumentLength());
        assertThrows(IllegalArgumentException.class, () -> ActionCall.of(ExecutorAddress.NULL));
        assertTrue(ActionCall.NONE.isNone());
    }

    @Test
    void exceptionMessagesCarryTheirKeys()
    {
        final MemoryMapperException error =
            new MemoryMapperException(MapperOperation.RESERVE, "mmap failed", 0x7f00_0000L, 8192, 12);
        assertEquals("reserve: mmap failed: address=0x7f000000 length=8192 errno=12", error.getMessage());
        assertEquals(12, error.errno());

        final InvalidRequestException invalid = new InvalidRequestException(MapperOperation.RESERVE,
            "size must be positive", MemoryMapperException.UNKNOWN, 0);
        assertEquals("reserve: size must be positive: length=0", invalid.getMessage());

        final ActionFailedException failed = new ActionFailedException(MapperOperation.INITIALIZE, 2, 0x1000, 7);
        assertEquals("initialize: finalize action 2 failed with result 7: address=0x1000", failed.getMessage());
    }

    @Test
    void joinerThrowsTheFirstAndSuppressesTheRest()
    {
        final ErrorJoiner joiner = new ErrorJoiner();
        assertTrue(joiner.isEmpty());
        joiner.throwIfAny();
        final RuntimeException first = new InvalidRequestException(MapperOperation.RELEASE, "unknown", 1, 0);
        final RuntimeException second = new InvalidRequestException(MapperOperation.RELEASE, "unknown", 2, 0);
        joiner.add(first);
        joiner.add(second);
        final RuntimeException thrown = assertThrows(RuntimeException.class, joiner::throwIfAny);
        assertEquals(first, thrown);
        assertEquals(List.of(second), List.of(thrown.getSuppressed()));
    }

    @Test
    void awaitUnwrapsTheFailure()
    {
        final InvalidRequestException cause =
            new InvalidRequestException(MapperOperation.RESERVE, "bad", MemoryMapperException.UNKNOWN, -1);
        final RuntimeException thrown = assertThrows(RuntimeException.class,
            () -> MemoryMapper.await(java.util.concurrent.CompletableFuture.failedFuture(cause)));
        assertEquals(cause, thrown);
        assertEquals(5L, (long)MemoryMapper.await(java.util.concurrent.CompletableFuture.completedFuture(5L)));
    }
}
