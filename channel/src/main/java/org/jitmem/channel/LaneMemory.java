package org.jitmem.channel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import com.sun.jna.Pointer;

import org.jitmem.api.MapperOperation;
import org.jitmem.posix.Posix;

/**
 * One process's mapping of a lane ({@link LaneLayout}): access to its words and bytes, each method naming its memory
 * ordering as Agrona's do, futex waits and wake-ups on its words, and the one release path of the mapping. Threads
 * {@link #enter} before they touch the memory and {@link #leave} after; {@link #close} refuses new entries and the
 * last thread to leave unmaps, so no thread ever touches unmapped memory.
 */
final class LaneMemory
{
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final int CLOSED = 1 << 30;
    private static final int UNMAPPED = -1;

    private final long address;
    private final long length;
    private final ByteBuffer buffer;
    /** Threads inside, plus {@link #CLOSED} once closed. */
    private final AtomicInteger users = new AtomicInteger();

    /**
     * @param address where the lane is mapped
     * @param length  its length, at most {@link Integer#MAX_VALUE}
     */
    LaneMemory(final long address, final long length)
    {
        this.address = address;
        this.length = length;
        this.buffer = new Pointer(address).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    long length()
    {
        return length;
    }

    /** @return true when the caller may touch the memory until it calls {@link #leave}; false once closed */
    boolean enter()
    {
        while (true)
        {
            final int current = users.get();
            if ((current & CLOSED) != 0)
            {
                return false;
            }
            if (users.compareAndSet(current, current + 1))
            {
                return true;
            }
        }
    }

    /** Ends an {@link #enter}; unmaps when the lane is closed and this was the last thread inside. */
    void leave()
    {
        if (users.decrementAndGet() == CLOSED)
        {
            unmap();
        }
    }

    /** Refuses new entries; unmaps now when nobody is inside, else when the last one leaves. Idempotent. */
    void close()
    {
        while (true)
        {
            final int current = users.get();
            if ((current & CLOSED) != 0)
            {
                return;
            }
            if (users.compareAndSet(current, current | CLOSED))
            {
                if (current == 0)
                {
                    unmap();
                }
                return;
            }
        }
    }

    /**
     * Bumps the word at {@code offset} and wakes whoever sleeps on it, so that it sees the end, then {@link #close}s.
     */
    void wakeAndClose(final int offset)
    {
        if (enter())
        {
            try
            {
                // Bump before waking: a sleeper that read the word before closing was set, and has not reached its
                // futex wait yet, then finds the word changed and returns at once instead of sleeping its bound.
                getAndAddInt(offset, 1);
                wake(offset);
            }
            finally
            {
                leave();
            }
        }
        close();
    }

    /** Waits until the threads inside have left after {@link #close}. */
    void awaitUnmapped()
    {
        while (users.get() != UNMAPPED)
        {
            LockSupport.parkNanos(100_000);
        }
    }

    /** @return the int at {@code offset}, a volatile (sequentially consistent) load */
    int getIntVolatile(final int offset)
    {
        return (int)INT.getVolatile(buffer, offset);
    }

    /** @return the int at {@code offset}; later loads and stores of this thread stay after it */
    int getIntAcquire(final int offset)
    {
        return (int)INT.getAcquire(buffer, offset);
    }

    /** @return the int at {@code offset}, a plain load ordered only by the handshake around it */
    int getIntPlain(final int offset)
    {
        return buffer.getInt(offset);
    }

    /** Stores the int at {@code offset}, a volatile (sequentially consistent) store. */
    void putIntVolatile(final int offset, final int value)
    {
        INT.setVolatile(buffer, offset, value);
    }

    /** Stores the int at {@code offset} after every earlier load and store of this thread. */
    void putIntRelease(final int offset, final int value)
    {
        INT.setRelease(buffer, offset, value);
    }

    /** Stores the int at {@code offset}, a plain store published by a later release. */
    void putIntPlain(final int offset, final int value)
    {
        buffer.putInt(offset, value);
    }

    /** @return true when the int at {@code offset} held {@code expected} and now holds {@code value} (volatile) */
    boolean compareAndSetInt(final int offset, final int expected, final int value)
    {
        return INT.compareAndSet(buffer, offset, expected, value);
    }

    /** @return the int at {@code offset} before adding {@code delta} to it (volatile) */
    int getAndAddInt(final int offset, final int delta)
    {
        return (int)INT.getAndAdd(buffer, offset, delta);
    }

    /** @return the long at {@code offset}, a plain load ordered only by the handshake around it */
    long getLongPlain(final int offset)
    {
        return buffer.getLong(offset);
    }

    /** Stores the long at {@code offset}, a plain store published by a later release. */
    void putLongPlain(final int offset, final long value)
    {
        buffer.putLong(offset, value);
    }

    /** Copies bytes out from {@code offset}, plain loads ordered only by the handshake around them. */
    void getBytes(final int offset, final byte[] target)
    {
        buffer.get(offset, target);
    }

    /** Copies bytes in at {@code offset}, plain stores published by a later release. */
    void putBytes(final int offset, final byte[] source)
    {
        buffer.put(offset, source);
    }

    /** Sleeps while the word at {@code offset} holds {@code expected}, at most {@code nanos}. */
    void waitWhile(final int offset, final int expected, final long nanos)
    {
        Posix.futexWait(address + offset, expected, nanos);
    }

    /** Wakes every thread sleeping on the word at {@code offset}, in either process. */
    void wake(final int offset)
    {
        Posix.futexWake(address + offset, Integer.MAX_VALUE);
    }

    private void unmap()
    {
        users.set(UNMAPPED);
        try
        {
            Posix.munmap(MapperOperation.CHANNEL, address, length);
        }
        catch (final RuntimeException ex)
        {
            System.getLogger(LaneMemory.class.getName()).log(System.Logger.Level.ERROR,
                "cannot unmap lane: address=" + address + " length=" + length, ex);
        }
    }
}
