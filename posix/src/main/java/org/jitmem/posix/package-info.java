/**
 * The one libc binding of jitmem (direct-mapped JNA), the OS constants in one place, the page size and the
 * instruction-cache flush; and {@link org.jitmem.posix.RetainingMemoryMapper}, which keeps released reservations
 * for reuse.
 */
@Version("2.1.0")
@Export
package org.jitmem.posix;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
