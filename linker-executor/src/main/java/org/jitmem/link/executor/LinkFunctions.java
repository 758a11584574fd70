package org.jitmem.link.executor;

import java.util.Map;

import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;

/**
 * The executor functions a linker in another process uses to resolve symbols in the executor: {@code link.lookup}
 * (many names in one round trip) and {@code link.dlopen}; and {@code link.shareStandardStreams}, which makes what
 * loaded code prints appear where the controller's output goes. Messages are those of {@link LinkCodec}. Holds nothing:
 * libraries loaded stay loaded for the life of the executor, as {@code dlopen} without {@code dlclose} does.
 */
public final class LinkFunctions implements ExecutorFunctionProvider
{
    private final Map<String, ExecutorFunction> functions = Map.of(
        LinkCodec.LOOKUP, argument -> LinkCodec.encodeAddresses(ProcessSymbols.lookup(LinkCodec.decodeNames(argument))),
        LinkCodec.DLOPEN, argument -> LinkCodec.encodeHandle(ProcessSymbols.open(LinkCodec.decodePath(argument))),
        LinkCodec.SHARE_STANDARD_STREAMS, argument ->
        {
            StandardStreams.share(LinkCodec.decodeHandle(argument));
            return new byte[0];
        });

    /** Creates the functions; the executor finds this with the ServiceLoader. */
    public LinkFunctions()
    {
    }

    @Override
    public Map<String, ExecutorFunction> functions()
    {
        return functions;
    }

    @Override
    public void close()
    {
    }
}
