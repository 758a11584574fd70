package org.jitmem.link.internal;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.link.SymbolLookup;
import org.jitmem.link.executor.LinkCodec;

/** Symbols of an executor behind a channel: one {@code link.lookup} round trip for any number of names. */
public final class ChannelSymbols implements SymbolLookup
{
    private final ExecutorChannel channel;

    /** @param channel the executor's channel, which must host the linker's executor functions */
    public ChannelSymbols(final ExecutorChannel channel)
    {
        this.channel = Objects.requireNonNull(channel, "channel");
    }

    @Override
    public CompletionStage<long[]> lookup(final List<String> names)
    {
        return channel.call(LinkCodec.LOOKUP, LinkCodec.encodeNames(names))
            .thenApply(result -> LinkCodec.decodeAddresses(result, names.size()));
    }

    @Override
    public CompletionStage<Long> open(final String path)
    {
        return channel.call(LinkCodec.DLOPEN, LinkCodec.encodePath(path)).thenApply(LinkCodec::decodeHandle);
    }

    @Override
    public CompletionStage<Void> shareStandardStreams()
    {
        return channel.call(LinkCodec.SHARE_STANDARD_STREAMS, LinkCodec.encodeHandle(ProcessHandle.current().pid()))
            .thenApply(result -> null);
    }
}
