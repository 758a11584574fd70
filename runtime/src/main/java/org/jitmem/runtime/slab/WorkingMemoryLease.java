package org.jitmem.runtime.slab;

import java.nio.ByteBuffer;

import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryRevokedException;

/**
 * Access to an in-flight allocation's working memory while its backend is held from unmapping it. Every access is
 * bounds-checked and refused with {@link MemoryRevokedException} once the memory is revoked, never touching unmapped
 * memory. Offsets count from the start of a segment's content. Thread-safe; close it once, from any thread.
 */
public final class WorkingMemoryLease implements AutoCloseable
{
    private final LeaseGate gate;
    private final LeaseGate.Lease lease;
    private final InFlightAllocation allocation;

    WorkingMemoryLease(final LeaseGate gate, final LeaseGate.Lease lease, final InFlightAllocation allocation)
    {
        this.gate = gate;
        this.lease = lease;
        this.allocation = allocation;
    }

    /**
     * @param segment a segment, in request order
     * @param offset  from the start of its content
     * @param bytes   written there
     */
    public void put(final int segment, final int offset, final byte[] bytes)
    {
        final ByteBuffer memory = checked(segment, offset, bytes.length);
        gate.access(MapperOperation.PREPARE, address(segment, offset), bytes.length, () -> memory.put(offset, bytes));
    }

    /**
     * @param segment a segment, in request order
     * @param offset  from the start of its content
     * @param value   written there in native byte order
     */
    public void putLong(final int segment, final int offset, final long value)
    {
        final ByteBuffer memory = checked(segment, offset, Long.BYTES);
        gate.access(MapperOperation.PREPARE, address(segment, offset), Long.BYTES, () -> memory.putLong(offset, value));
    }

    /**
     * @param segment a segment, in request order
     * @param offset  from the start of its content
     * @param into    filled from there
     */
    public void get(final int segment, final int offset, final byte[] into)
    {
        final ByteBuffer memory = checked(segment, offset, into.length);
        gate.access(MapperOperation.PREPARE, address(segment, offset), into.length, () -> memory.get(offset, into));
    }

    /**
     * @param segment a segment, in request order
     * @param offset  from the start of its content
     * @return the long there, in native byte order
     */
    public long getLong(final int segment, final int offset)
    {
        final ByteBuffer memory = checked(segment, offset, Long.BYTES);
        return gate.access(MapperOperation.PREPARE, address(segment, offset), Long.BYTES, () -> memory.getLong(offset));
    }

    /** Ends the lease: a draining backend no longer waits for it. Later accesses are refused. */
    @Override
    public void close()
    {
        lease.close();
    }

    private ByteBuffer checked(final int segment, final int offset, final int length)
    {
        if (!lease.isOpen())
        {
            throw new InvalidRequestException(MapperOperation.PREPARE, "working memory lease is closed",
                address(segment, offset), length);
        }
        if (segment < 0 || segment >= allocation.segmentCount())
        {
            throw new InvalidRequestException(MapperOperation.PREPARE, "no such segment: segment=" + segment +
                " segments=" + allocation.segmentCount(), allocation.range().start().value(), length);
        }
        final ByteBuffer memory = allocation.workingMemory(segment);
        if (offset < 0 || offset > memory.capacity() - length)
        {
            throw new InvalidRequestException(MapperOperation.PREPARE, "outside the segment's content: segment=" +
                segment + " offset=" + offset + " contentSize=" + memory.capacity(), address(segment, offset), length);
        }
        return memory;
    }

    private long address(final int segment, final int offset)
    {
        return segment >= 0 && segment < allocation.segmentCount() ?
            allocation.segmentAddress(segment).value() + offset : allocation.range().start().value();
    }
}
