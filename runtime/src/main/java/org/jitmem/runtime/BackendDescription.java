package org.jitmem.runtime;

import java.util.Map;

/**
 * A {@link org.jitmem.api.MemoryMapper} service as the selector sees it.
 *
 * @param type         the backend type
 * @param serviceId    the service id
 * @param ranking      the service ranking
 * @param crossProcess whether the executor is another process
 * @param executorPid  the executor's process id
 * @param pageSize     the executor's page size
 * @param selected     whether new allocations go to this backend
 * @param properties   all service properties
 */
public record BackendDescription(String type, long serviceId, int ranking, boolean crossProcess, long executorPid,
    long pageSize, boolean selected, Map<String, Object> properties)
{
    /**
     * @param type         backend type
     * @param serviceId    service id
     * @param ranking      ranking
     * @param crossProcess cross-process flag
     * @param executorPid  executor pid
     * @param pageSize     page size
     * @param selected     selected flag
     * @param properties   service properties, copied
     */
    public BackendDescription
    {
        properties = Map.copyOf(properties);
    }
}
