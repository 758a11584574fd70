/**
 * The one libc binding of jitmem (direct-mapped JNA), the OS constants in one place, the page size and the
 * instruction-cache flush.
 */
@Version("3.0.0")
@Export
package org.jitmem.posix;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
