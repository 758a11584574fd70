package org.jitmem.executor;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;
import java.util.TreeSet;

import org.jitmem.api.ExecutorFunction;
import org.jitmem.api.ExecutorFunctionProvider;
import org.jitmem.api.ExecutorInfo;

/**
 * The functions every executor has: {@value #PING} returns its argument, {@value #INFO} describes the executor as
 * UTF-8 {@code key=value} lines (protocolVersion, pid, pageSize, architecture, os, functions).
 */
final class BuiltinFunctions implements ExecutorFunctionProvider
{
    /** Echo. */
    static final String PING = "executor.ping";
    /** Description of the executor. */
    static final String INFO = "executor.info";

    private final Map<String, ExecutorFunction> functions;

    /**
     * @param executor       what the executor states in its handshake
     * @param otherFunctions names of the functions of the other providers of the same connection
     */
    BuiltinFunctions(final ExecutorInfo executor, final Collection<String> otherFunctions)
    {
        final TreeSet<String> names = new TreeSet<>(otherFunctions);
        names.add(PING);
        names.add(INFO);
        final byte[] info = ("protocolVersion=" + executor.protocolVersion() + "\npid=" + executor.pid() +
            "\npageSize=" + executor.pageSize() + "\narchitecture=" + executor.architecture() + "\nos=" +
            executor.os() + "\nfunctions=" + String.join(",", names) + "\n").getBytes(StandardCharsets.UTF_8);
        this.functions = Map.of(PING, argument -> argument, INFO, argument -> info.clone());
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
