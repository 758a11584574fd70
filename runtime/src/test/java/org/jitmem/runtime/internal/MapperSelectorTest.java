package org.jitmem.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.backend.inprocess.InProcessMemoryMapper;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.Reports;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.WorkingMemoryLease;
import org.jitmem.runtime.testing.SystemLoggers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;

final class MapperSelectorTest
{
    private static final long DRAIN_TIMEOUT_MILLIS = 30_000;

    private final InProcessMemoryMapper low = new InProcessMemoryMapper(false);
    private final InProcessMemoryMapper high = new InProcessMemoryMapper(false);
    private final MapperSelector selector = new MapperSelector(configuration(""),
        SystemLoggers.of(MapperSelector.class));

    @AfterEach
    void closeMappers()
    {
        selector.deactivate();
        low.close();
        high.close();
    }

    @Test
    void selectsTheHighestRankingAndKeepsOneManagerPerMapper()
    {
        selector.bindMemoryMapper(low, properties(1, 0));
        selector.bindMemoryMapper(high, properties(2, 10));

        final SlabMemoryManager selected = selector.selected().orElseThrow();
        assertSame(high, selected.mapper());
        assertEquals(List.of(2L, 1L), selector.backends().stream().map(BackendDescription::serviceId).toList());
        assertTrue(selector.backends().get(0).selected());
        assertEquals(2, selector.managers().size());
        assertEquals(selected.settings().granularity(), 1L << 20);
    }

    @Test
    void departingMapperTakesItsMemoryAndTheSelectionMovesOn()
    {
        selector.bindMemoryMapper(low, properties(1, 0));
        selector.bindMemoryMapper(high, properties(2, 10));
        final SlabMemoryManager departing = selector.selected().orElseThrow();
        MemoryMapper.await(departing.allocate(List.of(SegmentRequest.of(100, MemoryProtection.READ_WRITE))));
        assertEquals(1, high.reservationCount());

        selector.unbindMemoryMapper(high, properties(2, 10));

        assertTrue(departing.isClosed());
        assertEquals(0, high.reservationCount(), "the departing mapper's reservations are released");
        assertSame(low, selector.selected().orElseThrow().mapper());
    }

    @Test
    void unbindDrainsTheDepartingManagerWhileTheSelectionHasAlreadyMovedOn() throws Exception
    {
        selector.bindMemoryMapper(low, properties(1, 0));
        selector.bindMemoryMapper(high, properties(2, 10));
        final SlabMemoryManager departing = selector.selected().orElseThrow();
        final InFlightAllocation inFlight = MemoryMapper.await(departing.allocate(List.of(
            SegmentRequest.of(100, MemoryProtection.READ_WRITE))));
        final ExecutorService unbinding = Executors.newSingleThreadExecutor();
        try
        {
            final Future<?> unbound;
            try (WorkingMemoryLease lease = inFlight.lease())
            {
                unbound = unbinding.submit(() -> selector.unbindMemoryMapper(high, properties(2, 10)));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!departing.isDraining() && System.nanoTime() < deadline)
                {
                    Thread.sleep(5);
                }
                assertTrue(departing.isDraining());
                assertSame(low, selector.selected().orElseThrow().mapper(), "new allocations go elsewhere at once");
                lease.putLong(0, 0, 1);
                assertFalse(unbound.isDone(), "the unbind waits for the lease");
                assertEquals(1, high.reservationCount());
            }
            unbound.get(30, TimeUnit.SECONDS);
            assertEquals(0, high.reservationCount());
        }
        finally
        {
            unbinding.shutdownNow();
        }
    }

    @Test
    void pinningSelectsByTypeOrNothing()
    {
        selector.bindMemoryMapper(low, properties(1, 0));
        selector.pin(MapperProperties.TYPE_POSIX_SHM);
        assertFalse(selector.selected().isPresent());
        assertTrue(Reports.backends(selector).contains("no backend of the pinned type is present"));
        selector.pin(MapperProperties.TYPE_INPROCESS);
        assertSame(low, selector.selected().orElseThrow().mapper());
        selector.modified(configuration(MapperProperties.TYPE_POSIX_SHM));
        assertEquals(MapperProperties.TYPE_POSIX_SHM, selector.pinnedType());
        selector.pin("");
        assertSame(low, selector.selected().orElseThrow().mapper());
    }

    @Test
    void pinCommandRefusesUnknownTypesListingTheValidOnesAndPrintsUsageForWrongArgumentCounts()
    {
        selector.bindMemoryMapper(low, properties(1, 0));
        final JitmemCommands commands = new JitmemCommands(selector);

        for (final String bogus : List.of("bogus", "POSIX-SHM", MapperProperties.TYPE_WINDOWS_STUB))
        {
            final String refused = commands.pin(bogus);
            assertTrue(refused.startsWith("unknown backend type: " + bogus + "\n  valid: inprocess, posix-shm, none"),
                refused);
            assertEquals("", selector.pinnedType(), "nothing pinned by " + bogus);
        }
        assertTrue(commands.pin("a", "b").startsWith("jitmem:pin takes one argument, got 2\n" +
            JitmemCommands.PIN_USAGE), commands.pin("a", "b"));
        assertTrue(commands.pin().startsWith(JitmemCommands.PIN_USAGE + "\n  types: inprocess, posix-shm, none"),
            commands.pin());

        commands.pin(MapperProperties.TYPE_POSIX_SHM);
        assertEquals(MapperProperties.TYPE_POSIX_SHM, selector.pinnedType(), "a known type not present may be pinned");
        assertTrue(selector.selected().isEmpty());
        commands.pin(JitmemCommands.NONE);
        assertEquals("", selector.pinnedType());
        assertSame(low, selector.selected().orElseThrow().mapper());
    }

    private static Map<String, Object> properties(final long serviceId, final int ranking)
    {
        return Map.of(Constants.SERVICE_ID, serviceId, Constants.SERVICE_RANKING, ranking,
            MapperProperties.TYPE, MapperProperties.TYPE_INPROCESS);
    }

    private static RuntimeConfiguration configuration(final String pinned)
    {
        return new RuntimeConfiguration()
        {
            @Override
            public Class<? extends Annotation> annotationType()
            {
                return RuntimeConfiguration.class;
            }

            @Override
            public String pinnedType()
            {
                return pinned;
            }

            @Override
            public long slabGranularity()
            {
                return 1L << 20;
            }

            @Override
            public long keepFreeBytes()
            {
                return 0;
            }

            @Override
            public long drainTimeoutMillis()
            {
                return DRAIN_TIMEOUT_MILLIS;
            }
        };
    }
}
