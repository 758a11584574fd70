package org.jitmem.bench;

import static org.jitmem.api.MemoryMapper.await;

import java.util.concurrent.TimeUnit;

import org.jitmem.api.ExecutorChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The round trip of an empty executor call ({@code executor.ping} with no argument) to a real executor process, the
 * counterpart of the LLVM anchor's {@code rpc} benchmark. Sampled, so that medians compare with the anchor's medians;
 * each iteration is one {@link CpuPerOperation} window. Not final: JMH subclasses state classes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ChannelRoundTripBenchmark extends CpuPerIteration
{
    private static final String PING = "executor.ping";
    private static final byte[] EMPTY = new byte[0];

    private BenchExecutor executor;
    private ExecutorChannel channel;

    /** Starts the executor and connects to it. */
    @Setup(Level.Trial)
    public void start()
    {
        executor = BenchExecutor.start();
        channel = executor.channel();
    }

    @Override
    protected long executorPid()
    {
        return executor.pid();
    }

    /** Closes the channel; the executor exits. */
    @TearDown(Level.Trial)
    public void stop()
    {
        executor.close();
    }

    /**
     * @return the (empty) reply, so that nothing is optimized away
     */
    @Benchmark
    public byte[] emptyCall()
    {
        final byte[] reply = await(channel.call(PING, EMPTY));
        counted();
        return reply;
    }
}
