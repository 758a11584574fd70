package org.jitmem.channel;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.Posix;

/**
 * The executor's end of a connection's lane ({@link LaneLayout}): a memory file it creates and maps, and one thread
 * at a time that looks for posted calls, runs each inline and publishes its reply in the slot. The thread spins for
 * {@link LaneLayout#SPIN_NANOS} after the last call, then sleeps on the request sequence until a controller wakes it.
 * A call that runs long is watched like a socket call: the server's watchdog hands the lane over to a worker.
 */
final class LaneServer
{
    /** Where a reply too large for its slot goes instead: the connection's socket. */
    interface SocketReplies
    {
        /**
         * @param requestId the call's request id
         * @param function  the function called
         * @param result    the result, or null when {@code error} is set
         * @param error     the failure, or null
         */
        void reply(long requestId, String function, byte[] result, Throwable error);
    }

    private final ChannelServer server;
    private final Map<String, ExecutorFunction> functions;
    private final SocketReplies socketReplies;
    private final LaneMemory memory;
    private final int slotCount;
    private final int slotSize;
    private final InlineCalls inline = new InlineCalls();
    /** When each slot's reply was published, 0 once the controller was told or took it. */
    private final AtomicLongArray repliedAt;
    private final AtomicInteger unnoticedReplies = new AtomicInteger();
    private final AtomicInteger descriptor;
    private volatile boolean closing;

    private LaneServer(final ChannelServer server, final Map<String, ExecutorFunction> functions,
        final SocketReplies socketReplies, final LaneMemory memory, final int descriptor, final int slotCount,
        final int slotSize)
    {
        this.server = server;
        this.functions = functions;
        this.socketReplies = socketReplies;
        this.memory = memory;
        this.descriptor = new AtomicInteger(descriptor);
        this.slotCount = slotCount;
        this.slotSize = slotSize;
        this.repliedAt = new AtomicLongArray(slotCount);
    }

