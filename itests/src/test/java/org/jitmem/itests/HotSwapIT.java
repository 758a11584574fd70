package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabStatistics;
import org.jitmem.runtime.slab.WorkingMemoryLease;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The in-process backend bundle is stopped, started and updated again and again while threads allocate, write,
 * finalize, call and deallocate through the runtime's selected slab manager: nothing crashes, every operation either
 * completes or fails with a typed {@link MemoryMapperException}, departed backends leave no mapping behind and the
 * statistics return to zero. Also: pinning a backend type through Config Admin.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapIT extends FelixTestSupport
{
    private static final String INPROCESS_BUNDLE = "org.jitmem.backend.inprocess";
    private static final String SHARED_MEMORY_BUNDLE = "org.jitmem.backend.posixshm";
    private static final String RUNTIME_PID = "org.jitmem.runtime";
    private static final String INPROCESS = mapperType(MapperProperties.TYPE_INPROCESS);
    private static final int WORKERS = 4;
    private static final int SWAPS = 5;

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong typedFailures = new AtomicLong();
    private final Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    private final Map<SlabMemoryManager, Set<ExecutorAddressRange>> rangesByManager = new ConcurrentHashMap<>();

    /** Stop, start and update under load. */
    @Test
    public void backendComesAndGoesUnderLoad() throws Exception
    {
        final Bundle backend = installedBundle(INPROCESS_BUNDLE);
        awaitService(MemoryMapper.class, INPROCESS).close();
        final ExecutorService threads = Executors.newFixedThreadPool(WORKERS);
        // the shared-memory backend over the launched executor ranks higher: the load must run on the one that swaps
        final Bundle sharedMemory = installedBundle(SHARED_MEMORY_BUNDLE);
        sharedMemory.stop();
        try (TrackedService<BackendSelector> tracked = awaitService(BackendSelector.class, null))
        {
            final BackendSelector selector = tracked.service();
            final List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++)
            {
                workers.add(threads.submit(() -> work(selector)));
            }
            for (int swap = 0; swap < SWAPS; swap++)
            {
                awaitProgress();
                backend.stop();
                assertDepartedBackendsUnmapped();
                backend.start();
                awaitService(MemoryMapper.class, INPROCESS).close();
                awaitProgress();
                backend.update();
                awaitService(MemoryMapper.class, INPROCESS).close();
            }
            awaitProgress();
            stop.set(true);
            for (final Future<?> worker : workers)
            {
                worker.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            }

            assertTrue("unexpected failures: " + unexpected + " typedFailures=" + typedFailures + " completed=" +
                completed, unexpected.isEmpty());
            for (final SlabMemoryManager manager : selector.managers())
            {
                final SlabStatistics statistics = manager.statistics();
                assertEquals("allocations left: " + statistics, 0, statistics.allocations());
                assertEquals("bytes left in use: " + statistics, 0, statistics.usedBytes());
            }
            backend.stop();
            assertTrue(selector.managers().isEmpty());
            assertDepartedBackendsUnmapped();
        }
        finally
        {
            stop.set(true);
            threads.shutdownNow();
            threads.awaitTermination(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            if (backend.getState() != Bundle.ACTIVE)
            {
                backend.start();
            }
            sharedMemory.start();
        }
        awaitService(MemoryMapper.class, INPROCESS).close();
    }

    /** A type pinned through Config Admin is selected, or nothing when it is absent; removing the pin restores. */
    @Test
    public void pinningThroughConfigAdmin() throws IOException
    {
        awaitService(MemoryMapper.class, INPROCESS).close();
        try (TrackedService<ConfigurationAdmin> configAdmin = awaitService(ConfigurationAdmin.class, null);
            TrackedService<BackendSelector> selector = awaitService(BackendSelector.class, null))
        {
            final Configuration configuration = configAdmin.service().getConfiguration(RUNTIME_PID, "?");
            try
            {
                configuration.update(new Hashtable<>(Map.of("pinnedType", MapperProperties.TYPE_WINDOWS_STUB)));
                awaitTrue("pinned to the absent stub", () -> selector.service() != null &&
                    MapperProperties.TYPE_WINDOWS_STUB.equals(selector.service().pinnedType()));
                assertTrue("nothing selected", selector.service().selected().isEmpty());

                configuration.update(new Hashtable<>(Map.of("pinnedType", MapperProperties.TYPE_INPROCESS)));
                awaitTrue("pinned to in-process", () -> selector.service() != null &&
                    MapperProperties.TYPE_INPROCESS.equals(selector.service().pinnedType()));
                assertEquals(MapperProperties.TYPE_INPROCESS,
                    selector.service().selected().orElseThrow().mapper().type());
            }
            finally
            {
                configuration.delete();
            }
            awaitTrue("pin removed", () -> selector.service() != null && selector.service().pinnedType().isEmpty());
            assertTrue(selector.service().selected().isPresent());
        }
    }

    private Void work(final BackendSelector selector)
    {
        while (!stop.get())
        {
            final SlabMemoryManager manager = selector.selected().orElse(null);
            if (manager == null)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                continue;
            }
            try
            {
                cycle(manager);
                completed.incrementAndGet();
            }
            catch (final MemoryMapperException ex)
            {
                typedFailures.incrementAndGet();
            }
            catch (final RuntimeException | Error ex)
            {
                unexpected.add(ex);
            }
        }
        return null;
    }

    private void cycle(final SlabMemoryManager manager)
    {
        final long value = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final InFlightAllocation inFlight = MemoryMapper.await(manager.allocate(List.of(
            SegmentRequest.of(64, MemoryProtection.READ_EXEC), SegmentRequest.of(64, MemoryProtection.READ_WRITE))));
        rangesByManager.computeIfAbsent(manager, ignored -> ConcurrentHashMap.newKeySet()).add(inFlight.range());
        final FinalizedAllocation finalized;
        try
        {
            try (WorkingMemoryLease lease = inFlight.lease())
            {
                lease.put(0, 0, MachineCode.returnConstant(value));
                lease.putLong(1, 0, value);
            }
            finalized = MemoryMapper.await(inFlight.finalizeAllocation(List.of()));
        }
        catch (final MemoryMapperException ex)
        {
            inFlight.abandon();
            throw ex;
        }
        final long result;
        try
        {
            result = MemoryMapper.await(finalized.call(0, new byte[0]));
        }
        catch (final MemoryMapperException ex)
        {
            finalized.deallocate();
            throw ex;
        }
        MemoryMapper.await(finalized.deallocate());
        if (result != value)
        {
            throw new AssertionError("JIT'd code returned " + result + " instead of " + value);
        }
    }

    private void assertDepartedBackendsUnmapped()
    {
        final ProcMaps maps = ProcMaps.self();
        for (final Map.Entry<SlabMemoryManager, Set<ExecutorAddressRange>> entry : rangesByManager.entrySet())
        {
            if (entry.getKey().isDraining())
            {
                for (final ExecutorAddressRange range : entry.getValue())
                {
                    assertTrue("still mapped after its backend departed: " + range,
                        maps.isUnmapped(range.start().value(), range.size()));
                }
                rangesByManager.remove(entry.getKey());
            }
        }
    }

    private void awaitProgress()
    {
        final long target = completed.get() + WORKERS;
        awaitTrue("workers complete cycles", () -> completed.get() >= target || !unexpected.isEmpty());
        assertTrue("unexpected failures: " + unexpected, unexpected.isEmpty());
    }
}
