/**
 * Cycles with JIT'd code through a bare mapper or a slab memory manager, each step asserted, with protections checked
 * in the executor's own {@code /proc/<pid>/maps}: shared by the integration tests in every container.
 */
@Version("1.0.0")
@Export
package org.jitmem.testsupport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
