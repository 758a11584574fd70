package org.jitmem.backend.posixshm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

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
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.Segment;
import org.jitmem.backend.posixshm.executor.SharedMemoryFunctions;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.Backing;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.InitializeRequest;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.SharedReservation;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.Posix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The executor functions called directly in this JVM, which also plays the controller: it maps the reservations
 * itself as {@link WorkingMapping} does, through {@code /proc/self/fd/<n>} or the shm name.
 */
class SharedMemoryFunctionsTest
{
    private static final long PAGE = PageSize.get();
    /** What a test may commit at most. */
    static final long TEST_COMMITTED_LIMIT = 256L << 20;

    private SharedMemoryFunctions functions = new SharedMemoryFunctions(Backing.MEMFD, limits());

    /** @return limits that no test can pass without being refused */
    static MemoryLimits limits()
    {
        return new MemoryLimits(MemoryLimits.DEFAULT_RESERVED_LIMIT, TEST_COMMITTED_LIMIT);
    }

    @Test
    void aMemfdIsSealedAtItsSizeAndTheControllerRefusesOneThatIsNot() throws IOException
    {
        final SharedReservation reservation = reserve(PAGE);
        final int fd = Posix.open(MapperOperation.RESERVE, "/proc/self/fd/" + reservation.fd(),
            OsConstants.O_RDWR | OsConstants.O_CLOEXEC, 0);
        try
        {
            for (final long size : new long[] {0, 2 * PAGE})
            {
                final MemoryMapperException resize = assertThrows(MemoryMapperException.class,
                    () -> Posix.ftruncate(MapperOperation.RESERVE, fd, size));
                assertEquals(1, resize.errno(), "EPERM: sealed");
            }
        }
        finally
        {
            Posix.close(MapperOperation.RELEASE, fd);
        }

        final long pid = ProcessHandle.current().pid();
        final int unsealed = Posix.memfdCreate(MapperOperation.RESERVE, "jitmem-shm");
        try
        {
            Posix.ftruncate(MapperOperation.RESERVE, unsealed, PAGE);
            final List<String> descriptors = SharedMemoryTesting.socketsAndMemoryFiles(pid);
            final SharedReservation forged = new SharedReservation(reservation.range(), Backing.MEMFD, pid, unsealed,
                "");
            final MemoryMapperException refused = assertThrows(MemoryMapperException.class,
                () -> WorkingMapping.map(forged, limits()));
            assertTrue(refused.getMessage().contains("not sealed against shrinking"), refused.getMessage());
            assertEquals(descriptors, SharedMemoryTesting.socketsAndMemoryFiles(pid), "nothing left open");
        }
        finally
        {
            Posix.close(MapperOperation.RELEASE, unsealed);
        }
    }

    @AfterEach
    void closeEverything()
    {
        functions.close();
    }

    @Test
    void reserveRoundsUpAndMapsASharedMemfdWithNoAccess() throws IOException
    {
        final SharedReservation reservation = reserve(PAGE + 1);
        final ExecutorAddressRange range = reservation.range();
        assertEquals(2 * PAGE, range.size());
        assertEquals(Backing.MEMFD, reservation.backing());
        assertEquals(ProcessHandle.current().pid(), reservation.executorPid());
        assertEquals("", reservation.name());
        assertTrue(isJitmemMemfd(fdPath(reservation)));
        final ProcMaps.Mapping mapping = ProcMaps.self().mappingAt(range.start().value()).orElseThrow();
        assertTrue(mapping.shared());
        assertEquals(MemoryProtection.NONE, ProcMaps.self().protection(range.start().value(), range.size()));
    }

