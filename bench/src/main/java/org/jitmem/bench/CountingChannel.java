package org.jitmem.bench;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorInfo;

/**
 * A channel that counts the calls made through it: each call is one request frame and its reply, one round trip to
 * the executor. The benchmarks report the count per operation ({@link CpuPerOperation}'s {@code calls}).
 */
public final class CountingChannel implements ExecutorChannel
{
    private final ExecutorChannel channel;
    private final AtomicLong calls = new AtomicLong();

    /** @param channel the channel counted, owned by the caller */
    public CountingChannel(final ExecutorChannel channel)
    {
        this.channel = channel;
    }

    /** @return the calls made so far */
    public long callsAcquire()
    {
        return calls.get();
    }

    @Override
    public ExecutorInfo executor()
    {
        return channel.executor();
    }

    @Override
    public CompletionStage<byte[]> call(final String function, final byte[] argument)
    {
        calls.incrementAndGet();
        return channel.call(function, argument);
    }

    @Override
    public boolean isOpen()
    {
        return channel.isOpen();
    }

    @Override
    public CompletionStage<Throwable> closed()
    {
        return channel.closed();
    }

    @Override
    public void close()
    {
        channel.close();
    }
}
