package org.jitmem.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    void pinCommandRefusesUnknownTypesListingTheValidOnesAndPrintsUsageWithoutArguments()
    {
        selector.bindMemoryMapper(low, properties(1, 0));
        final JitmemCommands commands = new JitmemCommands(selector);

        for (final String bogus : List.of("bogus", "POSIX-SHM", MapperProperties.TYPE_WINDOWS_STUB))
        {
            final String refused = commands.pin(bogus);
            assertTrue(refused.startsWith("unknown backend type: " + bogus + "\n  valid: inprocess, posix-shm, remote, none"),
                refused);
            assertEquals("", selector.pinnedType(), "nothing pinned by " + bogus);
        }
        assertTrue(commands.pin("a", "host=b").startsWith("unknown backend type: a\n"), commands.pin("a", "b"));
        assertTrue(commands.pin().startsWith(JitmemCommands.PIN_USAGE + "\n  types: inprocess, posix-shm, remote, none"),
            commands.pin());

        commands.pin(MapperProperties.TYPE_POSIX_SHM);
        assertEquals(MapperProperties.TYPE_POSIX_SHM, selector.pinnedType(), "a known type not present may be pinned");
        assertTrue(selector.selected().isEmpty());
        commands.pin(JitmemCommands.NONE);
        assertEquals("", selector.pinnedType());
        assertSame(low, selector.selected().orElseThrow().mapper());
    }

    @Test
    void pinsOneOfSeveralMappersOfATypeByPropertyAndChoosesAmongEqualsByServiceId()
    {
        final InProcessMemoryMapper third = new InProcessMemoryMapper(false);
        final InProcessMemoryMapper best = new InProcessMemoryMapper(false);
        try
        {
            selector.bindMemoryMapper(third, properties(3, 5, "b"));
            selector.bindMemoryMapper(high, properties(2, 5, "b"));
            selector.bindMemoryMapper(low, properties(1, 5, "a"));
            assertSame(low, selector.selected().orElseThrow().mapper(), "equal rankings: the lowest service id");

            selector.pin(MapperProperties.TYPE_INPROCESS, "(" + MapperProperties.HOST + "=b)");
            assertSame(high, selector.selected().orElseThrow().mapper(), "the lowest service id of those matching");
            assertTrue(Reports.backends(selector).startsWith("pinned: inprocess (jitmem.executor.host=b)\n"),
                Reports.backends(selector));
            selector.bindMemoryMapper(best, properties(4, 7, "b"));
            assertSame(best, selector.selected().orElseThrow().mapper(), "a higher ranking one that matches");
            selector.unbindMemoryMapper(best, properties(4, 7, "b"));
            assertSame(high, selector.selected().orElseThrow().mapper());

            final IllegalArgumentException invalid = assertThrows(IllegalArgumentException.class,
                () -> selector.pin(MapperProperties.TYPE_INPROCESS, "(host=b"));
            assertTrue(invalid.getMessage().startsWith("invalid filter: (host=b: "), invalid.getMessage());
            assertEquals("(" + MapperProperties.HOST + "=b)", selector.pinnedFilter(), "the pin is unchanged");
            selector.pin(MapperProperties.TYPE_POSIX_SHM, "(" + MapperProperties.HOST + "=b)");
            assertTrue(selector.selected().isEmpty(), "type and filter must both match");

            selector.modified(configuration("", "(" + MapperProperties.HOST + "=a)"));
            assertSame(low, selector.selected().orElseThrow().mapper(), "Config Admin pins by filter alone");
            selector.modified(configuration("", "(" + MapperProperties.HOST + "=a"));
            assertTrue(selector.selected().isEmpty(), "a configured filter that cannot be read selects nothing");
            assertTrue(Reports.backends(selector).contains("no backend of the pinned type matches the pinned " +
                "filter"), Reports.backends(selector));
        }
        finally
        {
            selector.deactivate();
            third.close();
            best.close();
        }
    }

    @Test
    void pinCommandTakesPropertiesAndRefusesWhatNoBackendHasListingWhatIsPresent()
    {
        selector.bindMemoryMapper(low, properties(1, 5, "10.0.0.1"));
        selector.bindMemoryMapper(high, properties(2, 5, "10.0.0.2"));
        final JitmemCommands commands = new JitmemCommands(selector);

        final String pinned = commands.pin(MapperProperties.TYPE_INPROCESS, "host=10.0.0.2");
        assertEquals("(" + MapperProperties.HOST + "=10.0.0.2)", selector.pinnedFilter(), pinned);
        assertSame(high, selector.selected().orElseThrow().mapper());
        assertTrue(pinned.contains("* inprocess"), pinned);

        commands.pin(MapperProperties.TYPE_INPROCESS, "host=10.0.0.1", "pid=" + low.executorPid());
        assertEquals("(&(" + MapperProperties.HOST + "=10.0.0.1)(" + MapperProperties.EXECUTOR_PID + "=" +
            low.executorPid() + "))", selector.pinnedFilter());
        assertSame(low, selector.selected().orElseThrow().mapper());

        final String absent = commands.pin(MapperProperties.TYPE_INPROCESS, "host=10.0.0.9");
        assertTrue(absent.startsWith("no inprocess backend has host=10.0.0.9\n  present:\n"), absent);
        assertTrue(absent.contains("host=10.0.0.1") && absent.contains("host=10.0.0.2"), absent);
        assertEquals(List.of("no remote backend has host=(*)"), List.of(commands.pin(MapperProperties.TYPE_REMOTE,
            "host=(*)").lines().findFirst().orElseThrow()), "values are taken literally");
        assertTrue(commands.pin(MapperProperties.TYPE_INPROCESS, "host").startsWith("not a key=value property: " +
            "host\n"));
        assertSame(low, selector.selected().orElseThrow().mapper(), "refused pins change nothing");

        commands.pin(JitmemCommands.NONE);
        assertEquals("", selector.pinnedFilter());
        assertEquals("", selector.pinnedType());
    }

    private static Map<String, Object> properties(final long serviceId, final int ranking, final String host)
    {
        final Map<String, Object> properties = new java.util.HashMap<>(properties(serviceId, ranking));
        properties.put(MapperProperties.HOST, host);
        properties.put(MapperProperties.EXECUTOR_PID, ProcessHandle.current().pid());
        return properties;
    }

    private static Map<String, Object> properties(final long serviceId, final int ranking)
    {
        return Map.of(Constants.SERVICE_ID, serviceId, Constants.SERVICE_RANKING, ranking,
            MapperProperties.TYPE, MapperProperties.TYPE_INPROCESS);
    }

    private static RuntimeConfiguration configuration(final String pinned)
    {
        return configuration(pinned, "");
    }

    private static RuntimeConfiguration configuration(final String pinned, final String filter)
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
            public String pinnedFilter()
            {
                return filter;
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
