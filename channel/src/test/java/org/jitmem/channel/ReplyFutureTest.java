package org.jitmem.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
        final ReplyFuture<String> reply = new ReplyFuture<>(ReplyFuture.SPIN, SPIN_NANOS);
        final CompletableFuture<Integer> length = reply.thenApply(String::length);
        assertInstanceOf(ReplyFuture.class, length);
        final Thread completer = new Thread(() -> reply.complete("four"));
        completer.start();
        assertEquals(4, length.get());
        assertEquals("four", reply.join());
        assertEquals(4, new ReplyFuture<String>(ReplyFuture.SPIN, 0).completeAsync(() -> "four").thenApply(String::length).get());
        completer.join();
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