    /**
     * Creates the lane's memory file, sized and allocated up front, and maps it; the descriptor stays open until
     * {@link #descriptorMapped} so that the controller can open it through {@code /proc/<pid>/fd}.
     *
     * @param slotCount slots, 1 to {@link LaneLayout#MAX_SLOT_COUNT}
     * @param slotSize  bytes per slot, a multiple of 64 from 128 to {@link LaneLayout#MAX_SLOT_SIZE}
     * @return the lane, not yet serving
     * @throws InvalidRequestException when the sizes are out of range or this is not Linux
     */
    static LaneServer open(final ChannelServer server, final Map<String, ExecutorFunction> functions,
        final SocketReplies socketReplies, final int slotCount, final int slotSize)
    {
        if (slotCount < 1 || slotCount > LaneLayout.MAX_SLOT_COUNT || slotSize < 128 ||
            slotSize > LaneLayout.MAX_SLOT_SIZE || slotSize % 64 != 0)
        {
            throw new InvalidRequestException(MapperOperation.CHANNEL, "lane size out of range: slotCount=" +
                slotCount + " slotSize=" + slotSize, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        if (!OsConstants.LINUX)
        {
            throw new InvalidRequestException(MapperOperation.CHANNEL, "lanes need Linux: os.name=" +
                System.getProperty("os.name"), MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
        }
        final long length = LaneLayout.size(slotCount, slotSize);
        final int fd = Posix.memfdCreate(MapperOperation.CHANNEL, LaneLayout.MEMFD_NAME);
        long address = OsConstants.MAP_FAILED;
        try
        {
            Posix.ftruncate(MapperOperation.CHANNEL, fd, length);
            Posix.fallocate(MapperOperation.CHANNEL, fd, length);
            address = Posix.mmap(MapperOperation.CHANNEL, 0, length,
                MemoryProtection.READ_WRITE, OsConstants.MAP_SHARED, fd, 0);
            final LaneMemory memory = new LaneMemory(address, length);
            memory.putIntPlain(LaneLayout.SLOT_COUNT_OFFSET, slotCount);
            memory.putIntPlain(LaneLayout.SLOT_SIZE_OFFSET, slotSize);
            memory.putIntPlain(LaneLayout.VERSION_OFFSET, LaneLayout.VERSION);
            // Release: the header above is complete before the controller's acquire load sees the magic.
            memory.putIntRelease(LaneLayout.MAGIC_OFFSET, LaneLayout.MAGIC);
            return new LaneServer(server, functions, socketReplies, memory, fd, slotCount, slotSize);
        }
        catch (final RuntimeException ex)
        {
            final long mapped = address;
            if (mapped != OsConstants.MAP_FAILED)
            {
                quietly(() -> Posix.munmap(MapperOperation.CHANNEL, mapped, length), ex);
            }
            quietly(() -> Posix.close(MapperOperation.CHANNEL, fd), ex);
            throw ex;
        }
    }

    /** @return the lane's descriptor in this process, for the controller to open through /proc */
    int descriptor()
    {
        return descriptor.get();
    }

    long length()
    {
        return memory.length();
    }

    /** Closes this process's descriptor: the controller has mapped the lane, or gave up. Idempotent. */
    void descriptorMapped()
    {
        final int fd = descriptor.getAndSet(-1);
        if (fd >= 0)
        {
            Posix.close(MapperOperation.CHANNEL, fd);
        }
    }

    /** Starts serving on a thread of its own. */
    void start()
    {
        final Thread thread = new Thread(this::serve, "jitmem-executor-lane");
        thread.setDaemon(true);
        thread.start();
    }

    /** @see InlineCalls#watch */
    boolean watch()
    {
        return inline.watch(() ->
        {
            try
            {
                server.workers().execute(this::serve);
            }
            catch (final RejectedExecutionException ex)
            {
                close();
            }
        });
    }

    boolean runsInline()
    {
        return inline.runsInline();
    }

    /** Stops serving once the calls running have returned, and unmaps then. Idempotent. */
    void close()
    {
        closing = true;
        memory.wakeAndClose(LaneLayout.REQUEST_SEQUENCE_OFFSET);
        descriptorMapped();
    }

    /** Waits until {@link #close} has unmapped the lane. */
    void awaitClosed()
    {
        memory.awaitUnmapped();
    }

    private void serve()
    {
        if (!memory.enter())
        {
            return;
        }
        try
        {
            int next = 0;
            while (true)
            {
                final int slot = nextCall(next);
                if (slot < 0)
                {
                    return;
                }
                next = (slot + 1) % slotCount;
                final long number = inline.begin();
                server.callStarted();
                final long started = System.nanoTime();
                run(slot);
                final boolean kept = inline.end(number);
                final long now = System.nanoTime();
                if (!kept || now - started >= LaneLayout.SPIN_NANOS)
                {
                    // The caller has stopped spinning and parked: tell the collector now, not after a notice delay
                    // (or, once the lane was handed over, after the new scanner's sleep).
                    noticeReplies(now, true);
                }
                if (!kept)
                {
                    return;
                }
            }
        }
        finally
        {
            memory.leave();
        }
    }

    /** @return the slot of a posted call, now {@code RUNNING}, looking from {@code from} on, or -1 once closing */
    private int nextCall(final int from)
    {
        long idleSince = System.nanoTime();
        while (true)
        {
            final int slot = postedCall(from);
            if (slot >= 0 || closing)
            {
                return slot;
            }
            final long now = System.nanoTime();
            noticeReplies(now, false);
            if (now - idleSince < LaneLayout.SPIN_NANOS)
            {
                LaneLayout.pause(now - idleSince);
                continue;
            }
            // Acquire: the sequence is read before the flag says so; a bump after it makes the futex return at once.
            final int sequence = memory.getIntAcquire(LaneLayout.REQUEST_SEQUENCE_OFFSET);
            // Volatile: the slot states are looked at again only after the flag is out (Dekker with post's
            // volatile CALL store, then flag load): either this sees the CALL or the controller sees the flag.
            memory.putIntVolatile(LaneLayout.EXECUTOR_SLEEPS_OFFSET, 1);
            final int posted = postedCall(from);
            if (posted < 0 && !closing)
            {
                noticeReplies(now, true);
                memory.waitWhile(LaneLayout.REQUEST_SEQUENCE_OFFSET, sequence, LaneLayout.SLEEP_NANOS);
            }
            // Release: a 0 seen late costs the controller a needless wake-up, never a lost call.
            memory.putIntRelease(LaneLayout.EXECUTOR_SLEEPS_OFFSET, 0);
            if (posted >= 0)
            {
                return posted;
            }
            idleSince = System.nanoTime();
        }
    }

    private int postedCall(final int from)
    {
        for (int i = 0; i < slotCount; i++)
        {
            final int slot = (from + i) % slotCount;
            final int state = LaneLayout.slotOffset(slot, slotSize) + LaneLayout.SLOT_STATE;
            // Volatile: the second half of the Dekker handshake in nextCall (acquire alone could pass the flag's
            // store); it also acquires the call that the controller's CALL store published.
            if (memory.getIntVolatile(state) == LaneLayout.CALL &&
                memory.compareAndSetInt(state, LaneLayout.CALL, LaneLayout.RUNNING))
            {
                return slot;
            }
        }
        return -1;
    }

    /**
     * Tells the controller's collector about replies no waiting thread has taken: those older than
     * {@link LaneLayout#REPLY_NOTICE_NANOS}, or all of them when {@code all}.
     */
    private void noticeReplies(final long now, final boolean all)
    {
        if (unnoticedReplies.get() == 0)
        {
            return;
        }
        boolean notify = false;
        for (int slot = 0; slot < slotCount; slot++)
        {
            final long published = repliedAt.get(slot);
            if (published == 0)
            {
                continue;
            }
            // Acquire: only decides whether to tell the collector; a stale RESULT costs a needless wake-up.
            final int state = memory.getIntAcquire(LaneLayout.slotOffset(slot, slotSize) + LaneLayout.SLOT_STATE);
            final boolean untaken = state == LaneLayout.RESULT || state == LaneLayout.ERROR ||
                state == LaneLayout.DIVERTED;
            if ((!untaken || all || now - published >= LaneLayout.REPLY_NOTICE_NANOS) &&
                repliedAt.compareAndSet(slot, published, 0))
            {
                unnoticedReplies.decrementAndGet();
                notify |= untaken;
            }
        }
        if (notify)
        {
            // The bump changes the futex word, so a collector that read the old sequence does not sleep on it; the
            // volatile flag load stays after the bump, so a collector already asleep said so and is woken.
            memory.getAndAddInt(LaneLayout.REPLY_SEQUENCE_OFFSET, 1);
            if (memory.getIntVolatile(LaneLayout.COLLECTOR_SLEEPS_OFFSET) != 0)
            {
                memory.wake(LaneLayout.REPLY_SEQUENCE_OFFSET);
            }
        }
    }

    private void run(final int slot)
    {
        final int base = LaneLayout.slotOffset(slot, slotSize);
        // Plain: published by the controller's CALL store, acquired by postedCall's load and CAS of the state.
        final long requestId = memory.getLongPlain(base + LaneLayout.SLOT_REQUEST_ID);
        final int functionLength = memory.getIntPlain(base + LaneLayout.SLOT_FUNCTION_LENGTH);
        final int argumentLength = memory.getIntPlain(base + LaneLayout.SLOT_PAYLOAD_LENGTH);
        final int capacity = slotSize - LaneLayout.SLOT_DATA;
        String function = null;
        byte[] result = null;
        Throwable error = null;
        try
        {
            if (functionLength <= 0 || argumentLength < 0 || functionLength > capacity ||
                argumentLength > capacity - functionLength)
            {
                throw new InvalidRequestException(MapperOperation.CHANNEL, "malformed lane call: slot=" + slot +
                    " functionLength=" + functionLength + " argumentLength=" + argumentLength + " capacity=" +
                    capacity, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
            }
            final byte[] name = new byte[functionLength];
            memory.getBytes(base + LaneLayout.SLOT_DATA, name);
            function = new String(name, StandardCharsets.UTF_8);
            final byte[] argument = new byte[argumentLength];
            memory.getBytes(base + LaneLayout.SLOT_DATA + functionLength, argument);
            final ExecutorFunction target = functions.get(function);
            if (target == null)
            {
                throw new InvalidRequestException(MapperOperation.CALL, "unknown executor function: function=" +
                    function, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
            }
            result = target.invoke(argument);
            if (result == null)
            {
                result = Protocol.EMPTY;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            error = ex;
        }
        final byte[] payload = error == null ? result : Protocol.encodeError(error, function);
        if (payload.length <= capacity)
        {
            memory.putBytes(base + LaneLayout.SLOT_DATA, payload);
            memory.putIntPlain(base + LaneLayout.SLOT_PAYLOAD_LENGTH, payload.length);
            publish(slot, base, error == null ? LaneLayout.RESULT : LaneLayout.ERROR);
        }
        else
        {
            socketReplies.reply(requestId, function, result, error);
            publish(slot, base, LaneLayout.DIVERTED);
        }
    }

    private void publish(final int slot, final int base, final int state)
    {
        // Release: the reply's bytes and length, written plain, are complete before the controller's acquire load of
        // the state sees RESULT or ERROR.
        memory.putIntRelease(base + LaneLayout.SLOT_STATE, state);
        if (repliedAt.getAndSet(slot, Math.max(1, System.nanoTime())) == 0)
        {
            unnoticedReplies.incrementAndGet();
        }
    }

    private static void quietly(final Runnable release, final RuntimeException failure)
    {
        try
        {
            release.run();
        }
        catch (final RuntimeException ex)
        {
            failure.addSuppressed(ex);
        }
    }
}
