package org.jitmem.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionFailedException;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.Segment;
import org.jitmem.api.MemoryUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.Posix;

class ExecutorMemoryTest
{
    private static final long PAGE = PageSize.get();
    private static final int STORE = 0;
    private static final int FAIL = 64;
    private static final int CONSTANT = 128;
    private static final int LENGTH = 192;
    private static final long FAILURE_CODE = 7;

    private final ExecutorMemory memory = new ExecutorMemory(ExecutorMemory.Policy.IN_PROCESS);
    private final List<ExecutorMemory> others = new ArrayList<>();

    @AfterEach
    void releaseEverything()
    {
        memory.close();
        others.forEach(ExecutorMemory::close);
        assertEquals(0, memory.reservationCount());
        assertEquals(0, memory.reservedBytes());
    }

    @Test
    void writeCopiesIntoFreeMemoryOnlyAndCommitsIt()
    {
        final ExecutorAddressRange range = memory.reserve(4 * PAGE + ExecutorMemory.POPULATE_ON_RESERVE_LIMIT);
        final ExecutorAddress start = range.start();
        final long committed = memory.usage().committedBytes();
        memory.write(start.add(PAGE + 8), new byte[] {1, 2, 3});
        assertEquals(committed + PAGE, memory.usage().committedBytes(), "the page written is committed");
        assertEquals(0x030201, memory.workingMemory(start.add(PAGE + 8), 4).getInt(0) & 0xFFFFFF);

        memory.initialize(AllocInfo.of(start, Segment.of(0, 16, MemoryProtection.READ),
            Segment.of(2 * PAGE, 16, MemoryProtection.READ_WRITE)));
        assertThrows(InvalidRequestException.class, () -> memory.write(start.add(8), new byte[1]),
            "inside an initialized segment");
        assertThrows(InvalidRequestException.class, () -> memory.write(start.add(64), new byte[1]),
            "on a read-only page of one");
        assertThrows(InvalidRequestException.class, () -> memory.write(start.add(2 * PAGE + 8), new byte[16]),
            "overlapping a writable one");
        memory.write(start.add(2 * PAGE + 16), new byte[] {9});
        assertThrows(InvalidRequestException.class, () -> memory.write(start.add(range.size() - 1), new byte[2]),
            "past the reservation");
        assertThrows(InvalidRequestException.class, () -> memory.write(start.add(-1), new byte[1]),
            "outside every reservation");
        assertThrows(IllegalStateException.class, () -> new ExecutorMemory(ExecutorMemory.Policy.SHARED_MEMORY)
            .write(start, new byte[1]), "free memory that is not writable");
    }

