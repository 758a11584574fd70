package org.jitmem.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionFailedException;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ErrorJoiner;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.posix.InstructionCache;
import org.jitmem.posix.OsConstants;
import org.jitmem.posix.PageSize;
import org.jitmem.posix.Posix;

/**
 * Memory of the current process as an executor sees it: reservations, initialized allocations, their protections
 * and actions. Shared by the in-process backend (where working memory is this memory) and the executor side of the
 * shared-memory backend (which maps memory itself and {@linkplain #adopt adopts} it). Thread-safe: operations that
 * change the bookkeeping take a write lock and lookups a read lock; {@link #call} runs the code without the lock
 * and counts itself on its allocation, which cannot be deinitialized or released while code runs in it. Finalize and
 * dealloc actions run under the write lock. Lookups are O(log n): reservations, allocations and initialized segments
 * live in sorted maps (user-space addresses are positive as signed longs on every supported platform). An allocation
 * is validated by {@link AllocationCheck}, which makes no system call, before anything of it is applied here. Every
 * method throws the API exceptions.
 */
public final class ExecutorMemory
{
    /** Above this no process has address space; larger requests are refused before mmap is asked. */
    public static final long ADDRESS_SPACE_LIMIT = 1L << 48;

    /**
     * Writable reservations of their own up to this size are faulted in (and counted as committed) by the mmap that
     * reserves them rather than by the first prepare: one system call fewer per cycle for memory that is reserved to
     * be written.
     */
    public static final long POPULATE_ON_RESERVE_LIMIT = 64 * 1024;

    private static final long UNKNOWN = MemoryMapperException.UNKNOWN;
    private static final System.Logger LOG = System.getLogger(ExecutorMemory.class.getName());
    private static final Comparator<Allocation> LAST_IN_FIRST_OUT =
        Comparator.comparingLong(Allocation::sequence).reversed();

    private final Policy policy;
    private final MemoryLimits limits;
    private final long pageSize = PageSize.get();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<Long, Reservation> reservations = new TreeMap<>();
    private final TreeMap<Long, Allocation> allocations = new TreeMap<>();
    private final TreeMap<Long, PlannedSegment> segments = new TreeMap<>();
    private final Set<Long> releaseWhenIdle = new HashSet<>();
    private final AllocationCheck.Bookkeeping bookkeeping = new Bookkeeping();
    private long reservedBytes;
    private long initializations;
    private volatile boolean closed;

    /**
     * How memory is treated.
     *
     * @param freeProtection protection of reserved memory that is not initialized: what {@link #reserve} maps and
     *                       what deinitialize resets a range to; READ_WRITE where working memory is this memory, NONE
     *                       where the controller writes through a mapping of its own
     */
    public record Policy(MemoryProtection freeProtection)
    {
        /**
         * @param freeProtection protection of memory that is not initialized
         */
        public Policy
        {
            Objects.requireNonNull(freeProtection, "freeProtection");
            if (freeProtection.executable())
            {
                throw new IllegalArgumentException("free memory must not be executable: freeProtection=" +
                    freeProtection);
            }
        }

        /** The policy of an executor whose working memory is its own memory. */
        public static final Policy IN_PROCESS = new Policy(MemoryProtection.READ_WRITE);

        /** The policy of an executor whose memory the controller writes through its own mapping. */
        public static final Policy SHARED_MEMORY = new Policy(MemoryProtection.NONE);
    }

    /** Gives an adopted reservation back to its owner: unmaps it and closes whatever backs it. */
    @FunctionalInterface
    public interface ReleaseHook
    {
        /**
         * @param range the reservation being released; no longer known to the executor memory
         * @throws MemoryMapperException when the range could not be released
         */
        void release(ExecutorAddressRange range);
    }

    /** Maps the memory of a reservation for {@link #reserve(long, MemorySource)}. */
    @FunctionalInterface
    public interface MemorySource
    {
        /**
         * @param size page-aligned bytes, already counted against the reserved limit
         * @return the mapped range, page-aligned and overlapping no reservation, and how to give it back
         * @throws MemoryMapperException when it cannot be mapped; nothing is left behind then
         */
        Mapped map(long size);
    }

