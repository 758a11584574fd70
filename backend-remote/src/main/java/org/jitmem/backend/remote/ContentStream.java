package org.jitmem.backend.remote;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.backend.remote.wire.RemoteCodec;

/**
 * Sends content ahead of an initialize in pieces of at most {@link RemoteCodec#MAX_CONTENT_BYTES}, at most
 * {@value #WINDOW} in flight at once, so that no frame passes the channel's limit and the memory held stays bounded
 * whatever the content's size. Each piece is read when it is sent. The first failure fails the stream; pieces still
 * in flight then land in free executor memory, harmlessly. No lock is held while a piece is sent.
 */
final class ContentStream
{
    /** Pieces in flight at once. */
    static final int WINDOW = 4;

    private final ArrayDeque<ExecutorAddressRange> pieces = new ArrayDeque<>();
    private final Function<ExecutorAddressRange, CompletionStage<?>> write;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private int inFlight;
    private boolean ended;

    private ContentStream(final List<ExecutorAddressRange> ranges,
        final Function<ExecutorAddressRange, CompletionStage<?>> write)
    {
        this.write = write;
        for (final ExecutorAddressRange range : ranges)
        {
            for (long offset = 0; offset < range.size(); offset += RemoteCodec.MAX_CONTENT_BYTES)
            {
                pieces.add(ExecutorAddressRange.of(range.start().value() + offset,
                    Math.min(RemoteCodec.MAX_CONTENT_BYTES, range.size() - offset)));
            }
        }
    }

    /**
     * @param ranges executor ranges whose content is to be sent
     * @param write  sends the content of one piece
     * @return completes when every piece has been written, or with the first failure
     */
    static CompletionStage<Void> send(final List<ExecutorAddressRange> ranges,
        final Function<ExecutorAddressRange, CompletionStage<?>> write)
    {
        final ContentStream stream = new ContentStream(ranges, write);
        stream.pump();
        return stream.done;
    }

    private void pump()
    {
        while (true)
        {
            final ExecutorAddressRange next;
            synchronized (this)
            {
                if (ended || inFlight >= WINDOW)
                {
                    return;
                }
                next = pieces.poll();
                if (next == null)
                {
                    ended = inFlight == 0;
                    if (!ended)
                    {
                        return;
                    }
                }
                else
                {
                    inFlight++;
                }
            }
            if (next == null)
            {
                done.complete(null);
                return;
            }
            CompletionStage<?> sent;
            try
            {
                sent = write.apply(next);
            }
            catch (final RuntimeException ex)
            {
                sent = CompletableFuture.failedFuture(ex);
            }
            // Never on the channel's reader thread: a send there could wait for the reader itself.
            sent.whenCompleteAsync((ignored, failure) -> written(failure));
        }
    }

    private void written(final Throwable failure)
    {
        synchronized (this)
        {
            inFlight--;
            if (failure != null)
            {
                ended = true;
            }
        }
        if (failure != null)
        {
            done.completeExceptionally(failure instanceof CompletionException && failure.getCause() != null ?
                failure.getCause() : failure);
            return;
        }
        pump();
    }
}
