package org.jitmem.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

final class ReplyFutureTest
{
    private static final long SPIN_NANOS = 50_000;

    @Test
    void dependentsSpinAndSeeTheValueCompletedByAnotherThread() throws Exception
    {
        final long bound = TimeUnit.SECONDS.toNanos(30);
        final CountDownLatch spinning = new CountDownLatch(1);
        final List<CompletableFuture<?>> spunFor = new CopyOnWriteArrayList<>();
        final List<Boolean> doneAfterSpin = new CopyOnWriteArrayList<>();
        final ReplyFuture<String> reply = new ReplyFuture<>((waiting, nanos) ->
        {
            spunFor.add(waiting);
            spinning.countDown();
            final long spent = ReplyFuture.SPIN.help(waiting, nanos);
            doneAfterSpin.add(waiting.isDone() && spent < nanos);
            return spent;
        }, bound);
        final CompletableFuture<Integer> length = reply.thenApply(String::length);
        assertInstanceOf(ReplyFuture.class, length);
        final Thread completer = new Thread(() ->
        {
            try
            {
                spinning.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            reply.complete("four");
        });
        completer.start();
        assertEquals(4, length.get());
        completer.join();
        assertEquals(List.of(length), spunFor, "the waiter spun once, on the stage it waits for");
        assertEquals(List.of(true), doneAfterSpin, "the spin ended because the other thread completed the reply");
        assertEquals("four", reply.join());
        assertEquals(4, new ReplyFuture<String>(ReplyFuture.SPIN, 0).completeAsync(() -> "four")
            .thenApply(String::length).get());
    }

    @Test
    void theSpinLastsItsWholeBoundWhenNothingCompletes()
    {
        assertTrue(ReplyFuture.SPIN.help(new CompletableFuture<>(), SPIN_NANOS) >= SPIN_NANOS);
    }

    @Test
    void aWaiterOfADerivedStageRunsTheHelperOfTheReply() throws Exception
    {
        final AtomicReference<ReplyFuture<String>> root = new AtomicReference<>();
        final AtomicReference<Thread> helpedOn = new AtomicReference<>();
        root.set(new ReplyFuture<>((waiting, nanos) ->
        {
            helpedOn.set(Thread.currentThread());
            root.get().complete("helped");
            return 0;
        }, SPIN_NANOS));
        assertEquals(6, root.get().thenApply(String::length).join());
        assertEquals(Thread.currentThread(), helpedOn.get());
    }

    @Test
    void waitsBeyondTheSpinAndHonoursTimeouts() throws Exception
    {
        final ReplyFuture<String> reply = new ReplyFuture<>(ReplyFuture.SPIN, SPIN_NANOS);
        assertThrows(TimeoutException.class, () -> reply.get(1, TimeUnit.MICROSECONDS));
        assertThrows(TimeoutException.class, () -> reply.get(2 * SPIN_NANOS, TimeUnit.NANOSECONDS));
        final Thread completer = new Thread(() ->
        {
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            reply.completeExceptionally(new IllegalStateException("late"));
        });
        completer.start();
        final ExecutionException failure = assertThrows(ExecutionException.class, reply::get);
        assertInstanceOf(IllegalStateException.class, failure.getCause());
        assertInstanceOf(IllegalStateException.class, assertThrows(CompletionException.class, reply::join).getCause());
        completer.join();
    }
}
