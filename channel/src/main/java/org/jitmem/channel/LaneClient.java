package org.jitmem.channel;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;

import org.jitmem.api.ExecutorUnavailableException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.Posix;

/**
 * The controller's end of a lane ({@link LaneLayout}): it posts short calls into free slots and takes their replies.
 * The thread that waits for a reply takes it itself when it arrives while it spins; replies nobody waits for are
 * taken by the collector thread, which the executor wakes only for replies left untaken for
 * {@link LaneLayout#REPLY_NOTICE_NANOS}. Calls that do not fit a slot, or find none free, use the socket.
 */
final class LaneClient
{
    /** Where taken replies go: the channel's pending calls. */
    interface Replies
    {
        /**
         * @param requestId the call's request id
         * @param result    the result, or null when {@code error} is set
         * @param error     the failure, or null
         * @param waiter    true when taken by the thread waiting for it, which may then complete it itself
         */
        void complete(long requestId, byte[] result, Throwable error, boolean waiter);
    }

    private final LaneMemory memory;
    private final int slotCount;
    private final int slotSize;
    private final ArrayBlockingQueue<Integer> free;
    private final Replies replies;
    private final Thread collector;
    private volatile boolean closing;

    private LaneClient(final LaneMemory memory, final int slotCount, final int slotSize, final Replies replies,
        final long executorPid)
    {
        this.memory = memory;
        this.slotCount = slotCount;
        this.slotSize = slotSize;
        this.replies = replies;
        this.free = new ArrayBlockingQueue<>(slotCount);
        for (int slot = 0; slot < slotCount; slot++)
        {
            free.add(slot);
        }
        this.collector = new Thread(this::collect, "jitmem-channel-lane-" + executorPid);
        collector.setDaemon(true);
        collector.start();
    }

    /**
     * Maps the lane an executor created, through {@code /proc/<pid>/fd/<fd>}, and checks its header.
     *
     * @param executorPid the executor's process id
     * @param descriptor  the lane's descriptor in the executor
     * @param length      the lane's length
     * @param slotCount   the slots asked for
     * @param slotSize    the slot size asked for
     * @param replies     where taken replies go
     * @return the lane, collecting
     * @throws MemoryMapperException when it cannot be opened or mapped, or its header is not what was asked for
     */
    static LaneClient map(final long executorPid, final int descriptor, final long length, final int slotCount,
        final int slotSize, final Replies replies)
    {
        if (length != LaneLayout.size(slotCount, slotSize))
        {
            throw unavailable("lane size differs from the one asked for: length=" + length + " slotCount=" +
                slotCount + " slotSize=" + slotSize);
        }
        final int fd = Posix.open(MapperOperation.CHANNEL, "/proc/" + executorPid + "/fd/" + descriptor,
            OsConstants.O_RDWR | OsConstants.O_CLOEXEC, 0);
        final long address;
        try
        {
            address = Posix.mmap(MapperOperation.CHANNEL, 0, length, MemoryProtection.READ_WRITE,
                OsConstants.MAP_SHARED, fd, 0);
        }
        finally
        {
            Posix.close(MapperOperation.CHANNEL, fd);
        }
        final LaneMemory memory = new LaneMemory(address, length);
        // Acquire: pairs with the executor's release of the magic, after which the plain header fields are complete.
        if (memory.getIntAcquire(LaneLayout.MAGIC_OFFSET) != LaneLayout.MAGIC ||
            memory.getIntPlain(LaneLayout.VERSION_OFFSET) != LaneLayout.VERSION ||
            memory.getIntPlain(LaneLayout.SLOT_COUNT_OFFSET) != slotCount ||
            memory.getIntPlain(LaneLayout.SLOT_SIZE_OFFSET) != slotSize)
        {
            memory.close();
            throw unavailable("not a lane of the expected layout: pid=" + executorPid + " fd=" + descriptor);
        }
        return new LaneClient(memory, slotCount, slotSize, replies, executorPid);
    }

    /**
     * Takes a free slot for a call whose function name and argument take {@code bytes} together.
     *
     * @return the slot, or -1 when the call does not fit a slot, none is free or the lane is closed
     */
    int claim(final int bytes)
    {
        if (bytes > slotSize - LaneLayout.SLOT_DATA || closing)
        {
            return -1;
        }
        final Integer slot = free.poll();
        return slot == null ? -1 : slot;
    }

    /**
     * Posts a call into a slot from {@link #claim}, waking the executor when it sleeps.
     *
     * @return false when the lane was closed meanwhile: the slot is given up and the call was not posted
     */
    boolean post(final int slot, final long requestId, final byte[] function, final byte[] argument)
    {
        if (!memory.enter())
        {
            return false;
        }
        try
        {
            final int base = LaneLayout.slotOffset(slot, slotSize);
            memory.putLongPlain(base + LaneLayout.SLOT_REQUEST_ID, requestId);
            memory.putIntPlain(base + LaneLayout.SLOT_FUNCTION_LENGTH, function.length);
            memory.putIntPlain(base + LaneLayout.SLOT_PAYLOAD_LENGTH, argument.length);
            memory.putBytes(base + LaneLayout.SLOT_DATA, function);
            memory.putBytes(base + LaneLayout.SLOT_DATA + function.length, argument);
            // Volatile, not only release (which would publish the plain call above): the flag load below must not
            // pass it (Dekker with the executor's volatile flag store, then state load, in nextCall): either the
            // executor sees the CALL or this sees that it sleeps.
            memory.putIntVolatile(base + LaneLayout.SLOT_STATE, LaneLayout.CALL);
            if (memory.getIntVolatile(LaneLayout.EXECUTOR_SLEEPS_OFFSET) != 0)
            {
                // Changes the futex word: an executor that read the old sequence returns from its wait at once.
                memory.getAndAddInt(LaneLayout.REQUEST_SEQUENCE_OFFSET, 1);
                memory.wake(LaneLayout.REQUEST_SEQUENCE_OFFSET);
            }
            return true;
        }
        finally
        {
            memory.leave();
        }
    }

