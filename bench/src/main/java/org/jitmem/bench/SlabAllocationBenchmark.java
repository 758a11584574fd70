package org.jitmem.bench;

import static org.jitmem.api.MemoryMapper.await;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabSettings;
import org.jitmem.runtime.slab.WorkingMemoryLease;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@value #ALLOCATIONS} small allocations through the {@link SlabMemoryManager} with its default 64 MiB slabs over the
 * bare mapper, the counterpart of the LLVM anchor's {@code slab} benchmark ({@code MapperJITLinkMemoryManager} with
 * 64 MiB slabs): each allocation is one segment, read-write or read-execute, allocated, written in full and finalized;
 * the score is the time per allocation, and the round is one {@link CpuPerOperation} window. The batched deallocation
 * that follows is not timed. A {@code cold} round runs on a fresh manager; a {@code warm} round runs on a manager that
 * has allocated and deallocated as much once already, so that freed ranges are reused. Unlike the anchor, a fork keeps
 * its executor process across rounds; each round gets a fresh manager. The trial setup runs a cold and a warm untimed
 * round on each of at least {@value #WARM_UP_MANAGERS} throwaway managers first, and on until the compiler is quiet
 * ({@link WarmUp}), so that the single-shot rounds time the JVM's compiled code, as a long-running JIT would run it: in
 * a fresh JVM the per-allocation time only settles after about 120,000 allocations (three to seven times slower
 * before). Not final: JMH subclasses state classes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@OperationsPerInvocation(SlabAllocationBenchmark.ALLOCATIONS)
public class SlabAllocationBenchmark
{
    /** Allocations per round. */
    static final int ALLOCATIONS = 10_000;
    /** Untimed managers before the trial, a cold and a warm round each, at least; then on until the compiler is quiet. */
    static final int WARM_UP_MANAGERS = 4;

    /** The backend, by its {@code jitmem.mapper.type} name; see {@link BenchBackend}. */
    @Param({"inprocess", "posix-shm"})
    public String backend;

    /** {@code cold}: a fresh manager; {@code warm}: a manager whose freed ranges are reused. */
    @Param({"cold", "warm"})
    public String round;

    /** The segment's protection: {@code RW} or {@code RX}; see {@link SegmentProtection}. */
    @Param({"RW", "RX"})
    public String protection;

    /** Segment size, as the LLVM anchor labels it. */
    @Param({"4KiB"})
    public String size;

    private BenchBackend opened;
    private byte[] content;
    private List<SegmentRequest> requests;
    private SlabMemoryManager manager;
    private final FinalizedAllocation[] finalized = new FinalizedAllocation[ALLOCATIONS];

    /** Opens the backend, fills the content once and warms the path up. */
    @Setup(Level.Trial)
    public void open()
    {
        final int bytes = ContentSize.parse(size);
        content = new byte[bytes];
        Arrays.fill(content, (byte)0x5A);
        requests = List.of(SegmentRequest.of(bytes, SegmentProtection.parse(protection)));
        opened = BenchBackend.open(backend);
        WarmUp.run(() ->
        {
            manager = new SlabMemoryManager(opened.mapper(), SlabSettings.DEFAULT);
            allocateAll();
            deallocate();
            allocateAll();
            closeManager();
        }, WARM_UP_MANAGERS);
    }

    /** Closes the backend. */
    @TearDown(Level.Trial)
    public void close()
    {
        opened.close();
    }

    /** A fresh manager, warmed by one untimed round when the round is {@code warm}. */
    @Setup(Level.Invocation)
    public void createManager()
    {
        manager = new SlabMemoryManager(opened.mapper(), SlabSettings.DEFAULT);
        if ("warm".equals(round))
        {
            allocateAll();
            deallocate();
        }
        else if (!"cold".equals(round))
        {
            throw new IllegalArgumentException("round must be cold or warm: round=" + round);
        }
    }

    /** Deallocates the round's allocations in one batch and closes the manager. */
    @TearDown(Level.Invocation)
    public void closeManager()
    {
        deallocate();
        await(manager.close());
    }

    /**
     * Allocates, writes and finalizes {@value #ALLOCATIONS} allocations.
     *
     * @return the last allocation, so that nothing is optimized away
     */
    @Benchmark
    public FinalizedAllocation allocate()
    {
        CpuPerOperation.begin(opened.executorPid(), opened.callCounter());
        final FinalizedAllocation last = allocateAll();
        CpuPerOperation.end(ALLOCATIONS);
        return last;
    }

    private FinalizedAllocation allocateAll()
    {
        for (int i = 0; i < ALLOCATIONS; i++)
        {
            final InFlightAllocation allocation = await(manager.allocate(requests));
            try (WorkingMemoryLease memory = allocation.lease())
            {
                memory.put(0, 0, content);
            }
            finalized[i] = await(allocation.finalizeAllocation(List.of()));
        }
        return finalized[ALLOCATIONS - 1];
    }

    private void deallocate()
    {
        await(manager.deallocate(Arrays.asList(finalized)));
        Arrays.fill(finalized, null);
    }
}