    /**
     * A range mapped by a {@link MemorySource}.
     *
     * @param range the mapped range
     * @param hook  how it is given back
     */
    public record Mapped(ExecutorAddressRange range, ReleaseHook hook)
    {
    }

    /**
     * @param policy how memory is treated; the limits are {@link MemoryLimits#machineDefaults()}
     */
    public ExecutorMemory(final Policy policy)
    {
        this(policy, MemoryLimits.machineDefaults());
    }

    /**
     * @param policy how memory is treated
     * @param limits the limits on reserved and committed bytes, checked before any system call
     */
    public ExecutorMemory(final Policy policy, final MemoryLimits limits)
    {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** @return the policy */
    public Policy policy()
    {
        return policy;
    }

    /** @return the page size, from sysconf */
    public long pageSize()
    {
        return pageSize;
    }

    /** @return the limits on reserved and committed bytes, and what is held under them */
    public MemoryLimits limits()
    {
        return limits;
    }

    /**
     * Maps anonymous memory with the policy's free protection: address space only (MAP_NORESERVE), committed as
     * {@link #workingMemory} prepares it and {@link #initialize} fills it. Where free memory is writable (Linux), a
     * reservation of at most {@link #POPULATE_ON_RESERVE_LIMIT} is committed by the same mmap instead, when the
     * committed limit has room for it. The limits are checked before the mmap. A failed reserve leaves nothing behind.
     *
     * @param numBytes bytes wanted, rounded up to whole pages
     * @return the reservation
     */
    public ExecutorAddressRange reserve(final long numBytes)
    {
        final long size = checkReservationSize(numBytes);
        // Populating is only a head start: where the committed limit has no room for it, prepare commits later.
        if (!OsConstants.LINUX || !policy.freeProtection().writable() || size > POPULATE_ON_RESERVE_LIMIT ||
            !limits.tryCommit(size))
        {
            return reserve(size, anonymous(false), false);
        }
        try
        {
            return reserve(size, anonymous(true), true);
        }
        catch (final RuntimeException ex)
        {
            limits.uncommit(size);
            throw ex;
        }
    }

    /**
     * Reserves memory that {@code source} maps, once the size has passed the reserved limit; the memory is committed
     * as {@link #initialize} fills it. A failed reserve leaves nothing behind.
     *
     * @param numBytes bytes wanted, rounded up to whole pages
     * @param source   maps the rounded size
     * @return the reservation
     */
    public ExecutorAddressRange reserve(final long numBytes, final MemorySource source)
    {
        return reserve(numBytes, source, false);
    }

    /** {@code populated}: the source commits the whole range, which the caller has counted as committed. */
    private ExecutorAddressRange reserve(final long numBytes, final MemorySource source, final boolean populated)
    {
        final long size = checkReservationSize(numBytes);
        limits.reserve(MapperOperation.RESERVE, size);
        final Mapped mapped;
        try
        {
            mapped = source.map(size);
        }
        catch (final RuntimeException ex)
        {
            limits.unreserve(size);
            throw ex;
        }
        try
        {
            return adopt(mapped.range(), mapped.hook(), false, populated);
        }
        catch (final RuntimeException ex)
        {
            limits.unreserve(size);
            try
            {
                mapped.hook().release(mapped.range());
            }
            catch (final RuntimeException releaseFailure)
            {
                ex.addSuppressed(releaseFailure);
            }
            throw ex;
        }
    }

    private MemorySource anonymous(final boolean populate)
    {
        return size ->
        {
            final long start = Posix.mmapAnonymous(MapperOperation.RESERVE, size, policy.freeProtection(), populate);
            return new Mapped(ExecutorAddressRange.of(start, size),
                released -> Posix.munmap(MapperOperation.RELEASE, start, size));
        };
    }

    /**
     * Takes over a page-aligned range that the caller has mapped, counting it against the reserved limit. When the
     * range is refused the caller still owns it.
     *
     * @param range the mapped range, page-aligned, overlapping no reservation
     * @param hook  run once by {@link #release}, after everything in the range is deinitialized
     * @return the range
     */
    public ExecutorAddressRange adopt(final ExecutorAddressRange range, final ReleaseHook hook)
    {
        return adopt(range, hook, true, false);
    }

    private ExecutorAddressRange adopt(final ExecutorAddressRange range, final ReleaseHook hook, final boolean count,
        final boolean populated)
    {
        Objects.requireNonNull(hook, "hook");
        final long start = range.start().value();
        final long size = range.size();
        if (size <= 0 || !PageSize.isAligned(start) || !PageSize.isAligned(size))
        {
            throw new InvalidRequestException(MapperOperation.RESERVE,
                "an adopted range must be non-empty and page-aligned: pageSize=" + pageSize, start, size);
        }
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            checkOpen(MapperOperation.RESERVE);
            final Map.Entry<Long, Reservation> below = reservations.floorEntry(start + size - 1);
            if (below != null && below.getValue().end() > start)
            {
                throw new InvalidRequestException(MapperOperation.RESERVE,
                    "range overlaps the reservation at " + ExecutorAddress.hex(below.getKey()), start, size);
            }
            if (count)
            {
                limits.reserve(MapperOperation.RESERVE, size);
            }
            final CommittedPages committed = new CommittedPages(start, size, pageSize, limits);
            if (populated)
            {
                committed.markAll();
            }
            reservations.put(start, new Reservation(start, size, hook, committed));
            reservedBytes += size;
            return range;
        }
        finally
        {
            write.unlock();
        }
    }