    /**
     * Looks for the reply in {@code slot} until {@code waiting} is done, taking it when it comes, for at most
     * {@code nanos}.
     *
     * @return nanoseconds spent
     */
    long help(final int slot, final CompletableFuture<?> waiting, final long nanos)
    {
        final long start = System.nanoTime();
        if (!memory.enter())
        {
            return 0;
        }
        try
        {
            long spent = 0;
            while (!waiting.isDone() && spent < nanos && !take(slot, true))
            {
                LaneLayout.pause(spent);
                spent = System.nanoTime() - start;
            }
            return System.nanoTime() - start;
        }
        finally
        {
            memory.leave();
        }
    }

    /** Stops collecting and unmaps once no thread looks at the lane any more. Idempotent. */
    void close()
    {
        closing = true;
        memory.wakeAndClose(LaneLayout.REPLY_SEQUENCE_OFFSET);
    }

    /** @return slots free to claim now; a slot whose reply came by socket is free once the collector saw it */
    int freeSlots()
    {
        return free.size();
    }

    /** @return the collector thread */
    Thread collector()
    {
        return collector;
    }

    /**
     * Takes the reply in {@code slot} if there is one, frees the slot and completes the call; the memory must have
     * been entered.
     *
     * @return true when a reply was taken
     */
    private boolean take(final int slot, final boolean waiter)
    {
        final int base = LaneLayout.slotOffset(slot, slotSize);
        // Acquire: pairs with the executor's release of the reply state, after which its plain bytes are complete;
        // the collector's wake-up rests on the reply sequence, not on this load.
        final int state = memory.getIntAcquire(base + LaneLayout.SLOT_STATE);
        if ((state != LaneLayout.RESULT && state != LaneLayout.ERROR && state != LaneLayout.DIVERTED) ||
            !memory.compareAndSetInt(base + LaneLayout.SLOT_STATE, state, LaneLayout.TAKEN))
        {
            return false;
        }
        final long requestId = memory.getLongPlain(base + LaneLayout.SLOT_REQUEST_ID);
        byte[] payload = null;
        RuntimeException malformed = null;
        if (state != LaneLayout.DIVERTED)
        {
            final int length = memory.getIntPlain(base + LaneLayout.SLOT_PAYLOAD_LENGTH);
            if (length < 0 || length > slotSize - LaneLayout.SLOT_DATA)
            {
                malformed = unavailable("malformed lane reply: slot=" + slot + " length=" + length);
            }
            else
            {
                payload = new byte[length];
                memory.getBytes(base + LaneLayout.SLOT_DATA, payload);
            }
        }
        // Release: the reply is read before the slot can be claimed again and rewritten.
        memory.putIntRelease(base + LaneLayout.SLOT_STATE, LaneLayout.FREE);
        free.add(slot);
        if (malformed != null)
        {
            replies.complete(requestId, null, malformed, waiter);
        }
        else if (state == LaneLayout.RESULT)
        {
            replies.complete(requestId, payload, null, waiter);
        }
        else if (state == LaneLayout.ERROR)
        {
            replies.complete(requestId, null, decodeError(payload), waiter);
        }
        return true;
    }

    private void collect()
    {
        if (!memory.enter())
        {
            return;
        }
        try
        {
            while (!closing)
            {
                // Acquire: read before the flag and the slots; the executor bumps it after publishing a reply it
                // wants noticed, so the futex below returns at once for any reply this scan missed.
                final int sequence = memory.getIntAcquire(LaneLayout.REPLY_SEQUENCE_OFFSET);
                // Volatile: out before the futex wait, so the executor's volatile load after its bump sees it.
                memory.putIntVolatile(LaneLayout.COLLECTOR_SLEEPS_OFFSET, 1);
                boolean took = false;
                for (int slot = 0; slot < slotCount; slot++)
                {
                    took |= take(slot, false);
                }
                if (!took && !closing)
                {
                    memory.waitWhile(LaneLayout.REPLY_SEQUENCE_OFFSET, sequence, LaneLayout.SLEEP_NANOS);
                }
                // Release: a 0 seen late costs the executor a needless wake-up, never a lost reply.
                memory.putIntRelease(LaneLayout.COLLECTOR_SLEEPS_OFFSET, 0);
            }
        }
        catch (final RuntimeException ex)
        {
            System.getLogger(LaneClient.class.getName()).log(System.Logger.Level.ERROR, "lane collector failed", ex);
        }
        finally
        {
            memory.leave();
        }
    }

    private static Throwable decodeError(final byte[] payload)
    {
        try
        {
            return Protocol.decodeError(payload);
        }
        catch (final RuntimeException ex)
        {
            return ex;
        }
    }

    private static ExecutorUnavailableException unavailable(final String reason)
    {
        return new ExecutorUnavailableException(MapperOperation.CHANNEL, reason, MemoryMapperException.UNKNOWN,
            MemoryMapperException.UNKNOWN, null);
    }
}