    @Test
    void zeroAndNegativeSizesAreRefusedAndLeaveNothing() throws IOException
    {
        final long descriptors = openDescriptors();
        for (final long size : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE})
        {
            assertThrows(InvalidRequestException.class,
                () -> invoke(SharedMemoryCodec.RESERVE, SharedMemoryCodec.encodeLong(size)));
        }
        assertEquals(descriptors, openDescriptors());
    }

    @Test
    void contentWrittenByTheControllerRunsInTheExecutorWithoutBeingSent()
    {
        final SharedReservation reservation = reserve(3 * PAGE);
        withWorkingMapping(reservation, working ->
        {
            final ExecutorAddress code = reservation.range().start();
            final ExecutorAddress data = code.add(PAGE);
            final ExecutorAddress readOnly = code.add(2 * PAGE);
            final byte[] store = MachineCode.storeFromArgument();
            final byte[] constant = MachineCode.returnConstant(0x5EED);
            final ByteBuffer text = working.view(code.value(), 64 + constant.length);
            text.put(store).position(64);
            text.put(constant);
            working.view(data.value(), 8).putLong(0, 17);
            working.view(readOnly.value(), 8).putLong(0, 0xC0FFEE);

            final byte[] message = SharedMemoryCodec.encodeInitialize(false, new AllocInfo(code, List.of(
                Segment.of(0, 64 + constant.length, MemoryProtection.READ_EXEC),
                new Segment(PAGE, 8, 16, MemoryProtection.READ_WRITE, MemoryLifetime.STANDARD),
                Segment.of(2 * PAGE, 8, MemoryProtection.READ)),
                List.of(new ActionPair(ActionCall.of(code, MachineCode.storeArgument(data.value() + 8, 0xF1)),
                    ActionCall.NONE))));
            assertTrue(message.length < 200, "initialize carries no content: length=" + message.length);
            final long key = SharedMemoryCodec.decodeLong(MapperOperation.INITIALIZE,
                invoke(SharedMemoryCodec.INITIALIZE, message));

            assertEquals(code.value(), key);
            final ProcMaps maps = ProcMaps.self();
            assertEquals(MemoryProtection.READ_EXEC, maps.protection(code.value()));
            assertEquals(MemoryProtection.READ_WRITE, maps.protection(data.value()));
            assertEquals(MemoryProtection.READ, maps.protection(readOnly.value()));
            assertEquals(0xF1, working.view(data.value(), 16).getLong(8), "finalize action's store is shared");
            assertEquals(0xC0FFEE, new Pointer(readOnly.value()).getLong(0), "executor sees controller content");
            assertEquals(0x5EED, SharedMemoryCodec.decodeLong(MapperOperation.CALL, invoke(SharedMemoryCodec.CALL,
                SharedMemoryCodec.encodeCall(ActionCall.of(code.add(64))))));
        });
    }

    @Test
    void writableAndExecutableSegmentsAreRefusedUnlessAllowed()
    {
        final SharedReservation reservation = reserve(PAGE);
        final byte[] message = SharedMemoryCodec.encodeInitialize(false, AllocInfo.of(reservation.range().start(),
            Segment.of(0, 8, MemoryProtection.READ_WRITE_EXEC)));
        final InvalidRequestException refused = assertThrows(InvalidRequestException.class,
            () -> invoke(SharedMemoryCodec.INITIALIZE, message));
        assertTrue(refused.reason().contains("W^X"), refused.getMessage());
        assertEquals(MemoryProtection.NONE, ProcMaps.self().protection(reservation.range().start().value()));

        invoke(SharedMemoryCodec.INITIALIZE, SharedMemoryCodec.encodeInitialize(true,
            AllocInfo.of(reservation.range().start(), Segment.of(0, 8, MemoryProtection.READ_WRITE_EXEC))));
        assertEquals(MemoryProtection.READ_WRITE_EXEC,
            ProcMaps.self().protection(reservation.range().start().value()));
    }

    @Test
    void failingActionRollsBackEarlierActionsAndProtections()
    {
        final SharedReservation reservation = reserve(2 * PAGE);
        withWorkingMapping(reservation, working ->
        {
            final ExecutorAddress code = reservation.range().start();
            final ExecutorAddress data = code.add(PAGE);
            final byte[] failing = MachineCode.returnValue(3);
            final ByteBuffer text = working.view(code.value(), 64 + failing.length);
            text.put(MachineCode.storeFromArgument()).position(64);
            text.put(failing);
            final byte[] message = SharedMemoryCodec.encodeInitialize(false, new AllocInfo(code, List.of(
                Segment.of(0, 64 + failing.length, MemoryProtection.READ_EXEC),
                Segment.of(PAGE, 16, MemoryProtection.READ_WRITE)),
                List.of(
                    new ActionPair(ActionCall.of(code, MachineCode.storeArgument(data.value(), 1)),
                        ActionCall.of(code, MachineCode.storeArgument(data.value() + 8, 2))),
                    new ActionPair(ActionCall.of(code.add(64)), ActionCall.NONE))));

            final ActionFailedException failure = assertThrows(ActionFailedException.class,
                () -> invoke(SharedMemoryCodec.INITIALIZE, message));
            assertEquals(1, failure.actionIndex());
            assertEquals(3, failure.result());
            assertEquals(1, working.view(data.value(), 16).getLong(0));
            assertEquals(2, working.view(data.value(), 16).getLong(8), "dealloc of action 0 ran");
            assertEquals(MemoryProtection.NONE, ProcMaps.self().protection(code.value(), 2 * PAGE));
            assertThrows(InvalidRequestException.class, () -> invoke(SharedMemoryCodec.DEINITIALIZE,
                SharedMemoryCodec.encodeAddresses(List.of(code))), "nothing was recorded");
        });
    }

    @Test
    void releaseDeinitializesFirstClosesTheMemfdAndRefusesASecondRelease() throws IOException
    {
        final SharedReservation reservation = reserve(2 * PAGE);
        withWorkingMapping(reservation, working ->
        {
            final ExecutorAddress code = reservation.range().start();
            final ExecutorAddress data = code.add(PAGE);
            working.view(code.value(), 64).put(MachineCode.storeFromArgument());
            invoke(SharedMemoryCodec.INITIALIZE, SharedMemoryCodec.encodeInitialize(false, new AllocInfo(code, List.of(
                Segment.of(0, 64, MemoryProtection.READ_EXEC), Segment.of(PAGE, 8, MemoryProtection.READ_WRITE)),
                List.of(new ActionPair(ActionCall.NONE,
                    ActionCall.of(code, MachineCode.storeArgument(data.value(), 0xDEAD)))))));

            final byte[] starts = SharedMemoryCodec.encodeAddresses(List.of(code));
            invoke(SharedMemoryCodec.RELEASE, starts);

            assertEquals(0xDEAD, working.view(data.value(), 8).getLong(0), "dealloc ran before the unmap");
            assertTrue(ProcMaps.self().isUnmapped(code.value(), 2 * PAGE) ||
                !SharedMemoryTesting.isReservation(ProcMaps.self().mappingAt(code.value()).orElseThrow()));
            assertFalse(isJitmemMemfd(fdPath(reservation)), "executor descriptor closed");
            assertThrows(InvalidRequestException.class, () -> invoke(SharedMemoryCodec.RELEASE, starts));
        });
    }

    @Test
    void deinitializeRunsDeallocActionsInReverseAndRefusesUnknownKeys()
    {
        final SharedReservation reservation = reserve(2 * PAGE);
        withWorkingMapping(reservation, working ->
        {
            final ExecutorAddress code = reservation.range().start();
            final ExecutorAddress data = code.add(PAGE);
            working.view(code.value(), 64).put(MachineCode.storeFromArgument());
            final ExecutorAddress key = ExecutorAddress.of(SharedMemoryCodec.decodeLong(MapperOperation.INITIALIZE,
                invoke(SharedMemoryCodec.INITIALIZE, SharedMemoryCodec.encodeInitialize(false, new AllocInfo(code, List.of(
                    Segment.of(0, 64, MemoryProtection.READ_EXEC), Segment.of(PAGE, 8, MemoryProtection.READ_WRITE)),
                    List.of(
                        new ActionPair(ActionCall.NONE, ActionCall.of(code, MachineCode.storeArgument(data.value(), 1))),
                        new ActionPair(ActionCall.NONE,
                            ActionCall.of(code, MachineCode.storeArgument(data.value(), 2)))))))));

            invoke(SharedMemoryCodec.DEINITIALIZE, SharedMemoryCodec.encodeAddresses(List.of(key)));

            assertEquals(1, working.view(data.value(), 8).getLong(0), "action 1 undone before action 0");
            assertEquals(MemoryProtection.NONE, ProcMaps.self().protection(code.value(), 2 * PAGE));
            assertThrows(InvalidRequestException.class, () -> invoke(SharedMemoryCodec.DEINITIALIZE,
                SharedMemoryCodec.encodeAddresses(List.of(key))));
            assertThrows(InvalidRequestException.class, () -> invoke(SharedMemoryCodec.INITIALIZE,
                SharedMemoryCodec.encodeInitialize(false, AllocInfo.of(code, Segment.of(PAGE, 2 * PAGE,
                    MemoryProtection.READ)))), "segment leaves its reservation");
            assertThrows(InvalidRequestException.class, () -> invoke(SharedMemoryCodec.INITIALIZE,
                SharedMemoryCodec.encodeInitialize(false, AllocInfo.of(code.add(-PAGE), Segment.of(0, 8,
                    MemoryProtection.READ)))), "mapping base outside any reservation");
        });
    }

    @Test
    void namedObjectIsUnlinkedOnceTheControllerHasMappedIt()
    {
        functions.close();
        functions = new SharedMemoryFunctions(Backing.NAMED, limits());
        final SharedReservation reservation = reserve(PAGE);
        assertEquals(Backing.NAMED, reservation.backing());
        assertEquals(-1, reservation.fd());
        assertTrue(reservation.name().matches("/jitmem-[0-9a-f]{22}"), reservation.name());
        final Path object = Path.of("/dev/shm", reservation.name().substring(1));
        assertTrue(Files.exists(object));

        withWorkingMapping(reservation, working ->
        {
            assertFalse(Files.exists(object), "unlinked once both sides mapped it");
            working.view(reservation.range().start().value(), 8).putLong(0, 0xABCD);
            invoke(SharedMemoryCodec.INITIALIZE, SharedMemoryCodec.encodeInitialize(false, AllocInfo.of(
                reservation.range().start(), Segment.of(0, 8, MemoryProtection.READ))));
            assertEquals(0xABCD, new Pointer(reservation.range().start().value()).getLong(0));
            invoke(SharedMemoryCodec.RELEASE, SharedMemoryCodec.encodeAddresses(List.of(reservation.range().start())));
        });
    }

    @Test
    void closeReleasesEverythingAndRefusesLaterCalls() throws IOException
    {
        final SharedReservation first = reserve(PAGE);
        reserve(4 * PAGE);

        functions.close();

        assertTrue(ProcMaps.self().mappingsIn(first.range().start().value(), PAGE).stream()
            .noneMatch(SharedMemoryTesting::isReservation));
        assertFalse(isJitmemMemfd(fdPath(first)));
        assertThrows(MemoryRevokedException.class,
            () -> invoke(SharedMemoryCodec.RESERVE, SharedMemoryCodec.encodeLong(PAGE)));
    }

    @Test
    void closeUnlinksANameTheControllerNeverMapped()
    {
        functions.close();
        functions = new SharedMemoryFunctions(Backing.NAMED, limits());
        final SharedReservation reservation = reserve(PAGE);
        final Path object = Path.of("/dev/shm", reservation.name().substring(1));
        assertTrue(Files.exists(object));

        functions.close();

        assertFalse(Files.exists(object));
        assertTrue(ProcMaps.self().isUnmapped(reservation.range().start().value(), PAGE));
    }

    @Test
    void codecRoundTripsAndRefusesMalformedMessages()
    {
        final AllocInfo info = new AllocInfo(ExecutorAddress.of(0x7000_0000_0000L), List.of(
            new Segment(0, 10, 20, MemoryProtection.READ_EXEC, MemoryLifetime.STANDARD),
            new Segment(4096, 0, 8, MemoryProtection.NONE, MemoryLifetime.FINALIZE)),
            List.of(new ActionPair(ActionCall.of(ExecutorAddress.of(0x1234), new byte[] {1, 2, 3}), ActionCall.NONE)));
        assertEquals(new InitializeRequest(true, info),
            SharedMemoryCodec.decodeInitialize(SharedMemoryCodec.encodeInitialize(true, info)));
        assertEquals(new InitializeRequest(false, info),
            SharedMemoryCodec.decodeInitialize(SharedMemoryCodec.encodeInitialize(false, info)));
        final SharedReservation reservation = new SharedReservation(ExecutorAddressRange.of(0x10000, 0x2000),
            Backing.NAMED, 42, -1, "/jitmem-x");
        assertEquals(reservation, SharedMemoryCodec.decodeReservation(SharedMemoryCodec.encodeReservation(reservation)));
        final List<ExecutorAddress> keys = List.of(ExecutorAddress.of(1), ExecutorAddress.of(-2));
        assertEquals(keys, SharedMemoryCodec.decodeAddresses(MapperOperation.RELEASE,
            SharedMemoryCodec.encodeAddresses(keys)));

        final byte[] encoded = SharedMemoryCodec.encodeInitialize(false, info);
        final byte[] truncated = java.util.Arrays.copyOf(encoded, encoded.length - 1);
        final byte[] trailing = java.util.Arrays.copyOf(encoded, encoded.length + 1);
        assertThrows(InvalidRequestException.class, () -> SharedMemoryCodec.decodeInitialize(truncated));
        assertThrows(InvalidRequestException.class, () -> SharedMemoryCodec.decodeInitialize(trailing));
        final byte[] unknownFlag = encoded.clone();
        unknownFlag[0] = 2;
        assertThrows(InvalidRequestException.class, () -> SharedMemoryCodec.decodeInitialize(unknownFlag));
        assertThrows(InvalidRequestException.class, () -> SharedMemoryCodec.decodeAddresses(MapperOperation.RELEASE,
            ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array()), "no allocation before the count is checked");
        assertArrayEquals(new byte[0], invoke(SharedMemoryCodec.DEINITIALIZE, SharedMemoryCodec.encodeAddresses(
            List.of())));
    }

    private SharedReservation reserve(final long numBytes)
    {
        return SharedMemoryCodec.decodeReservation(invoke(SharedMemoryCodec.RESERVE,
            SharedMemoryCodec.encodeLong(numBytes)));
    }

    /** Runs a check with the controller's mapping of a reservation and unmaps it afterwards. */
    private static void withWorkingMapping(final SharedReservation reservation, final Consumer<WorkingMapping> check)
    {
        final MemoryLimits limits = limits();
        limits.reserve(MapperOperation.RESERVE, reservation.range().size());
        final WorkingMapping working = WorkingMapping.map(reservation, limits);
        try
        {
            check.accept(working);
        }
        finally
        {
            working.unmap(MapperOperation.RELEASE);
        }
    }

    private byte[] invoke(final String function, final byte[] argument)
    {
        return functions.functions().get(function).invoke(argument);
    }

    private static Path fdPath(final SharedReservation reservation)
    {
        return Path.of("/proc/self/fd", Integer.toString(reservation.fd()));
    }

    private static boolean isJitmemMemfd(final Path fd)
    {
        try
        {
            return ProcMaps.isMemfd(Files.readSymbolicLink(fd).toString(), SharedMemoryTesting.MEMFD_NAME);
        }
        catch (final IOException gone)
        {
            return false;
        }
    }

    /** Shared-memory descriptors only: the JVM opens and closes other files on its own threads at any time. */
    private static long openDescriptors() throws IOException
    {
        try (var entries = Files.list(Path.of("/proc/self/fd")))
        {
            return entries.filter(SharedMemoryFunctionsTest::isSharedMemory).count();
        }
    }

    private static boolean isSharedMemory(final Path descriptor)
    {
        try
        {
            final String target = Files.readSymbolicLink(descriptor).toString();
            return target.startsWith("/memfd:") || target.startsWith("/dev/shm/");
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
