package org.jitmem.api;

import java.util.Objects;

/**
 * What an executor states in its handshake.
 *
 * @param protocolVersion channel protocol version
 * @param pid             process id
 * @param pageSize        page size in bytes
 * @param architecture    {@code os.arch} of the executor, such as {@code amd64} or {@code aarch64}
 * @param os              {@code os.name} of the executor
 */
public record ExecutorInfo(int protocolVersion, long pid, long pageSize, String architecture, String os)
{
    /**
     * @param protocolVersion protocol version
     * @param pid             process id
     * @param pageSize        page size
     * @param architecture    architecture
     * @param os              operating system
     */
    public ExecutorInfo
    {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(os, "os");
    }
}