    @Test
    void reserveRoundsUpToPages()
    {
        final ExecutorAddressRange one = memory.reserve(1);
        final ExecutorAddressRange more = memory.reserve(PAGE + 1);
        assertEquals(PAGE, one.size());
        assertEquals(2 * PAGE, more.size());
        assertTrue(PageSize.isAligned(one.start().value()));
        assertEquals(3 * PAGE, memory.reservedBytes());
        assertEquals(2, memory.reservationCount());
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(more.start().value(), more.size()));
    }

    @Test
    void smallReservationsAreFaultedInByReserveLargerOnesByPrepare()
    {
        assumeTrue(OsConstants.LINUX, "MAP_POPULATE and MADV_POPULATE_WRITE are Linux calls");
        final ExecutorAddressRange small = memory.reserve(ExecutorMemory.POPULATE_ON_RESERVE_LIMIT);
        assertEquals(small.size() / PAGE, Residency.residentPages(small.start().value(), small.size()));
        memory.workingMemory(small.start(), small.size()).put(0, (byte)1);
        assertEquals(small.size() / PAGE, Residency.residentPages(small.start().value(), small.size()));

        final ExecutorAddressRange larger = memory.reserve(2 * ExecutorMemory.POPULATE_ON_RESERVE_LIMIT);
        final long start = larger.start().value();
        assertEquals(0, Residency.residentPages(start, larger.size()));
        memory.workingMemory(ExecutorAddress.of(start + PAGE), PAGE + 1);
        assertEquals(2, Residency.residentPages(start + PAGE, 2 * PAGE));
        assertEquals(0, Residency.residentPages(start, PAGE));
    }

    @Test
    void sharedMemoryPolicyReservesWithNoAccess()
    {
        final ExecutorMemory executor = sharedMemoryExecutor();
        final ExecutorAddressRange range = executor.reserve(PAGE);
        assertEquals(MemoryProtection.NONE, ProcMaps.self().protection(range.start().value(), PAGE));
    }

    @Test
    void reserveRefusesZeroNegativeAndAbsurdSizes()
    {
        for (final long size : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - PAGE + 2,
            ExecutorMemory.ADDRESS_SPACE_LIMIT + 1})
        {
            final InvalidRequestException failure = assertThrows(InvalidRequestException.class,
                () -> memory.reserve(size), "size " + size);
            assertEquals(MapperOperation.RESERVE, failure.operation());
            assertEquals(size, failure.length());
        }
        assertEquals(0, memory.reservationCount());
    }

    @Test
    void failedMmapNamesErrnoAndLeavesNothing()
    {
        final ExecutorMemory unlimited = new ExecutorMemory(ExecutorMemory.Policy.IN_PROCESS,
            new MemoryLimits(ExecutorMemory.ADDRESS_SPACE_LIMIT, PAGE));
        final MemoryMapperException failure = assertThrows(MemoryMapperException.class,
            () -> unlimited.reserve(ExecutorMemory.ADDRESS_SPACE_LIMIT));
        assertEquals(OsConstants.ENOMEM, failure.errno());
        assertTrue(failure.reason().startsWith("mmap failed: "), failure.getMessage());
        assertEquals(0, unlimited.reservationCount());
        assertEquals(0, unlimited.reservedBytes());
        assertEquals(new MemoryUsage(0, ExecutorMemory.ADDRESS_SPACE_LIMIT, 0, PAGE), unlimited.usage());
    }

    @Test
    void reserveBeyondTheReservedLimitIsRefusedBeforeAnythingIsMapped()
    {
        final ExecutorMemory limited = new ExecutorMemory(ExecutorMemory.Policy.IN_PROCESS,
            new MemoryLimits(64 * PAGE, 64 * PAGE));
        final ExecutorAddressRange held = limited.reserve(40 * PAGE);
        final int mappings = ProcMaps.self().mappings().size();
        final MemoryLimitException failure = assertThrows(MemoryLimitException.class,
            () -> limited.reserve(24 * PAGE + 1));
        assertEquals(MemoryUsage.Limit.RESERVED, failure.limit());
        assertEquals(MapperOperation.RESERVE, failure.operation());
        assertEquals(25 * PAGE, failure.requested());
        assertEquals(40 * PAGE, failure.used());
        assertEquals(64 * PAGE, failure.maximum());
        assertTrue(failure.getMessage().contains("limit=reserved requested=" + 25 * PAGE + " used=" + 40 * PAGE),
            failure.getMessage());
        assertEquals(mappings, ProcMaps.self().mappings().size(), "nothing mapped");
        assertEquals(1, limited.reservationCount());
        limited.release(List.of(held.start()));
        assertEquals(new MemoryUsage(0, 64 * PAGE, 0, 64 * PAGE), limited.usage());
        limited.release(List.of(limited.reserve(64 * PAGE).start()));
    }

    @Test
    void reserveCommitsNothingAndPrepareAndInitializeCommitWithinTheCommittedLimit()
    {
        final long big = 2 * ExecutorMemory.POPULATE_ON_RESERVE_LIMIT + 64 * PAGE;
        final ExecutorMemory limited = new ExecutorMemory(ExecutorMemory.Policy.IN_PROCESS,
            new MemoryLimits(4 * big, 8 * PAGE));
        final ExecutorAddressRange range = limited.reserve(big);
        assertEquals(0, limited.usage().committedBytes(), "a reservation above the populate bound commits nothing");
        final ExecutorAddress base = range.start();
        limited.workingMemory(base, 2 * PAGE + 1).put(2 * (int)PAGE, (byte)1);
        assertEquals(3 * PAGE, limited.usage().committedBytes(), "prepare commits the pages it hands out");
        limited.workingMemory(base.add(PAGE), PAGE);
        assertEquals(3 * PAGE, limited.usage().committedBytes(), "a page is committed once");
        limited.initialize(AllocInfo.of(base, new Segment(0, 3 * PAGE, 2 * PAGE, MemoryProtection.READ,
            MemoryLifetime.STANDARD)));
        assertEquals(5 * PAGE, limited.usage().committedBytes(), "initialize commits the zero-filled tail");

        final MemoryLimitException prepare = assertThrows(MemoryLimitException.class,
            () -> limited.workingMemory(base.add(8 * PAGE), 4 * PAGE));
        assertEquals(MemoryUsage.Limit.COMMITTED, prepare.limit());
        assertEquals(MapperOperation.PREPARE, prepare.operation());
        assertEquals(base.value() + 8 * PAGE, prepare.address());
        assertEquals(4 * PAGE, prepare.requested());
        assertEquals(5 * PAGE, prepare.used());
        final MemoryLimitException initialize = assertThrows(MemoryLimitException.class,
            () -> limited.initialize(AllocInfo.of(base.add(16 * PAGE), new Segment(0, 0, 4 * PAGE,
                MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD))));
        assertEquals(MapperOperation.INITIALIZE, initialize.operation());
        assertEquals(1, limited.allocationCount(), "the refused initialize recorded nothing");
        assertEquals(5 * PAGE, limited.usage().committedBytes());

        limited.release(List.of(base));
        assertEquals(new MemoryUsage(0, 4 * big, 0, 8 * PAGE), limited.usage());
        final ExecutorAddressRange small = limited.reserve(PAGE);
        assertEquals(PAGE, limited.usage().committedBytes(), "a small reservation is committed by its mmap");
        limited.release(List.of(small.start()));
        assertEquals(0, limited.usage().committedBytes());
    }

    @Test
    void releaseUnmapsAndRefusesUnknownOrDoubleRelease()
    {
        final ExecutorAddressRange range = memory.reserve(2 * PAGE);
        final ExecutorAddress start = range.start();
        final InvalidRequestException inner = assertThrows(InvalidRequestException.class,
            () -> memory.release(List.of(start.add(PAGE))));
        assertEquals(MapperOperation.RELEASE, inner.operation());
        memory.release(List.of(start));
        assertTrue(ProcMaps.self().isUnmapped(start.value(), range.size()));
        assertEquals(0, memory.reservationCount());
        assertThrows(InvalidRequestException.class, () -> memory.release(List.of(start)));
    }

    @Test
    void releaseProcessesEveryItemAndJoinsErrors()
    {
        final ExecutorAddressRange first = memory.reserve(PAGE);
        final ExecutorAddressRange second = memory.reserve(PAGE);
        final InvalidRequestException failure = assertThrows(InvalidRequestException.class,
            () -> memory.release(List.of(ExecutorAddress.of(8), first.start(), ExecutorAddress.of(16),
                second.start())));
        assertEquals(8, failure.address());
        assertEquals(1, failure.getSuppressed().length);
        assertEquals(0, memory.reservationCount());
        assertTrue(ProcMaps.self().isUnmapped(first.start().value(), PAGE));
        assertTrue(ProcMaps.self().isUnmapped(second.start().value(), PAGE));
    }

    @Test
    void adoptedRangeIsGivenBackThroughItsHook()
    {
        final long mapped = Posix.mmapAnonymous(MapperOperation.RESERVE, 2 * PAGE, MemoryProtection.NONE);
        final List<ExecutorAddressRange> released = new ArrayList<>();
        final ExecutorMemory executor = sharedMemoryExecutor();
        final ExecutorAddressRange range = ExecutorAddressRange.of(mapped, 2 * PAGE);
        executor.adopt(range, r ->
        {
            released.add(r);
            Posix.munmap(MapperOperation.RELEASE, r.start().value(), r.size());
        });
        assertThrows(InvalidRequestException.class,
            () -> executor.adopt(ExecutorAddressRange.of(mapped + PAGE, PAGE), r -> { }));
        assertThrows(InvalidRequestException.class,
            () -> executor.adopt(ExecutorAddressRange.of(mapped + 1, PAGE), r -> { }));
        assertThrows(InvalidRequestException.class,
            () -> executor.adopt(ExecutorAddressRange.of(mapped, 0), r -> { }));
        executor.release(List.of(range.start()));
        assertEquals(List.of(range), released);
        assertTrue(ProcMaps.self().isUnmapped(mapped, 2 * PAGE));
    }

    @Test
    void initializeAppliesEveryProtectionAndDeinitializeResetsThem()
    {
        final ExecutorAddressRange range = memory.reserve(4 * PAGE);
        final ExecutorAddress base = range.start();
        final ExecutorAddress key = memory.initialize(AllocInfo.of(base,
            Segment.of(PAGE, PAGE, MemoryProtection.READ),
            Segment.of(2 * PAGE, 10, MemoryProtection.READ_WRITE),
            Segment.of(3 * PAGE, PAGE, MemoryProtection.READ_EXEC),
            Segment.of(0, 1, MemoryProtection.NONE)));
        assertEquals(base, key);
        final ProcMaps maps = ProcMaps.self();
        assertEquals(MemoryProtection.NONE, maps.protection(base.value(), PAGE));
        assertEquals(MemoryProtection.READ, maps.protection(base.value() + PAGE, PAGE));
        assertEquals(MemoryProtection.READ_WRITE, maps.protection(base.value() + 2 * PAGE, PAGE));
        assertEquals(MemoryProtection.READ_EXEC, maps.protection(base.value() + 3 * PAGE, PAGE));
        assertEquals(1, memory.allocationCount());
        memory.deinitialize(List.of(key));
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(base.value(), range.size()));
        assertEquals(0, memory.allocationCount());
    }

    @Test
    void keyIsTheLowestSegmentAddress()
    {
        final ExecutorAddress base = memory.reserve(3 * PAGE).start();
        final ExecutorAddress key = memory.initialize(AllocInfo.of(base,
            Segment.of(2 * PAGE, 8, MemoryProtection.READ),
            Segment.of(PAGE, 8, MemoryProtection.READ_EXEC)));
        assertEquals(base.add(PAGE), key);
        assertThrows(InvalidRequestException.class, () -> memory.deinitialize(List.of(base)));
        memory.deinitialize(List.of(key));
    }

    @Test
    void zeroFillsTails()
    {
        final ExecutorAddress base = memory.reserve(PAGE).start();
        final ByteBuffer working = memory.workingMemory(base, PAGE);
        while (working.hasRemaining())
        {
            working.put((byte)0x5A);
        }
        memory.initialize(AllocInfo.of(base, new Segment(0, 100, 200, MemoryProtection.READ, MemoryLifetime.STANDARD)));
        final Pointer view = new Pointer(base.value());
        assertEquals(0x5A, view.getByte(99));
        for (int i = 100; i < 300; i++)
        {
            assertEquals(0, view.getByte(i), "byte " + i);
        }
        assertEquals(0x5A, view.getByte(300));
    }

    @Test
    void zeroFillWorksWhenFreeMemoryHasNoAccess()
    {
        final ExecutorMemory executor = sharedMemoryExecutor();
        final ExecutorAddress base = executor.reserve(2 * PAGE).start();
        final ExecutorAddress key = executor.initialize(AllocInfo.of(base,
            new Segment(PAGE, 0, PAGE, MemoryProtection.READ, MemoryLifetime.STANDARD)));
        assertEquals(MemoryProtection.READ, ProcMaps.self().protection(base.value() + PAGE, PAGE));
        assertEquals(MemoryProtection.NONE, ProcMaps.self().protection(base.value(), PAGE));
        assertEquals(0L, new Pointer(base.value()).getLong(PAGE + 64));
        executor.deinitialize(List.of(key));
        assertEquals(MemoryProtection.NONE, ProcMaps.self().protection(base.value(), 2 * PAGE));
    }

    @Test
    void jitCodeIsCalledDirectly()
    {
        final ExecutorAddress code = installCode();
        assertEquals(42L, memory.call(ActionCall.of(code.add(CONSTANT))));
        assertEquals(5L, memory.call(ActionCall.of(code.add(LENGTH), new byte[5])));
        assertEquals(0L, memory.call(ActionCall.of(code.add(LENGTH))));
        assertEquals(FAILURE_CODE, memory.call(ActionCall.of(code.add(FAIL))));
        final ExecutorAddress log = memory.reserve(PAGE).start();
        assertEquals(0L, memory.call(ActionCall.of(code.add(STORE),
            MachineCode.storeArgument(log.value() + 8, 0xC0FFEEL))));
        assertEquals(0xC0FFEEL, new Pointer(log.value()).getLong(8));
    }

    @Test
    void callRefusesAnythingButInitializedExecutableCode()
    {
        final ExecutorAddress code = installCode();
        final ExecutorAddress data = memory.reserve(PAGE).start();
        final ExecutorAddress dataKey = memory.initialize(AllocInfo.of(data, Segment.of(0, 64, MemoryProtection.READ)));
        for (final ExecutorAddress refused : List.of(data, code.add(PAGE), ExecutorAddress.of(PAGE)))
        {
            final InvalidRequestException failure = assertThrows(InvalidRequestException.class,
                () -> memory.call(ActionCall.of(refused)));
            assertEquals(MapperOperation.CALL, failure.operation());
            assertEquals(refused.value(), failure.address());
        }
        assertThrows(InvalidRequestException.class, () -> memory.call(ActionCall.NONE));
        memory.deinitialize(List.of(dataKey, code));
        assertThrows(InvalidRequestException.class, () -> memory.call(ActionCall.of(code.add(CONSTANT))));
    }

    @Test
    void writableAndExecutableIsRefusedByDefault()
    {
        final ExecutorAddress base = memory.reserve(PAGE).start();
        final InvalidRequestException failure = assertThrows(InvalidRequestException.class,
            () -> memory.initialize(AllocInfo.of(base, Segment.of(0, 16, MemoryProtection.READ_WRITE_EXEC))));
        assertTrue(failure.reason().contains("W^X"), failure.getMessage());
        assertEquals(0, memory.allocationCount());
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(base.value(), PAGE));
    }

    @Test
    void writableAndExecutableIsAllowedByPolicy()
    {
        final ExecutorAddress base = memory.reserve(PAGE).start();
        final byte[] code = MachineCode.returnConstant(9);
        memory.workingMemory(base, code.length).put(code);
        memory.initialize(AllocInfo.of(base, Segment.of(0, code.length, MemoryProtection.READ_WRITE_EXEC)), true);
        assertEquals(MemoryProtection.READ_WRITE_EXEC, ProcMaps.self().protection(base.value(), PAGE));
        assertEquals(9L, memory.call(ActionCall.of(base)));
    }

    @Test
    void segmentsMustStayInsideTheirReservation()
    {
        final ExecutorAddress first = memory.reserve(PAGE).start();
        memory.reserve(PAGE);
        assertInvalid(AllocInfo.of(first, Segment.of(PAGE - 8, 16, MemoryProtection.READ)), "leaves its reservation");
        assertInvalid(AllocInfo.of(first, Segment.of(PAGE, 1, MemoryProtection.READ)), "leaves its reservation");
        assertInvalid(AllocInfo.of(first, Segment.of(Long.MAX_VALUE - 2, 1, MemoryProtection.READ)),
            "leaves its reservation");
        assertInvalid(AllocInfo.of(first, new Segment(8, 8, Long.MAX_VALUE - 16, MemoryProtection.READ,
            MemoryLifetime.STANDARD)), "leaves its reservation");
        assertInvalid(AllocInfo.of(ExecutorAddress.of(PAGE), Segment.of(0, 1, MemoryProtection.READ)),
            "outside any reservation");
        assertInvalid(AllocInfo.of(first), "needs a segment");
        assertEquals(0, memory.allocationCount());
    }

    @Test
    void segmentsMustNotOverlapOrMixProtectionsInAPage()
    {
        final ExecutorAddress base = memory.reserve(2 * PAGE).start();
        assertInvalid(AllocInfo.of(base, Segment.of(0, 64, MemoryProtection.READ),
            Segment.of(32, 64, MemoryProtection.READ)), "overlap");
        assertInvalid(AllocInfo.of(base, Segment.of(0, 64, MemoryProtection.READ),
            Segment.of(64, 64, MemoryProtection.READ_EXEC)), "share a page");
        assertInvalid(AllocInfo.of(base, Segment.of(0, PAGE + 1, MemoryProtection.READ),
            Segment.of(PAGE + 64, 64, MemoryProtection.READ_WRITE)), "share a page");
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(base.value(), 2 * PAGE));
        final ExecutorAddress key = memory.initialize(AllocInfo.of(base, Segment.of(0, 64, MemoryProtection.READ),
            Segment.of(64, 64, MemoryProtection.READ)));
        assertInvalid(AllocInfo.of(base, Segment.of(128, 64, MemoryProtection.READ)), "initialized allocation");
        assertInvalid(AllocInfo.of(base, Segment.of(0, 8, MemoryProtection.READ)), "already initialized");
        memory.deinitialize(List.of(key));
    }

    /**
     * Code in a finalize-lifetime segment runs as the finalize action, storing into a standard segment; once
     * initialized, its pages are given back: free protection, no call, and a new allocation may use them.
     */
    @Test
    void finalizeLifetimeSegmentsAreGivenBackOnceTheFinalizeActionsRan()
    {
        final ExecutorAddress base = memory.reserve(3 * PAGE).start();
        final ExecutorAddress code = base.add(PAGE);
        final ExecutorAddress table = base.add(2 * PAGE);
        writeCode(code);
        final ExecutorAddress key = memory.initialize(new AllocInfo(base, List.of(
            Segment.of(0, 8, MemoryProtection.READ_WRITE),
            new Segment(PAGE, PAGE, 0, MemoryProtection.READ_EXEC, MemoryLifetime.FINALIZE),
            new Segment(2 * PAGE, 8, 0, MemoryProtection.READ, MemoryLifetime.FINALIZE)),
            List.of(new ActionPair(store(code, base.value(), 0, 0x5EED), ActionCall.NONE))));
        assertEquals(base, key);
        assertEquals(0x5EED, new Pointer(base.value()).getLong(0), "the finalize-lifetime code ran");
        final ProcMaps maps = ProcMaps.self();
        assertEquals(MemoryProtection.READ_WRITE, maps.protection(code.value(), PAGE), "code page given back");
        assertEquals(MemoryProtection.READ_WRITE, maps.protection(table.value(), PAGE), "read-only page given back");
        assertThrows(InvalidRequestException.class, () -> memory.call(ActionCall.of(code.add(CONSTANT))));

        final ExecutorAddress reused = memory.initialize(AllocInfo.of(code, Segment.of(0, 8, MemoryProtection.READ)));
        assertEquals(MemoryProtection.READ, ProcMaps.self().protection(code.value(), PAGE));
        memory.deinitialize(List.of(reused, key));
        assertEquals(0, memory.allocationCount());
    }

    @Test
    void finalizeLifetimeSegmentsCannotHoldDeallocActionsOrSharePagesWithStandardOnes()
    {
        final ExecutorAddress base = memory.reserve(2 * PAGE).start();
        writeCode(base.add(PAGE));
        assertInvalid(new AllocInfo(base, List.of(Segment.of(0, 8, MemoryProtection.READ_WRITE),
            new Segment(PAGE, PAGE, 0, MemoryProtection.READ_EXEC, MemoryLifetime.FINALIZE)),
            List.of(new ActionPair(ActionCall.NONE, ActionCall.of(base.add(PAGE + CONSTANT))))), "finalize-lifetime");
        assertInvalid(AllocInfo.of(base, Segment.of(0, 8, MemoryProtection.READ),
            new Segment(8, 8, 0, MemoryProtection.READ, MemoryLifetime.FINALIZE)), "share a page");
        assertEquals(0, memory.allocationCount());
    }

    @Test
    void finalizeActionsRunInOrderAndDeallocsInReverse()
    {
        final ExecutorAddress code = installCode();
        final long log = memory.reserve(PAGE).start().value();
        final ExecutorAddress data = memory.reserve(PAGE).start();
        final ExecutorAddress key = memory.initialize(new AllocInfo(data,
            List.of(Segment.of(0, 8, MemoryProtection.READ)),
            List.of(pair(code, log, 0, 1, log, 8, 1), pair(code, log, 0, 2, log, 8, 2),
                pair(code, log, 16, 3, log, 24, 3))));
        final Pointer view = new Pointer(log);
        assertEquals(2, view.getLong(0), "finalize 1 ran after finalize 0");
        assertEquals(3, view.getLong(16));
        assertEquals(0, view.getLong(8), "no dealloc has run");
        memory.deinitialize(List.of(key));
        assertEquals(1, view.getLong(8), "dealloc 0 ran after dealloc 1");
        assertEquals(3, view.getLong(24));
    }

    @Test
    void failingFinalizeActionUndoesTheEarlierOnes()
    {
        final ExecutorAddress base = memory.reserve(2 * PAGE).start();
        final long log = memory.reserve(PAGE).start().value();
        writeCode(base);
        final Pointer view = new Pointer(log);
        final InvalidRequestException notRun = assertThrows(InvalidRequestException.class, () -> memory.initialize(
            new AllocInfo(base, List.of(Segment.of(0, PAGE, MemoryProtection.READ_EXEC)),
                List.of(new ActionPair(ActionCall.of(base.add(PAGE)), ActionCall.NONE)))));
        assertTrue(notRun.reason().contains("action 0"), notRun.getMessage());

        final ActionFailedException failure = assertThrows(ActionFailedException.class, () -> memory.initialize(
            new AllocInfo(base, List.of(Segment.of(0, PAGE, MemoryProtection.READ_EXEC)), List.of(
                pair(base, log, 0, 1, log, 32, 1),
                pair(base, log, 8, 1, log, 32, 2),
                new ActionPair(ActionCall.of(base.add(FAIL)), store(base, log, 40, 1)),
                pair(base, log, 24, 1, log, 48, 1)))));
        assertEquals(2, failure.actionIndex());
        assertEquals(FAILURE_CODE, failure.result());
        assertEquals(MapperOperation.INITIALIZE, failure.operation());
        assertEquals(base.value() + FAIL, failure.address());
        assertTrue(failure.getMessage().contains("finalize action 2"), failure.getMessage());
        assertEquals(1, view.getLong(0));
        assertEquals(1, view.getLong(8));
        assertEquals(0, view.getLong(24), "finalize 3 never ran");
        assertEquals(1, view.getLong(32), "dealloc 0 ran after dealloc 1");
        assertEquals(0, view.getLong(40), "the failed action's dealloc did not run");
        assertEquals(0, view.getLong(48));
        assertEquals(0, memory.allocationCount());
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(base.value(), PAGE));
    }

    @Test
    void deinitializeProcessesEveryKeyAndJoinsOneFailurePerKeyAddressedByTheKey()
    {
        final ExecutorAddress code = installCode();
        final long log = memory.reserve(PAGE).start().value();
        final ExecutorAddress first = memory.reserve(PAGE).start();
        final ExecutorAddress second = memory.reserve(PAGE).start();
        final ExecutorAddress unknown = ExecutorAddress.of(PAGE);
        memory.initialize(new AllocInfo(first, List.of(Segment.of(0, 8, MemoryProtection.READ)),
            List.of(new ActionPair(ActionCall.NONE, ActionCall.of(code.add(FAIL))),
                new ActionPair(ActionCall.NONE, store(code, log, 0, 1)))));
        memory.initialize(new AllocInfo(second, List.of(Segment.of(0, 8, MemoryProtection.READ)),
            List.of(new ActionPair(ActionCall.NONE, store(code, log, 8, 1)))));
        final MemoryMapperException failure = assertThrows(MemoryMapperException.class,
            () -> memory.deinitialize(List.of(first, unknown, second)));
        assertEquals(1, failure.getSuppressed().length, "one failure per failed key");
        final MemoryMapperException unknownKey = failure;
        final MemoryMapperException firstKey = (MemoryMapperException)failure.getSuppressed()[0];
        assertTrue(unknownKey instanceof InvalidRequestException, "keys are processed in reverse: " + unknownKey);
        assertEquals(unknown.value(), unknownKey.address());
        assertEquals(first.value(), firstKey.address(), "the failed dealloc is reported at its allocation's key");
        assertEquals(MapperOperation.DEINITIALIZE, firstKey.operation());
        assertTrue(firstKey.getMessage().contains("dealloc action 0 failed"), firstKey.getMessage());
        final ActionFailedException action = assertInstanceOf(ActionFailedException.class, firstKey.getCause());
        assertEquals(0, action.actionIndex());
        assertEquals(code.value() + FAIL, action.address());
        final Pointer view = new Pointer(log);
        assertEquals(1, view.getLong(0), "dealloc 1 of the first ran although dealloc 0 failed");
        assertEquals(1, view.getLong(8));
        assertEquals(1, memory.allocationCount(), "only the code is left");
        assertEquals(MemoryProtection.READ_WRITE, ProcMaps.self().protection(first.value(), PAGE));
    }

    @Test
    void batchDeinitializeRunsInReverseOfTheListGiven()
    {
        final ExecutorAddress code = installCode();
        final ExecutorAddress first = memory.reserve(3 * PAGE).start();
        final ExecutorAddress second = first.add(PAGE);
        final long log = first.value() + 2 * PAGE;
        memory.initialize(new AllocInfo(second, List.of(Segment.of(0, 8, MemoryProtection.READ)),
            List.of(new ActionPair(ActionCall.NONE, store(code, log, 0, 2)))));
        memory.initialize(new AllocInfo(first, List.of(Segment.of(0, 8, MemoryProtection.READ)),
            List.of(new ActionPair(ActionCall.NONE, store(code, log, 0, 1)))));
        memory.deinitialize(List.of(first, second));
        assertEquals(1, new Pointer(log).getLong(0), "the first key of the list is deinitialized last");
    }

    /**
     * Three allocations in one reservation, initialized in the order middle, high, low: release tears them down
     * low, high, middle (last-in first-out), not in address order. Each dealloc action stores its allocation's
     * number into one slot per pair of allocations, so each slot ends up holding the later of its pair.
     */
    @Test
    void releaseTearsAllocationsDownLastInFirstOut()
    {
        final ExecutorAddress code = installCode();
        final long log = memory.reserve(PAGE).start().value();
        final ExecutorAddress base = memory.reserve(3 * PAGE).start();
        final long low = 0;
        final long middle = 1;
        final long high = 2;
        final long[][] slotsOf = {{0, 8}, {0, 16}, {8, 16}};
        for (final long allocation : new long[] {middle, high, low})
        {
            final List<ActionPair> deallocs = new ArrayList<>();
            for (final long offset : slotsOf[(int)allocation])
            {
                deallocs.add(new ActionPair(ActionCall.NONE, store(code, log, offset, allocation + 1)));
            }
            memory.initialize(new AllocInfo(base.add(allocation * PAGE),
                List.of(Segment.of(0, 8, MemoryProtection.READ)), deallocs));
        }
        memory.release(List.of(base));
        final Pointer view = new Pointer(log);
        assertEquals(middle + 1, view.getLong(0), "middle (initialized first) after low (initialized last)");
        assertEquals(high + 1, view.getLong(8), "high after low");
        assertEquals(middle + 1, view.getLong(16), "middle after high: not address order");
        assertTrue(ProcMaps.self().isUnmapped(base.value(), 3 * PAGE));
    }

    @Test
    void releaseDeinitializesFirstWhileStillMapped()
    {
        final ExecutorAddress base = memory.reserve(2 * PAGE).start();
        final long log = memory.reserve(PAGE).start().value();
        writeCode(base);
        memory.initialize(new AllocInfo(base, List.of(Segment.of(0, PAGE, MemoryProtection.READ_EXEC),
            Segment.of(PAGE, 8, MemoryProtection.READ_WRITE)),
            List.of(new ActionPair(store(base, base.value(), PAGE, 5), store(base, log, 0, 6)))));
        assertEquals(5, new Pointer(base.value()).getLong(PAGE));
        memory.release(List.of(base));
        assertEquals(6, new Pointer(log).getLong(0));
        assertEquals(0, memory.allocationCount());
        assertTrue(ProcMaps.self().isUnmapped(base.value(), 2 * PAGE));
    }

    @Test
    void workingMemoryIsBoundsChecked()
    {
        final ExecutorAddress base = memory.reserve(2 * PAGE).start();
        final ByteBuffer whole = memory.workingMemory(base.add(8), 2 * PAGE - 8);
        assertEquals(2 * PAGE - 8, whole.remaining());
        assertEquals(java.nio.ByteOrder.nativeOrder(), whole.order());
        whole.putLong(0, 77);
        assertEquals(77, new Pointer(base.value()).getLong(8));
        assertThrows(IndexOutOfBoundsException.class, () -> whole.get((int)(2 * PAGE - 8)));
        assertEquals(MapperOperation.PREPARE, assertThrows(InvalidRequestException.class,
            () -> memory.workingMemory(base.add(PAGE), PAGE + 1)).operation());
        assertThrows(InvalidRequestException.class, () -> memory.workingMemory(base.add(2 * PAGE), 1));
        assertThrows(InvalidRequestException.class, () -> memory.workingMemory(base, -1));
        assertThrows(InvalidRequestException.class, () -> memory.workingMemory(base, Integer.MAX_VALUE + 1L));
        assertEquals(ExecutorAddressRange.of(base.value(), 2 * PAGE),
            memory.reservationContaining(base.add(PAGE)).orElseThrow());
        assertFalse(memory.reservationContaining(base.add(2 * PAGE)).isPresent());
    }

    @Test
    void concurrentCyclesKeepTheBookkeepingExact() throws Exception
    {
        final int threads = 4;
        final int cycles = 200;
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final long value = 1000 + t;
                results.add(pool.submit(() ->
                {
                    long sum = 0;
                    for (int i = 0; i < cycles; i++)
                    {
                        final ExecutorAddress base = memory.reserve(PAGE).start();
                        memory.workingMemory(base, PAGE).put(MachineCode.returnConstant(value));
                        final ExecutorAddress key = memory.initialize(AllocInfo.of(base,
                            Segment.of(0, PAGE, MemoryProtection.READ_EXEC)));
                        sum += memory.call(ActionCall.of(key));
                        memory.deinitialize(List.of(key));
                        memory.release(List.of(base));
                    }
                    return sum;
                }));
            }
            for (int t = 0; t < threads; t++)
            {
                assertEquals((1000L + t) * cycles, results.get(t).get(2, TimeUnit.MINUTES));
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        assertEquals(0, memory.reservationCount());
        assertEquals(0, memory.allocationCount());
    }

    private ExecutorMemory sharedMemoryExecutor()
    {
        final ExecutorMemory executor = new ExecutorMemory(ExecutorMemory.Policy.SHARED_MEMORY);
        others.add(executor);
        return executor;
    }

    private void assertInvalid(final AllocInfo info, final String reason)
    {
        final InvalidRequestException failure = assertThrows(InvalidRequestException.class,
            () -> memory.initialize(info));
        assertEquals(MapperOperation.INITIALIZE, failure.operation());
        assertTrue(failure.reason().contains(reason), failure.getMessage());
    }

    /** Reserves a page of code (store, fail, constant 42, argument length) and initializes it read-execute. */
    private ExecutorAddress installCode()
    {
        final ExecutorAddress base = memory.reserve(PAGE).start();
        writeCode(base);
        return memory.initialize(AllocInfo.of(base, Segment.of(0, PAGE, MemoryProtection.READ_EXEC)));
    }

    private void writeCode(final ExecutorAddress base)
    {
        final ByteBuffer working = memory.workingMemory(base, PAGE);
        working.put(STORE, MachineCode.storeFromArgument());
        working.put(FAIL, MachineCode.returnValue(FAILURE_CODE));
        working.put(CONSTANT, MachineCode.returnConstant(42));
        working.put(LENGTH, MachineCode.returnArgumentLength());
    }

    private static ActionCall store(final ExecutorAddress code, final long base, final long offset, final long value)
    {
        return ActionCall.of(code.add(STORE), MachineCode.storeArgument(base + offset, value));
    }

    private static ActionPair pair(final ExecutorAddress code, final long finalizeBase, final long finalizeOffset,
        final long finalizeValue, final long deallocBase, final long deallocOffset, final long deallocValue)
    {
        return new ActionPair(store(code, finalizeBase, finalizeOffset, finalizeValue),
            store(code, deallocBase, deallocOffset, deallocValue));
    }

    @Test
    void runningCodeHoldsNoLockButKeepsItsAllocation() throws Exception
    {
        final ExecutorAddressRange range = memory.reserve(3 * PAGE);
        final long base = range.start().value();
        final byte[] wait = MachineCode.waitForNonZero();
        memory.workingMemory(range.start(), wait.length).put(wait);
        final ExecutorAddress code = memory.initialize(AllocInfo.of(range.start(),
            Segment.of(0, wait.length, MemoryProtection.READ_EXEC)));
        final ExecutorAddress flag = ExecutorAddress.of(base + PAGE);
        memory.workingMemory(flag, 8).putLong(0, 0);
        final ExecutorService runner = Executors.newSingleThreadExecutor();
        try
        {
            final byte[] argument = ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder())
                .putLong(flag.value()).array();
            final Future<Long> running = runner.submit(() -> memory.call(ActionCall.of(code, argument)));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (memory.runningCalls() == 0 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertEquals(1, memory.runningCalls());

            final ExecutorAddress other = memory.initialize(AllocInfo.of(ExecutorAddress.of(base + 2 * PAGE),
                Segment.of(0, 8, MemoryProtection.READ)));
            memory.deinitialize(List.of(other));
            final InvalidRequestException busy =
                assertThrows(InvalidRequestException.class, () -> memory.deinitialize(List.of(code)));
            assertTrue(busy.reason().startsWith("allocation is running code"), busy.getMessage());
            assertThrows(InvalidRequestException.class, () -> memory.release(List.of(range.start())));
            assertEquals(MemoryProtection.READ_EXEC, ProcMaps.self().protection(base, PAGE));

            memory.workingMemory(flag, 8).putLong(0, 42);
            assertEquals(42L, running.get(30, TimeUnit.SECONDS));
            assertEquals(0, memory.runningCalls());
            memory.deinitialize(List.of(code));
        }
        finally
        {
            memory.workingMemory(flag, 8).putLong(0, 1);
            runner.shutdown();
            assertTrue(runner.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void closingWhileCodeRunsReleasesThatReservationWhenTheCodeReturns() throws Exception
    {
        final ExecutorAddressRange idle = memory.reserve(PAGE);
        final ExecutorAddressRange busy = memory.reserve(2 * PAGE);
        final long base = busy.start().value();
        final byte[] wait = MachineCode.waitForNonZero();
        memory.workingMemory(busy.start(), wait.length).put(wait);
        final ExecutorAddress code = memory.initialize(AllocInfo.of(busy.start(),
            Segment.of(0, wait.length, MemoryProtection.READ_EXEC)));
        final ByteBuffer flag = memory.workingMemory(ExecutorAddress.of(base + PAGE), 8);
        flag.putLong(0, 0);
        final ExecutorService runner = Executors.newSingleThreadExecutor();
        try
        {
            final byte[] argument = ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder())
                .putLong(base + PAGE).array();
            final Future<Long> running = runner.submit(() -> memory.call(ActionCall.of(code, argument)));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (memory.runningCalls() == 0 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertEquals(1, memory.runningCalls());

            memory.close();
            assertTrue(ProcMaps.self().isUnmapped(idle.start().value(), idle.size()), "idle reservation released");
            assertEquals(MemoryProtection.READ_EXEC, ProcMaps.self().protection(base, PAGE), "running code kept");
            assertThrows(MemoryRevokedException.class, () -> memory.reserve(PAGE));
            assertThrows(MemoryRevokedException.class, () -> memory.call(ActionCall.of(code)));

            flag.putLong(0, 9);
            assertEquals(9L, running.get(30, TimeUnit.SECONDS));
            assertTrue(ProcMaps.self().isUnmapped(base, busy.size()), "released when the code returned");
            assertEquals(0, memory.reservationCount());
        }
        finally
        {
            if (memory.reservationCount() > 0)
            {
                flag.putLong(0, 1);
            }
            runner.shutdown();
            assertTrue(runner.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void committedPagesFaultInAWholeChunkOnceAndCountIt()
    {
        final long chunk = 16 * PAGE;
        final long size = 8 * chunk;
        final long start = Posix.mmapAnonymous(MapperOperation.RESERVE, size, MemoryProtection.READ_WRITE, false);
        try
        {
            final MemoryLimits limits = new MemoryLimits(size, size);
            final CommittedPages pages = new CommittedPages(start, size, chunk, limits);
            assertEquals(0, Residency.residentPages(start, size));
            pages.commit(MapperOperation.PREPARE, start + chunk + 100, 10);
            assertEquals(16, Residency.residentPages(start, size), "the one chunk touched");
            assertEquals(16, Residency.residentPages(start + chunk, chunk));
            pages.commit(MapperOperation.PREPARE, start + 3 * chunk - 8, 16);
            assertEquals(48, Residency.residentPages(start, size), "a range across two chunks populates both");
            Posix.madvise(MapperOperation.RELEASE, start + chunk, chunk, OsConstants.MADV_DONTNEED);
            pages.commit(MapperOperation.PREPARE, start + chunk, PAGE);
            assertEquals(32, Residency.residentPages(start, size), "a chunk is populated once");
            pages.commit(MapperOperation.PREPARE, start + size - 1, 1);
            assertEquals(48, Residency.residentPages(start, size), "the last chunk, up to the end");
            assertEquals(4 * chunk, pages.committedBytes());
            assertEquals(4 * chunk, limits.usage().committedBytes());
            pages.release();
            assertEquals(0, limits.usage().committedBytes());
        }
        finally
        {
            Posix.munmap(MapperOperation.RELEASE, start, size);
        }
    }

    /** mincore, bound here only: which pages of a range are resident. */
    private static final class Residency
    {
        static
        {
            Native.register(Residency.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        private Residency()
        {
        }

        private static native int mincore(long address, long length, byte[] vector);

        static long residentPages(final long address, final long length)
        {
            final byte[] vector = new byte[(int)(length / PAGE)];
            assertEquals(0, mincore(address, length, vector), "mincore failed: errno=" + Native.getLastError());
            long resident = 0;
            for (final byte page : vector)
            {
                resident += page & 1;
            }
            return resident;
        }
    }
}
