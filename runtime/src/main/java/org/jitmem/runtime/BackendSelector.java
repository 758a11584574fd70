package org.jitmem.runtime;

import java.util.List;
import java.util.Optional;

import org.jitmem.runtime.slab.SlabMemoryManager;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Tracks the {@link org.jitmem.api.MemoryMapper} services and selects one: the pinned type when set, otherwise the
 * highest {@code service.ranking}. Each mapper has its own slab memory manager, so allocations stay with the backend
 * that made them. Thread-safe.
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
     * Pins a backend type until the configuration changes.
     *
     * @param type a backend type, or the empty string for the best backend present
     */
    void pin(String type);

    /** @return the pinned backend type, or the empty string when the best one is selected */
    String pinnedType();
}
