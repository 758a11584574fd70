package org.jitmem.backend.remote.executor;

import java.util.HashMap;
import java.util.Map;

import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryRevokedException;
import org.jitmem.backend.remote.wire.RemoteCodec;
import org.jitmem.backend.remote.wire.RemoteCodec.Content;
import org.jitmem.memory.ExecutorMemory;
import org.jitmem.memory.MemoryLimits;
import org.jitmem.memory.wire.MapperCodec;
import org.jitmem.memory.wire.MemoryFunctions;

/**
 * The executor side of the copying backend, one instance per controller connection: reserves anonymous memory that
 * stays writable while it is free, copies the content the controller sends into it and lets {@link ExecutorMemory}
 * validate, apply protections, run actions, deinitialize and release, as in process. Messages are those of
 * {@link RemoteCodec}. Closing it releases every reservation of the connection.
 * <p>
 * The executor's own limits on reserved and committed bytes are the system properties
 * {@value MemoryLimits#RESERVED_LIMIT_PROPERTY} and {@value MemoryLimits#COMMITTED_LIMIT_PROPERTY}; segments that are
 * both writable and executable are refused unless the controller's request says its configuration allows them.
 */
public final class RemoteFunctions implements ExecutorFunctionProvider
{
    private final ExecutorMemory memory;
    private final Map<String, ExecutorFunction> functions;

    /** Creates the functions with the executor's limits; the executor finds this with the ServiceLoader. */
    public RemoteFunctions()
    {
        this(MemoryLimits.fromSystemProperties());
    }

    /**
     * @param limits the executor's limits on reserved and committed bytes
     */
    public RemoteFunctions(final MemoryLimits limits)
    {
        this.memory = new ExecutorMemory(ExecutorMemory.Policy.IN_PROCESS, limits);
        final Map<String, ExecutorFunction> all = new HashMap<>(MemoryFunctions.teardownAndCall(RemoteCodec.PREFIX,
            memory));
        all.put(RemoteCodec.RESERVE, argument ->
            RemoteCodec.encodeRange(memory.reserve(MapperCodec.decodeLong(MapperOperation.RESERVE, argument))));
        all.put(RemoteCodec.WRITE, argument ->
        {
            final Content content = RemoteCodec.decodeContent(argument);
            memory.write(content.address(), content.bytes());
            return MapperCodec.empty();
        });
        all.put(RemoteCodec.INITIALIZE, argument ->
        {
            final RemoteCodec.InitializeRequest request = RemoteCodec.decodeInitialize(argument);
            for (final Content content : request.contents())
            {
                memory.write(content.address(), content.bytes());
            }
            return MapperCodec.encodeLong(memory.initialize(request.info(), request.allowWriteExecute()).value());
        });
        this.functions = Map.copyOf(all);
    }

    @Override
    public Map<String, ExecutorFunction> functions()
    {
        return functions;
    }

    /**
     * Releases every reservation; one in which JIT'd code is running goes when that code returns. Later calls fail
     * with {@link MemoryRevokedException}. Idempotent.
     */
    @Override
    public void close()
    {
        memory.close();
    }
}
