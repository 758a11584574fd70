package org.jitmem.backend.posixshm.executor;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.api.MemoryUsage;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.Backing;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.MemoryFunctions;

/**
 * The executor side of the shared-memory backend, one instance per controller connection: reserves shared memory
 * objects, maps them with no access and lets {@link ExecutorMemory} apply protections, run actions, deinitialize and
 * release. Messages are those of {@link SharedMemoryCodec}. Closing it releases every reservation, so no mapping,
 * descriptor or name outlives the connection.
 * <p>
 * System properties of the executor process: {@value #BACKING_PROPERTY} ({@code memfd}, the default, or
 * {@code named} for {@code shm_open}); {@value MemoryLimits#RESERVED_LIMIT_PROPERTY} and
 * {@value MemoryLimits#COMMITTED_LIMIT_PROPERTY} (the executor's own limits on reserved and committed bytes, which
 * protect it from any controller; by default 1 TiB and a quarter of physical memory). Segments that are both writable
 * and executable are refused unless the controller's initialize request says its configuration allows them;
 * {@link ExecutorMemory} checks that.
 */
public final class SharedMemoryFunctions implements ExecutorFunctionProvider
{
    /** System property choosing the preferred backing: {@code memfd} or {@code named}. */
    public static final String BACKING_PROPERTY = "jitmem.posixshm.backing";

    private final Backing preferred;
    private final ExecutorMemory memory;
    private final Map<String, ExecutorFunction> functions;

    /** Creates the functions as the system properties say; the executor finds this with the ServiceLoader. */
    public SharedMemoryFunctions()
    {
        this(Backing.valueOf(System.getProperty(BACKING_PROPERTY, "memfd").toUpperCase(Locale.ROOT)),
            MemoryLimits.fromSystemProperties());
    }

    /**
     * @param preferred the backing tried first
     * @param limits    the executor's limits on reserved and committed bytes
     */
    public SharedMemoryFunctions(final Backing preferred, final MemoryLimits limits)
    {
        this.preferred = preferred;
        this.memory = new ExecutorMemory(ExecutorMemory.Policy.SHARED_MEMORY, limits);
        final Map<String, ExecutorFunction> all = new HashMap<>(MemoryFunctions.teardownAndCall(
            SharedMemoryCodec.PREFIX, memory));
        all.put(SharedMemoryCodec.RESERVE, this::reserve);
        all.put(SharedMemoryCodec.INITIALIZE, argument ->
        {
            final SharedMemoryCodec.InitializeRequest request = SharedMemoryCodec.decodeInitialize(argument);
            return SharedMemoryCodec.encodeLong(memory.initialize(request.info(), request.allowWriteExecute())
                .value());
        });
        this.functions = Map.copyOf(all);
    }

    @Override
    public Map<String, ExecutorFunction> functions()
    {
        return functions;
    }

    /** @return how many reservations are held */
    int reservationCount()
    {
        return memory.reservationCount();
    }

    /**
     * Releases every reservation; one in which JIT'd code is running goes when that code returns. Later calls fail
     * with {@link MemoryRevokedException}. Idempotent.
     *
     * @throws MemoryMapperException the joined failures of the release
     */
    @Override
    public void close()
    {
        memory.close();
    }

    /** @return the reserved and committed bytes of this connection, and the executor's limits on them */
    MemoryUsage usage()
    {
        return memory.usage();
    }

    private byte[] reserve(final byte[] argument)
    {
        final SharedMemoryFile[] created = new SharedMemoryFile[1];
        memory.reserve(SharedMemoryCodec.decodeLong(MapperOperation.RESERVE, argument), size ->
        {
            created[0] = SharedMemoryFile.create(size, preferred);
            return new ExecutorMemory.Mapped(created[0].range(), created[0]::release);
        });
        return SharedMemoryCodec.encodeReservation(created[0].describe());
    }
}
