package org.jitmem.memory.wire;

import java.util.Map;

import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.MapperOperation;
import org.jitmem.memory.ExecutorMemory;

/**
 * The executor functions every executor-channel backend hosts alike over its {@link ExecutorMemory}: deinitialize
 * (argument: addresses; result: empty), release (addresses; empty) and call (call; {@code int64} value returned), in
 * the messages of {@link MapperCodec}. Each backend names them with its own prefix.
 */
public final class MemoryFunctions
{
    private MemoryFunctions()
    {
    }

    /**
     * @param prefix the backend's prefix of function names, such as {@code posixshm.}
     * @param memory the connection's executor memory
     * @return {@code <prefix>deinitialize}, {@code <prefix>release} and {@code <prefix>call}
     */
    public static Map<String, ExecutorFunction> teardownAndCall(final String prefix, final ExecutorMemory memory)
    {
        return Map.of(
            prefix + "deinitialize", argument ->
            {
                memory.deinitialize(MapperCodec.decodeAddresses(MapperOperation.DEINITIALIZE, argument));
                return MapperCodec.empty();
            },
            prefix + "release", argument ->
            {
                memory.release(MapperCodec.decodeAddresses(MapperOperation.RELEASE, argument));
                return MapperCodec.empty();
            },
            prefix + "call", argument -> MapperCodec.encodeLong(memory.call(MapperCodec.decodeCall(argument))));
    }
}
