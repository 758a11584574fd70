package org.jitmem.backend.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.api.UnsupportedPlatformException;
import org.junit.jupiter.api.Test;

final class WindowsStubMapperTest
{
    private static final String PLATFORM = "unsupported on this platform: os=Windows 11 arch=aarch64";
    private static final ExecutorAddress BASE = ExecutorAddress.of(0x7f00_0000_0000L);

    private final MemoryMapper mapper = new WindowsStubMapper("Windows 11", "aarch64");

    @Test
    void describesItselfWithoutTouchingTheOs()
    {
        assertEquals(MapperProperties.TYPE_WINDOWS_STUB, mapper.type());
        assertFalse(mapper.crossProcess());
        assertEquals(ProcessHandle.current().pid(), mapper.executorPid());
    }

    @Test
    void pageSizeThrows()
    {
        final UnsupportedPlatformException error = assertThrows(UnsupportedPlatformException.class, mapper::pageSize);
        assertEquals(MapperOperation.RESERVE, error.operation());
        assertEquals("reserve: page size: " + PLATFORM, error.getMessage());
    }

    @Test
    void reserveFailsNamingTheLength()
    {
        final UnsupportedPlatformException error = failure(mapper.reserve(65536));
        assertEquals(MapperOperation.RESERVE, error.operation());
        assertEquals(65536, error.length());
        assertEquals("reserve: " + PLATFORM + ": length=65536", error.getMessage());
    }

    @Test
    void prepareThrowsNamingTheRange()
    {
        final UnsupportedPlatformException error =
            assertThrows(UnsupportedPlatformException.class, () -> mapper.prepare(BASE, 4096));
        assertEquals(MapperOperation.PREPARE, error.operation());
        assertEquals("prepare: " + PLATFORM + ": address=0x7f0000000000 length=4096", error.getMessage());
    }

    @Test
    void initializeFailsNamingTheMappingBase()
    {
        final AllocInfo info = AllocInfo.of(BASE, Segment.of(0, 4096, MemoryProtection.READ_WRITE));
        final UnsupportedPlatformException error = failure(mapper.initialize(info));
        assertEquals(MapperOperation.INITIALIZE, error.operation());
        assertEquals("initialize: " + PLATFORM + ": address=0x7f0000000000", error.getMessage());
    }

    @Test
    void deinitializeFailsNamingTheFirstKey()
    {
        final UnsupportedPlatformException error = failure(mapper.deinitialize(List.of(BASE, BASE.add(4096))));
        assertEquals(MapperOperation.DEINITIALIZE, error.operation());
        assertEquals("deinitialize: " + PLATFORM + ": address=0x7f0000000000", error.getMessage());
    }

    @Test
    void releaseFailsEvenForNothing()
    {
        final UnsupportedPlatformException error = failure(mapper.release(List.of()));
        assertEquals(MapperOperation.RELEASE, error.operation());
        assertEquals(MemoryMapperException.UNKNOWN, error.address());
        assertEquals("release: " + PLATFORM, error.getMessage());
    }

    @Test
    void callFailsNamingTheFunction()
    {
        final UnsupportedPlatformException error = failure(mapper.call(ActionCall.of(BASE.add(16), new byte[8])));
        assertEquals(MapperOperation.CALL, error.operation());
        assertEquals("call: " + PLATFORM + ": address=0x7f0000000010", error.getMessage());
    }

    @Test
    void asynchronousFailuresSurfaceThroughAwaitUnwrapped()
    {
        final UnsupportedPlatformException error =
            assertThrows(UnsupportedPlatformException.class, () -> MemoryMapper.await(mapper.reserve(1)));
        assertTrue(error.getMessage().startsWith("reserve: unsupported on this platform"), error.getMessage());
    }

    private static UnsupportedPlatformException failure(final CompletionStage<?> stage)
    {
        assertTrue(stage.toCompletableFuture().isCompletedExceptionally(), "the stage must already have failed");
        return assertThrows(UnsupportedPlatformException.class, () -> MemoryMapper.await(stage));
    }
}
