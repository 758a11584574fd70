package org.jitmem.api;

import java.util.Objects;

/**
 * What an executor states in its handshake, and where the controller reached it.
 *
 * @param protocolVersion channel protocol version
 * @param pid             process id
 * @param pageSize        page size in bytes
 * @param architecture    {@code os.arch} of the executor, such as {@code amd64} or {@code aarch64}
 * @param os              {@code os.name} of the executor
 * @param host            the host the controller connected to, {@value #LOCAL_HOST} for a Unix domain socket
 */
public record ExecutorInfo(int protocolVersion, long pid, long pageSize, String architecture, String os, String host)
{
    /** The host of an executor on the controller's own machine. */
    public static final String LOCAL_HOST = "localhost";

    /**
     * @param protocolVersion protocol version
     * @param pid             process id
     * @param pageSize        page size
     * @param architecture    architecture
     * @param os              operating system
     * @param host            host
     */
    public ExecutorInfo
    {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(host, "host");
    }

    /**
     * An executor on the controller's own machine.
     *
     * @param protocolVersion protocol version
     * @param pid             process id
     * @param pageSize        page size
     * @param architecture    architecture
     * @param os              operating system
     */
    public ExecutorInfo(final int protocolVersion, final long pid, final long pageSize, final String architecture,
        final String os)
    {
        this(protocolVersion, pid, pageSize, architecture, os, LOCAL_HOST);
    }

    /**
     * @param where the host the controller connected to
     * @return this information with that host
     */
    public ExecutorInfo withHost(final String where)
    {
        return new ExecutorInfo(protocolVersion, pid, pageSize, architecture, os, where);
    }
}
