/**
 * The one libc binding of jitmem (direct-mapped JNA), the executor-side memory core shared by every POSIX backend
 * ({@link org.jitmem.posix.ExecutorMemory}), a reader of {@code /proc/<pid>/maps} and tiny hand-assembled machine
 * code for tests, demos and benchmarks, and {@link org.jitmem.posix.RetainingMemoryMapper}, which keeps released
 * reservations for reuse.
 */
@Version("1.2.0")
@Export
package org.jitmem.posix;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
