package org.jitmem.runtime.slab;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Supplier;

import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;

/**
 * Who may still use one slab manager's memory. A lease is taken for every operation on the memory (allocating,
 * writing working memory, finalizing, calling, deallocating) and ended when it completes; it is a count, not a lock,
 * so it may end on another thread. Draining refuses new allocations and waits, bounded, for the leases to end;
 * revoking then refuses every lease. Each touch of working memory also passes a short access gate that revocation
 * closes, so no one writes into memory that may be unmapped, even a lease holder the drain gave up waiting for.
 */
final class LeaseGate
{
    private enum State
    {
        OPEN, DRAINING, REVOKED
    }

    private final String owner;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition leasesEnded = lock.newCondition();
    private final StampedLock access = new StampedLock();
    private final CompletableFuture<Void> lastLeaseEnded = new CompletableFuture<>();
    private volatile boolean revoked;
    private State state = State.OPEN;
    private long leases;

    /**
     * @param owner names the memory in error messages, such as {@code type=inprocess}
     */
    LeaseGate(final String owner)
    {
        this.owner = owner;
    }

    /**
     * @param operation the operation the lease is for
     * @param newWork   true for a new allocation, which a draining gate refuses
     * @return the lease
     * @throws MemoryRevokedException when the gate is revoked, or draining and the work is new
     */
    Lease acquire(final MapperOperation operation, final boolean newWork)
    {
        lock.lock();
        try
        {
            if (state == State.REVOKED || (newWork && state == State.DRAINING))
            {
                throw refused(operation, MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
            }
            leases++;
        }
        finally
        {
            lock.unlock();
        }
        return new Lease(this);
    }

    /**
     * Runs a short access to working memory unless the gate is revoked; revocation waits for it to finish.
     *
     * @param operation what the access is part of
     * @param address   the address touched
     * @param length    the bytes touched
     * @param touch     the access; it must not block
     * @param <T>       what the access returns
     * @return what the access returned
     * @throws MemoryRevokedException when the gate is revoked
     */
    <T> T access(final MapperOperation operation, final long address, final long length, final Supplier<T> touch)
    {
        final long stamp = access.readLock();
        try
        {
            if (revoked)
            {
                throw refused(operation, address, length);
            }
            return touch.get();
        }
        finally
        {
            access.unlockRead(stamp);
        }
    }

    /**
     * Refuses new allocations, waits up to {@code timeout} for the leases to end, then revokes: every later lease and
     * access is refused. The calling thread blocks; no lock is held while it waits.
     *
     * @param timeout how long to wait for the leases
     * @return the leases still open when the wait ended; 0 when the gate drained
     */
    long drainAndRevoke(final Duration timeout)
    {
        long remaining;
        lock.lock();
        try
        {
            if (state == State.OPEN)
            {
                state = State.DRAINING;
            }
            long waitNanos = timeout.toNanos();
            while (leases > 0 && waitNanos > 0)
            {
                waitNanos = leasesEnded.awaitNanos(waitNanos);
            }
            state = State.REVOKED;
            remaining = leases;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            state = State.REVOKED;
            remaining = leases;
        }
        finally
        {
            lock.unlock();
        }
        final long stamp = access.writeLock();
        revoked = true;
        access.unlockWrite(stamp);
        if (remaining == 0)
        {
            lastLeaseEnded.complete(null);
        }
        return remaining;
    }

    /** @return completes once the gate is revoked and no lease is open */
    CompletableFuture<Void> lastLeaseEnded()
    {
        return lastLeaseEnded;
    }

    /** @return true once the gate refuses new allocations */
    boolean isDraining()
    {
        lock.lock();
        try
        {
            return state != State.OPEN;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return true once the gate is revoked */
    boolean isRevoked()
    {
        return revoked;
    }

    /** @return leases open now */
    long openLeases()
    {
        lock.lock();
        try
        {
            return leases;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @param operation the operation refused
     * @param address   the address concerned, or {@link MemoryMapperException#UNKNOWN}
     * @param length    the length concerned, or {@link MemoryMapperException#UNKNOWN}
     * @return the error for an operation on memory that is being or has been revoked
     */
    MemoryRevokedException refused(final MapperOperation operation, final long address, final long length)
    {
        return new MemoryRevokedException(operation, (revoked || stateIsRevoked() ? "memory revoked, its backend " +
            "went away: " : "backend is draining, it takes no new allocations: ") + owner, address, length);
    }

    private boolean stateIsRevoked()
    {
        lock.lock();
        try
        {
            return state == State.REVOKED;
        }
        finally
        {
            lock.unlock();
        }
    }

    private void end()
    {
        final boolean last;
        lock.lock();
        try
        {
            leases--;
            last = leases == 0 && state == State.REVOKED;
            if (leases == 0)
            {
                leasesEnded.signalAll();
            }
        }
        finally
        {
            lock.unlock();
        }
        if (last)
        {
            lastLeaseEnded.complete(null);
        }
    }

    /** One open lease; ends once, on any thread. */
    static final class Lease implements AutoCloseable
    {
        private final LeaseGate gate;
        private boolean ended;

        private Lease(final LeaseGate gate)
        {
            this.gate = gate;
        }

        /** @return true until the lease ends */
        synchronized boolean isOpen()
        {
            return !ended;
        }

        /** Ends the lease; later calls do nothing. */
        @Override
        public void close()
        {
            synchronized (this)
            {
                if (ended)
                {
                    return;
                }
                ended = true;
            }
            gate.end();
        }
    }
}
