/**
 * Backend selection: the {@link org.jitmem.runtime.BackendSelector} service lists the
 * {@link org.jitmem.api.MemoryMapper} backends present, picks the best one (or the pinned type) and hands out the
 * slab memory manager of each.
 */
@Version("1.2.0")
@Export
package org.jitmem.runtime;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
