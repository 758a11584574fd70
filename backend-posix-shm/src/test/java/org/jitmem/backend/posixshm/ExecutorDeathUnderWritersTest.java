package org.jitmem.backend.posixshm;

import static org.jitmem.backend.posixshm.SharedMemoryTesting.TIMEOUT;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.address;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.assertFailsWith;
import static org.jitmem.backend.posixshm.SharedMemoryTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.executor.ExecutorProcess;
import org.jitmem.machine.ProcMaps;
import org.jitmem.posix.PageSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An executor killed with SIGKILL while threads of the controller write its working memory: the controller's JVM
 * lives on (an unmap under the writers would crash it), every later operation fails typed, and once released nothing
 * of the executor's memory stays mapped and no descriptor is left.
 */
class ExecutorDeathUnderWritersTest
{
    private static final int WRITERS = 8;
    private static final int ROUNDS = 50;
    private static final long PAGE = PageSize.get();
    private static final int SIZE = 64 * 1024;

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void killingTheExecutorUnderWritersNeverTakesTheirMemoryAway() throws Exception
    {
        final long self = ProcessHandle.current().pid();
        List<String> descriptors = null;
        for (int round = 0; round < ROUNDS; round++)
        {
            round(round);
            final List<String> now = SharedMemoryTesting.socketsAndMemoryFiles(self);
            // The first round opens what the JDK keeps for good (a socket of its own); no round adds to it.
            descriptors = descriptors == null ? now : descriptors;
            assertEquals(descriptors, now, "round " + round);
            assertTrue(now.stream().noneMatch(target -> target.startsWith("/memfd:")), "round " + round);
            assertEquals(Set.of(), SharedMemoryTesting.jitmemMappingsOfThisProcess(), "round " + round);
        }
    }

    private void round(final int round) throws Exception
    {
        final ExecutorProcess executor = ExecutorProcess.start(temp.resolve("run-" + round).resolve("executor.sock"),
            List.of());
        final ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        final AtomicBoolean stop = new AtomicBoolean();
        try (SocketExecutorChannel channel = executor.connect())
        {
            final SharedMemoryMapper mapper = new SharedMemoryMapper(channel, false);
            final List<ExecutorAddress> starts = new ArrayList<>(WRITERS);
            final List<Long> working = new ArrayList<>(WRITERS);
            final AtomicLongArray passes = new AtomicLongArray(WRITERS);
            final List<Future<?>> writers = new ArrayList<>(WRITERS);
            for (int w = 0; w < WRITERS; w++)
            {
                final ExecutorAddressRange range = await(mapper.reserve(SIZE));
                final ByteBuffer view = mapper.prepare(range.start(), SIZE);
                starts.add(range.start());
                working.add(address(view));
                final int writer = w;
                writers.add(pool.submit(() -> write(view, stop, passes, writer)));
            }
            awaitPasses(passes);

            executor.process().destroyForcibly();
            assertTrue(executor.process().waitFor(TIMEOUT, TimeUnit.SECONDS));
            channel.closed().toCompletableFuture().get(TIMEOUT, TimeUnit.SECONDS);
            awaitPasses(passes);

            assertFailsWith(ExecutorUnavailableException.class, mapper.reserve(PAGE));
            assertThrows(ExecutorUnavailableException.class, () -> mapper.prepare(starts.get(0), 8));
            assertFailsWith(ExecutorUnavailableException.class, mapper.initialize(AllocInfo.of(starts.get(0),
                Segment.of(0, 8, MemoryProtection.READ))));
            assertFailsWith(ExecutorUnavailableException.class, mapper.call(ActionCall.of(starts.get(0))));
            assertFailsWith(ExecutorUnavailableException.class, mapper.deinitialize(List.of(starts.get(0))));
            final ProcMaps detached = ProcMaps.self();
            for (final long address : working)
            {
                assertTrue(detached.isMapped(address, SIZE) && detached.hasNoSharedMapping(address, SIZE),
                    "working memory replaced in place, not unmapped: round=" + round);
            }

            stop.set(true);
            for (final Future<?> writer : writers)
            {
                writer.get(TIMEOUT, TimeUnit.SECONDS);
            }
            assertFailsWith(ExecutorUnavailableException.class, mapper.release(starts));
            assertEquals(0, mapper.mappedReservationCount());
            final ProcMaps released = ProcMaps.self();
            for (final long address : working)
            {
                assertTrue(released.isUnmapped(address, SIZE), "released working memory unmapped: round=" + round);
            }
            mapper.close(Duration.ofSeconds(TIMEOUT));
        }
        finally
        {
            stop.set(true);
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
            executor.close();
        }
    }

    private static Void write(final ByteBuffer view, final AtomicBoolean stop, final AtomicLongArray passes,
        final int writer)
    {
        for (long pass = 1; !stop.get(); pass++)
        {
            for (int offset = 0; offset < SIZE; offset += 8)
            {
                view.putLong(offset, pass);
            }
            passes.set(writer, pass);
        }
        return null;
    }

    /** Waits until every writer has finished a whole pass more than when called. */
    private static void awaitPasses(final AtomicLongArray passes) throws InterruptedException
    {
        final long[] seen = new long[WRITERS];
        for (int w = 0; w < WRITERS; w++)
        {
            seen[w] = passes.get(w);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT);
        for (int w = 0; w < WRITERS; w++)
        {
            while (passes.get(w) <= seen[w] + 1)
            {
                assertTrue(System.nanoTime() < deadline, "writer " + w + " stalled");
                Thread.sleep(1);
            }
        }
    }
}
