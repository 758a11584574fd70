package org.jitmem.runtime;

import java.util.List;
import java.util.Optional;

import org.jitmem.runtime.slab.SlabMemoryManager;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Tracks the {@link org.jitmem.api.MemoryMapper} services and selects one: among those of the pinned type and
 * matching the pinned filter (when set), the highest {@code service.ranking}, then the lowest {@code service.id}, so
 * that the choice among equals is always the same. Each mapper has its own slab memory manager, so allocations stay
 * with the backend that made them. Thread-safe.
 */
@ProviderType
public interface BackendSelector
{
    /** @return the backends present, best first */
    List<BackendDescription> backends();

    /** @return the slab memory manager of the selected backend, empty when no backend qualifies */
    Optional<SlabMemoryManager> selected();

    /** @return the slab memory manager of every backend present, best first */
    List<SlabMemoryManager> managers();

    /**
     * Pins a backend type until the configuration changes, with no filter.
     *
     * @param type a backend type, or the empty string for the best backend present
     */
    void pin(String type);

    /**
     * Pins a backend type and a filter on the mappers' service properties until the configuration changes, such as
     * {@code (jitmem.executor.host=10.0.0.2)} to choose among several mappers of one type.
     *
     * @param type   a backend type, or the empty string for any
     * @param filter an LDAP filter over the service properties, or the empty string for none
     * @throws IllegalArgumentException when the filter is not a valid LDAP filter; the pin is then unchanged
     */
    void pin(String type, String filter);

    /** @return the pinned backend type, or the empty string when the best one is selected */
    String pinnedType();

    /** @return the pinned filter on service properties, or the empty string for none */
    String pinnedFilter();
}
