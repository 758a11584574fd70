/**
 * The slab memory manager: many small allocations carved from few reservations of one
 * {@link org.jitmem.api.MemoryMapper}, laid out by protection group, finalized, deallocated and reused.
 */
@Version("1.1.0")
@Export
package org.jitmem.runtime.slab;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
