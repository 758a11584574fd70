package org.jitmem.api;

import java.util.Map;

/**
 * Names and values of the service properties that {@link MemoryMapper} and {@link ExecutorChannel} services carry.
 * A mapper states its metadata once, through its methods; {@link #of} derives the service properties from them.
 */
public final class MapperProperties
{
    /** Backend type, a String: one of the {@code TYPE_} values. */
    public static final String TYPE = "jitmem.mapper.type";
    /** Whether the executor is another process, a Boolean. */
    public static final String CROSS_PROCESS = "jitmem.mapper.crossProcess";
    /** The executor's process id, a Long. */
    public static final String EXECUTOR_PID = "jitmem.executor.pid";
    /** The executor's page size in bytes, a Long. */
    public static final String PAGE_SIZE = "jitmem.mapper.pageSize";
    /** Where the executor runs, a String: a host name or address, {@code localhost} for a local socket. */
    public static final String HOST = "jitmem.executor.host";

    /** The in-process backend. */
    public static final String TYPE_INPROCESS = "inprocess";
    /** The POSIX shared-memory backend. */
    public static final String TYPE_POSIX_SHM = "posix-shm";
    /** The copying backend, whose executor may run on another host. */
    public static final String TYPE_REMOTE = "remote";
    /** The Windows stub. */
    public static final String TYPE_WINDOWS_STUB = "windows-stub";

    private MapperProperties()
    {
    }

    /**
     * The service properties a backend registers its mapper with, read from the mapper itself.
     *
     * @param mapper a mapper that can state its page size
     * @return {@link #TYPE}, {@link #CROSS_PROCESS}, {@link #EXECUTOR_PID} and {@link #PAGE_SIZE}
     */
    public static Map<String, Object> of(final MemoryMapper mapper)
    {
        return Map.of(TYPE, mapper.type(), CROSS_PROCESS, mapper.crossProcess(), EXECUTOR_PID, mapper.executorPid(),
            PAGE_SIZE, mapper.pageSize());
    }
}
