package org.jitmem.memory.wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.memory.MemoryLimits;

/**
 * What every controller-side mapper over an {@link ExecutorChannel} does alike, whatever its working memory: calls
 * that fail as stages, reserves counted against the limits until the working memory holds them, reservations given
 * back when the controller cannot keep them, working memory taken out of the table before a release and unmapped
 * whatever the executor replies, and the release of everything on close. Stateless.
 */
public final class ChannelMapping
{
    /** Working memory of one reservation, which the mapper's table holds by the reservation's start. */
    public interface WorkingRange
    {
        /** @return the executor range */
        ExecutorAddressRange range();

        /**
         * Unmaps the working memory and gives its reserved and committed bytes back to the limits.
         *
         * @param operation the operation on whose behalf it goes
         */
        void unmap(MapperOperation operation);
    }

    private ChannelMapping()
    {
    }

    /**
     * @param channel  the channel
     * @param refused  why the mapper refuses the call, or null
     * @param function an executor function
     * @param argument its argument
     * @param decode   decodes its result
     * @param <T>      the decoded result
     * @return the decoded result, or the failure as a failed stage (never thrown)
     */
    public static <T> CompletionStage<T> call(final ExecutorChannel channel, final RuntimeException refused,
        final String function, final byte[] argument, final Function<byte[], T> decode)
    {
        if (refused != null)
        {
            return CompletableFuture.failedFuture(refused);
        }
        try
        {
            return channel.call(function, argument).thenApply(decode);
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Maps working memory for what the executor reserved; a failed reserve gives its counted bytes back.
     *
     * @param reserved the executor's reply
     * @param limits   the limits that have counted {@code size} reserved bytes
     * @param size     the counted bytes
     * @param map      maps working memory for the reply, which then holds the counted bytes
     * @param <R>      the reply
     * @return the reservation
     */
    public static <R> CompletionStage<ExecutorAddressRange> reserved(final CompletionStage<R> reserved,
        final MemoryLimits limits, final long size, final Function<R, CompletionStage<ExecutorAddressRange>> map)
    {
        return reserved.handle((reply, failure) ->
        {
            if (failure != null)
            {
                limits.unreserve(size);
                throw failure instanceof CompletionException wrapped ? wrapped : new CompletionException(failure);
            }
            return map.apply(reply);
        }).thenCompose(Function.identity());
    }

    /**
     * Gives back a reservation the controller could not keep, then fails with {@code failure}.
     *
     * @param channel  the channel
     * @param release  the backend's release function, which takes {@link MapperCodec} addresses
     * @param range    the reservation
     * @param failure  why it could not be kept
     * @param <T>      the stage's value type
     * @return a stage that fails with {@code failure}, the release's failure suppressed in it
     */
    public static <T> CompletionStage<T> giveBack(final ExecutorChannel channel, final String release,
        final ExecutorAddressRange range, final RuntimeException failure)
    {
        return channel.call(release, MapperCodec.encodeAddresses(List.of(range.start())))
            .handle((ignored, releaseFailure) ->
            {
                if (releaseFailure != null)
                {
                    failure.addSuppressed(unwrap(releaseFailure));
                }
                throw failure;
            });
    }

    /**
     * @param size     bytes of working memory asked for
     * @param start    where
     * @throws InvalidRequestException when the size is negative or above {@link Integer#MAX_VALUE}
     */
    public static void checkWorkingSize(final long start, final long size)
    {
        if (size < 0 || size > Integer.MAX_VALUE)
        {
            throw new InvalidRequestException(MapperOperation.PREPARE,
                "working memory size must be between 0 and " + Integer.MAX_VALUE, start, size);
        }
    }

    /**
     * Removes working memory from a table; called under the table's lock.
     *
     * @param table  working memory by reservation start
     * @param starts reservation starts
     * @param <W>    the working memory
     * @return what was there
     */
    public static <W extends WorkingRange> List<W> take(final Map<Long, W> table, final List<ExecutorAddress> starts)
    {
        final List<W> taken = new ArrayList<>(starts.size());
        for (final ExecutorAddress start : starts)
        {
            final W memory = table.remove(start.value());
            if (memory != null)
            {
                taken.add(memory);
            }
        }
        return taken;
    }

    /**
     * @param taken working memory out of the table
     * @return the failures of unmapping it, each one tried
     */
    public static List<RuntimeException> unmap(final List<? extends WorkingRange> taken)
    {
        final List<RuntimeException> failures = new ArrayList<>(0);
        for (final WorkingRange memory : taken)
        {
            try
            {
                memory.unmap(MapperOperation.RELEASE);
            }
            catch (final RuntimeException ex)
            {
                failures.add(ex);
            }
        }
        return failures;
    }

    /**
     * Releases reservations whose working memory has been unmapped.
     *
     * @param released      the executor's release
     * @param unmapFailures failures of unmapping their working memory
     * @return the release, failing with every failure joined
     */
    public static CompletionStage<Void> released(final CompletionStage<Void> released,
        final List<RuntimeException> unmapFailures)
    {
        return released.handle((ignored, failure) ->
        {
            final ErrorJoiner errors = new ErrorJoiner();
            if (failure != null)
            {
                errors.add(unwrap(failure));
            }
            unmapFailures.forEach(errors::add);
            errors.throwIfAny();
            return null;
        });
    }

    /**
     * Releases reservations in the executor, waiting a bounded time; an executor that is gone took its memory with
     * it, so that is no failure.
     *
     * @param channel the channel
     * @param release the backend's release function, which takes {@link MapperCodec} addresses
     * @param starts  reservation starts
     * @param timeout how long to wait for the executor
     * @param errors  where failures go
     */
    public static void releaseWithin(final ExecutorChannel channel, final String release,
        final List<ExecutorAddress> starts, final Duration timeout, final ErrorJoiner errors)
    {
        try
        {
            channel.call(release, MapperCodec.encodeAddresses(starts)).toCompletableFuture()
                .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            errors.add(ex);
        }
        catch (final ExecutionException ex)
        {
            addUnlessExecutorGone(errors, ex.getCause());
        }
        catch (final TimeoutException | RuntimeException ex)
        {
            addUnlessExecutorGone(errors, ex);
        }
    }

    /**
     * @param failure a stage's failure
     * @return its cause when it is a completion wrapper
     */
    public static Throwable unwrap(final Throwable failure)
    {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static void addUnlessExecutorGone(final ErrorJoiner errors, final Throwable error)
    {
        if (!(error instanceof ExecutorUnavailableException))
        {
            errors.add(error);
        }
    }
}