    /**
     * {@link #initialize(AllocInfo, boolean)} with W^X enforced.
     *
     * @param info segments and actions
     * @return the allocation key
     */
    public ExecutorAddress initialize(final AllocInfo info)
    {
        return initialize(info, false);
    }

    /**
     * Zero-fills each segment's tail, applies its protection, flushes the instruction cache for executable
     * segments and runs the finalize actions in order. When action k fails the dealloc actions of 0..k-1 run in
     * reverse, protections are reset and nothing is recorded. An action's function must lie in an initialized
     * executable segment (this allocation's included) when it lies inside a reservation at all; functions outside
     * every reservation, such as library functions, are taken as they are; a dealloc action's function must not lie in
     * a {@link MemoryLifetime#FINALIZE} segment. Once the finalize actions have run, the finalize-lifetime segments
     * are given back: their protection is reset to the free protection and they are not recorded as live.
     * <p>
     * This is where the W^X policy is checked, for every backend: a segment that is both writable and executable is
     * refused unless the controller's configuration allows it, which the controller states with each request.
     *
     * @param info              segments and actions; every segment inside the reservation that holds the mapping base
     * @param allowWriteExecute whether the controller is configured to accept writable and executable segments
     * @return the allocation key: the lowest segment address
     */
    public ExecutorAddress initialize(final AllocInfo info, final boolean allowWriteExecute)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            checkOpen(MapperOperation.INITIALIZE);
            final List<PlannedSegment> planned = AllocationCheck.plan(info, allowWriteExecute, pageSize, bookkeeping);
            final long key = info.key().value();
            applyProtections(planned, reservationAt(info.mappingBase().value()));
            runFinalizeActions(info.actions(), planned);
            final List<PlannedSegment> standard = giveBackFinalizeSegments(info.actions(), planned);
            final Allocation allocation = new Allocation(key, initializations++, standard, info.actions(),
                new AtomicInteger());
            allocations.put(key, allocation);
            for (final PlannedSegment segment : standard)
            {
                if (segment.size > 0)
                {
                    segments.put(segment.start, segment);
                }
            }
            return ExecutorAddress.of(key);
        }
        finally
        {
            write.unlock();
        }
    }

    /**
     * Deinitializes the keys in the reverse of the order given, as LLVM does: each allocation's dealloc actions run
     * in reverse order, its protections are reset and it is forgotten. Every key is processed; failures are joined,
     * one per failed key, each with the key as its {@link MemoryMapperException#address() address} (the failed
     * action or protection change is its cause).
     *
     * @param keys allocation keys returned by {@link #initialize}
     */
    public void deinitialize(final List<ExecutorAddress> keys)
    {
        final ErrorJoiner errors = new ErrorJoiner();
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            checkOpen(MapperOperation.DEINITIALIZE);
            for (int i = keys.size() - 1; i >= 0; i--)
            {
                final ExecutorAddress key = keys.get(i);
                try
                {
                    final Allocation allocation = allocations.get(key.value());
                    if (allocation == null)
                    {
                        throw new InvalidRequestException(MapperOperation.DEINITIALIZE,
                            "no allocation is initialized at this key", key.value(), UNKNOWN);
                    }
                    deinitialize(allocation, MapperOperation.DEINITIALIZE);
                }
                catch (final RuntimeException ex)
                {
                    errors.add(ex);
                }
            }
        }
        finally
        {
            write.unlock();
        }
        errors.throwIfAny();
    }

    /**
     * Deinitializes whatever is still initialized in each reservation, last-in first-out (the allocation initialized
     * last goes first; actions run while the memory is still mapped), then unmaps it or runs its release hook. Every
     * reservation is processed; failures are joined.
     *
     * @param starts start addresses of reservations
     */
    public void release(final List<ExecutorAddress> starts)
    {
        final ErrorJoiner errors = new ErrorJoiner();
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            checkOpen(MapperOperation.RELEASE);
            for (final ExecutorAddress start : starts)
            {
                try
                {
                    release(start.value());
                }
                catch (final RuntimeException ex)
                {
                    errors.add(ex);
                }
            }
        }
        finally
        {
            write.unlock();
        }
        errors.throwIfAny();
    }

    /**
     * Calls {@code int64_t fn(const void *arg, size_t len)} with the argument block copied to native memory.
     *
     * @param call a function inside an initialized executable segment, and its argument block
     * @return what the function returned
     */
    public long call(final ActionCall call)
    {
        if (call.isNone())
        {
            throw new InvalidRequestException(MapperOperation.CALL, "no function to call", UNKNOWN, UNKNOWN);
        }
        final long function = call.function().value();
        final Allocation allocation;
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            checkOpen(MapperOperation.CALL);
            final PlannedSegment segment = liveSegmentAt(function);
            if (segment == null || !segment.protection.executable())
            {
                throw new InvalidRequestException(MapperOperation.CALL,
                    "function is not inside an initialized executable segment", function, UNKNOWN);
            }
            allocation = allocations.get(segment.allocationKey);
            allocation.runningCalls.incrementAndGet();
        }
        finally
        {
            read.unlock();
        }
        // The code runs without the lock, so it may itself load more code (a lazy JIT calling back) and other threads
        // may initialize meanwhile; the running count keeps its allocation from being deinitialized under it.
        try
        {
            return invoke(function, call.argument());
        }
        finally
        {
            if (allocation.runningCalls.decrementAndGet() == 0 && closed)
            {
                releaseIfIdle(allocation.key);
            }
        }
    }

    /**
     * Releases every reservation and refuses every later operation with {@link MemoryRevokedException}. A
     * reservation in which JIT'd code is running is released by the last of those calls when it returns, so closing
     * never waits for code and never unmaps it under a caller. Idempotent; failures are joined.
     */
    public void close()
    {
        final ErrorJoiner errors = new ErrorJoiner();
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            closed = true;
            for (final Reservation reservation : new ArrayList<>(reservations.values()))
            {
                if (isRunningCode(reservation))
                {
                    releaseWhenIdle.add(reservation.start);
                    continue;
                }
                try
                {
                    release(reservation.start);
                }
                catch (final RuntimeException ex)
                {
                    errors.add(ex);
                }
            }
        }
        finally
        {
            write.unlock();
        }
        errors.throwIfAny();
    }

    private void releaseIfIdle(final long allocationKey)
    {
        final Lock write = lock.writeLock();
        write.lock();
        try
        {
            final Reservation reservation = reservationAt(allocationKey);
            if (reservation != null && releaseWhenIdle.contains(reservation.start) && !isRunningCode(reservation))
            {
                releaseWhenIdle.remove(reservation.start);
                release(reservation.start);
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "release after the last call failed: " + ex.getMessage(), ex);
        }
        finally
        {
            write.unlock();
        }
    }

    private boolean isRunningCode(final Reservation reservation)
    {
        for (final Allocation allocation : allocations.subMap(reservation.start, reservation.end()).values())
        {
            if (allocation.runningCalls.get() > 0)
            {
                return true;
            }
        }
        return false;
    }

    private void checkOpen(final MapperOperation operation)
    {
        if (closed)
        {
            throw new MemoryRevokedException(operation, "executor memory is closed", UNKNOWN, UNKNOWN);
        }
    }


    /**
     * A view of memory in this process, for writing content where working memory is executor memory.
     *
     * @param address start, inside a reservation
     * @param size    bytes, inside the same reservation and at most {@link Integer#MAX_VALUE}
     * @return a bounds-checked direct buffer in native byte order over {@code [address, address + size)}
     */
    public ByteBuffer workingMemory(final ExecutorAddress address, final long size)
    {
        final long start = address.value();
        if (size < 0 || size > Integer.MAX_VALUE)
        {
            throw new InvalidRequestException(MapperOperation.PREPARE,
                "working memory size must be between 0 and " + Integer.MAX_VALUE, start, size);
        }
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            checkOpen(MapperOperation.PREPARE);
            final Reservation reservation = reservationAt(start);
            if (reservation == null || size > reservation.end() - start)
            {
                throw new InvalidRequestException(MapperOperation.PREPARE,
                    "range is not inside one reservation", start, size);
            }
            if (policy.freeProtection().writable())
            {
                reservation.committed.commit(MapperOperation.PREPARE, start, size);
            }
            return new Pointer(start).getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        }
        finally
        {
            read.unlock();
        }
    }

    /**
     * Copies content into free memory of one reservation, for a controller that writes executor memory by sending it:
     * the copy is committed as {@link #workingMemory} commits, and refused where it would touch an initialized segment
     * or a page of one that is not writable (a write there would fault the executor).
     *
     * @param address start, inside a reservation
     * @param content the bytes, at most the rest of that reservation
     * @throws IllegalStateException where free memory is not writable under this memory's policy
     */
    public void write(final ExecutorAddress address, final byte[] content)
    {
        if (!policy.freeProtection().writable())
        {
            throw new IllegalStateException("free memory is not writable: policy=" + policy);
        }
        final long start = address.value();
        final long end = start + content.length;
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            checkOpen(MapperOperation.INITIALIZE);
            final Reservation reservation = reservationAt(start);
            if (reservation == null || content.length > reservation.end() - start)
            {
                throw new InvalidRequestException(MapperOperation.INITIALIZE,
                    "content is not inside one reservation", start, content.length);
            }
            final long pageStart = start & -pageSize;
            final long pageEnd = (end + pageSize - 1) & -pageSize;
            final Map.Entry<Long, PlannedSegment> below = segments.lowerEntry(pageStart);
            final long from = below == null ? pageStart : below.getKey();
            for (final PlannedSegment live : segments.subMap(from, pageEnd).values())
            {
                final boolean overlaps = live.size > 0 && live.start < end && start < live.start + live.size;
                if (overlaps || (live.size > 0 && live.pageStart < pageEnd && pageStart < live.pageEnd &&
                    !live.protection.writable()))
                {
                    throw new InvalidRequestException(MapperOperation.INITIALIZE, "content would touch the " +
                        "initialized segment at " + ExecutorAddress.hex(live.start) + ": protection=" +
                        live.protection, start, content.length);
                }
            }
            reservation.committed.commit(MapperOperation.INITIALIZE, start, content.length);
            new Pointer(start).write(0, content, 0, content.length);
        }
        finally
        {
            read.unlock();
        }
    }

    /**
     * @param address an address
     * @return the reservation holding it, if any
     */
    public Optional<ExecutorAddressRange> reservationContaining(final ExecutorAddress address)
    {
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            final Reservation reservation = reservationAt(address.value());
            return reservation == null ? Optional.empty() :
                Optional.of(ExecutorAddressRange.of(reservation.start, reservation.size));
        }
        finally
        {
            read.unlock();
        }
    }

    /** @return how many reservations are held */
    public int reservationCount()
    {
        return underReadLock(reservations::size);
    }

    /** @return calls of JIT'd code running now */
    public int runningCalls()
    {
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return allocations.values().stream().mapToInt(allocation -> allocation.runningCalls.get()).sum();
        }
        finally
        {
            read.unlock();
        }
    }

    /** @return how many allocations are initialized */
    public int allocationCount()
    {
        return underReadLock(allocations::size);
    }

    /** @return the reserved and committed bytes and their limits */
    public MemoryUsage usage()
    {
        return limits.usage();
    }

    /** @return bytes of address space held by reservations */
    public long reservedBytes()
    {
        return underReadLock(() -> reservedBytes);
    }

    private <T> T underReadLock(final java.util.function.Supplier<T> value)
    {
        final Lock read = lock.readLock();
        read.lock();
        try
        {
            return value.get();
        }
        finally
        {
            read.unlock();
        }
    }

    /**
     * @param numBytes bytes wanted
     * @return {@code numBytes} rounded up to whole pages
     * @throws InvalidRequestException when {@code numBytes} is not positive or exceeds {@link #ADDRESS_SPACE_LIMIT}
     */
    public static long checkReservationSize(final long numBytes)
    {
        if (numBytes <= 0)
        {
            throw new InvalidRequestException(MapperOperation.RESERVE, "size must be more than zero", UNKNOWN,
                numBytes);
        }
        final long size = PageSize.roundUp(numBytes);
        if (size < 0 || size > ADDRESS_SPACE_LIMIT)
        {
            throw new InvalidRequestException(MapperOperation.RESERVE,
                "size exceeds the address space: limit=" + ADDRESS_SPACE_LIMIT, UNKNOWN, numBytes);
        }
        return size;
    }

    /**
     * Resets the protection of the finalize-lifetime segments once the finalize actions have run; when that fails the
     * allocation is undone as a failed finalize action would undo it.
     *
     * @return the segments that stay live
     */
    private List<PlannedSegment> giveBackFinalizeSegments(final List<ActionPair> actions, final List<PlannedSegment> planned)
    {
        final List<PlannedSegment> standard = new ArrayList<>(planned.size());
        final List<PlannedSegment> finalizeOnly = new ArrayList<>(0);
        for (final PlannedSegment segment : planned)
        {
            (segment.lifetime == MemoryLifetime.FINALIZE ? finalizeOnly : standard).add(segment);
        }
        if (!finalizeOnly.isEmpty())
        {
            final List<RuntimeException> failures = resetProtections(finalizeOnly, MapperOperation.INITIALIZE);
            if (!failures.isEmpty())
            {
                final RuntimeException failure = failures.get(0);
                failures.subList(1, failures.size()).forEach(failure::addSuppressed);
                runDeallocActions(actions, MapperOperation.INITIALIZE).forEach(failure::addSuppressed);
                resetProtections(standard, MapperOperation.INITIALIZE).forEach(failure::addSuppressed);
                throw failure;
            }
        }
        return standard;
    }

    /**
     * Commits each segment where free memory is writable (its content was committed by prepare, its tail is not),
     * and only the zero-filled tail where the controller commits the content through a mapping of its own.
     */
    private void applyProtections(final List<PlannedSegment> planned, final Reservation reservation)
    {
        try
        {
            for (final PlannedSegment segment : planned)
            {
                if (policy.freeProtection().writable())
                {
                    reservation.committed.commit(MapperOperation.INITIALIZE, segment.start, segment.size);
                }
                if (segment.zeroFillSize > 0)
                {
                    if (!policy.freeProtection().writable())
                    {
                        protect(segment, MemoryProtection.READ_WRITE, MapperOperation.INITIALIZE);
                        reservation.committed.commit(MapperOperation.INITIALIZE, segment.start + segment.contentSize,
                            segment.zeroFillSize);
                    }
                    new Pointer(segment.start + segment.contentSize).setMemory(0, segment.zeroFillSize, (byte)0);
                }
            }
            for (final PlannedSegment segment : planned)
            {
                segment.alreadyProtected = isAlreadyProtected(segment, planned);
                if (!segment.alreadyProtected)
                {
                    protect(segment, segment.protection, MapperOperation.INITIALIZE);
                }
                if (segment.protection.executable())
                {
                    InstructionCache.flush(segment.start, segment.size);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            resetProtections(planned, MapperOperation.INITIALIZE).forEach(ex::addSuppressed);
            throw ex;
        }
    }

    /**
     * A segment whose protection is the free protection, whose pages it shares with no other live or planned segment
     * and which needed no write access for zero fill already has its protection: mprotect would change nothing the
     * process can see, yet it costs a page-table walk proportional to the pages touched and can split the mapping.
     */
    private boolean isAlreadyProtected(final PlannedSegment segment, final List<PlannedSegment> planned)
    {
        if (!segment.protection.equals(policy.freeProtection()) ||
            (segment.zeroFillSize > 0 && !policy.freeProtection().writable()))
        {
            return false;
        }
        for (final PlannedSegment other : planned)
        {
            if (other != segment && other.sharesPagesWith(segment))
            {
                return false;
            }
        }
        return !sharesPages(segments.lowerEntry(segment.pageEnd), segment) &&
            !sharesPages(segments.lowerEntry(segment.start), segment);
    }

    private static boolean sharesPages(final Map.Entry<Long, PlannedSegment> live, final PlannedSegment segment)
    {
        return live != null && live.getValue().sharesPagesWith(segment);
    }

    private void runFinalizeActions(final List<ActionPair> actions, final List<PlannedSegment> planned)
    {
        for (int k = 0; k < actions.size(); k++)
        {
            final ActionCall call = actions.get(k).finalizeCall();
            final RuntimeException failure = run(call, k, MapperOperation.INITIALIZE);
            if (failure != null)
            {
                runDeallocActions(actions.subList(0, k), MapperOperation.INITIALIZE).forEach(failure::addSuppressed);
                resetProtections(planned, MapperOperation.INITIALIZE).forEach(failure::addSuppressed);
                throw failure;
            }
        }
    }

    private List<RuntimeException> runDeallocActions(final List<ActionPair> actions, final MapperOperation operation)
    {
        final List<RuntimeException> failures = new ArrayList<>();
        for (int i = actions.size() - 1; i >= 0; i--)
        {
            final RuntimeException failure = run(actions.get(i).deallocCall(), i, operation);
            if (failure != null)
            {
                failures.add(failure);
            }
        }
        return failures;
    }

    private static RuntimeException run(final ActionCall call, final int index, final MapperOperation operation)
    {
        if (call.isNone())
        {
            return null;
        }
        final long function = call.function().value();
        try
        {
            final long result = invoke(function, call.argument());
            return result == 0 ? null : new ActionFailedException(operation, index, function, result);
        }
        catch (final RuntimeException ex)
        {
            return ex;
        }
    }

    private List<RuntimeException> resetProtections(final List<PlannedSegment> segmentsToReset,
        final MapperOperation operation)
    {
        final List<RuntimeException> failures = new ArrayList<>();
        for (final PlannedSegment segment : segmentsToReset)
        {
            try
            {
                if (!segment.alreadyProtected)
                {
                    protect(segment, policy.freeProtection(), operation);
                }
            }
            catch (final RuntimeException ex)
            {
                failures.add(ex);
            }
        }
        return failures;
    }

    private void deinitialize(final Allocation allocation, final MapperOperation operation)
    {
        allocation.checkIdle(operation);
        allocations.remove(allocation.key);
        for (final PlannedSegment segment : allocation.segments)
        {
            segments.remove(segment.start, segment);
        }
        final List<RuntimeException> failures = runDeallocActions(allocation.actions, operation);
        failures.addAll(resetProtections(allocation.segments, operation));
        if (!failures.isEmpty())
        {
            throw failedKey(allocation, operation, failures);
        }
    }

    /**
     * One failure per key, addressed by the key: an action's failure names its function and a protection change its
     * page, neither of which tells the caller which allocation is unclean. The first failure is the cause, later ones
     * are attached to it, so that a batch's joined failures stay one per key.
     */
    private static MemoryMapperException failedKey(final Allocation allocation, final MapperOperation operation,
        final List<RuntimeException> failures)
    {
        final RuntimeException first = failures.get(0);
        failures.subList(1, failures.size()).forEach(first::addSuppressed);
        return new MemoryMapperException(operation, "allocation did not deinitialize cleanly: failures=" +
            failures.size() + " first=[" + first.getMessage() + "]", allocation.key, UNKNOWN,
            first instanceof MemoryMapperException mapper ? mapper.errno() : 0, first);
    }

    private void release(final long start)
    {
        final Reservation reservation = reservations.get(start);
        if (reservation == null)
        {
            throw new InvalidRequestException(MapperOperation.RELEASE, "no reservation starts at this address", start,
                UNKNOWN);
        }
        final List<Allocation> inside = new ArrayList<>(allocations.subMap(start, reservation.end()).values());
        inside.sort(LAST_IN_FIRST_OUT);
        for (final Allocation allocation : inside)
        {
            allocation.checkIdle(MapperOperation.RELEASE);
        }
        final ErrorJoiner errors = new ErrorJoiner();
        for (final Allocation allocation : inside)
        {
            try
            {
                deinitialize(allocation, MapperOperation.RELEASE);
            }
            catch (final RuntimeException ex)
            {
                errors.add(ex);
            }
        }
        reservations.remove(start);
        reservedBytes -= reservation.size;
        try
        {
            reservation.hook.release(ExecutorAddressRange.of(start, reservation.size));
        }
        catch (final RuntimeException ex)
        {
            errors.add(ex);
        }
        reservation.committed.release();
        limits.unreserve(reservation.size);
        errors.throwIfAny();
    }

    private static void protect(final PlannedSegment segment, final MemoryProtection target,
        final MapperOperation operation)
    {
        if (segment.size > 0)
        {
            Posix.mprotect(operation, segment.pageStart, segment.pageEnd - segment.pageStart, target);
        }
    }

    private Reservation reservationAt(final long address)
    {
        final Map.Entry<Long, Reservation> entry = reservations.floorEntry(address);
        return entry != null && address < entry.getValue().end() ? entry.getValue() : null;
    }

    private PlannedSegment liveSegmentAt(final long address)
    {
        final Map.Entry<Long, PlannedSegment> entry = segments.floorEntry(address);
        return entry != null && entry.getValue().contains(address) ? entry.getValue() : null;
    }

    private static long invoke(final long function, final byte[] argument)
    {
        try (Memory block = new Memory(Math.max(1, argument.length)))
        {
            block.write(0, argument, 0, argument.length);
            return Function.getFunction(new Pointer(function)).invokeLong(new Object[] {block, (long)argument.length});
        }
    }

    /** {@code committed}: the pages committed by reserve, prepare or initialize. */
    private record Reservation(long start, long size, ReleaseHook hook, CommittedPages committed)
    {
        long end()
        {
            return start + size;
        }
    }

    /** {@code sequence}: order of initialization, which release tears allocations down in reverse of. */
    private record Allocation(long key, long sequence, List<PlannedSegment> segments, List<ActionPair> actions,
        AtomicInteger runningCalls)
    {
        void checkIdle(final MapperOperation operation)
        {
            final int calls = runningCalls.get();
            if (calls > 0)
            {
                throw new InvalidRequestException(operation, "allocation is running code: calls=" + calls, key,
                    UNKNOWN);
            }
        }
    }

    /** The bookkeeping as {@link AllocationCheck} reads it, under this memory's lock. */
    private final class Bookkeeping implements AllocationCheck.Bookkeeping
    {
        @Override
        public ExecutorAddressRange reservationAt(final long address)
        {
            final Reservation reservation = ExecutorMemory.this.reservationAt(address);
            return reservation == null ? null : ExecutorAddressRange.of(reservation.start, reservation.size);
        }

        @Override
        public boolean isInitialized(final long key)
        {
            return allocations.containsKey(key);
        }

        @Override
        public PlannedSegment liveSegmentAt(final long address)
        {
            return ExecutorMemory.this.liveSegmentAt(address);
        }

        @Override
        public PlannedSegment liveSegmentStartingAtOrBelow(final long address)
        {
            final Map.Entry<Long, PlannedSegment> entry = segments.floorEntry(address);
            return entry == null ? null : entry.getValue();
        }
    }
}
