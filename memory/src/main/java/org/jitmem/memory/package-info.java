/**
 * The executor-side memory core every POSIX backend shares: reservations, initialized allocations, their
 * protections and actions ({@link org.jitmem.memory.ExecutorMemory}), and the record of which pages of a range have
 * been populated ({@link org.jitmem.memory.PopulatedPages}).
 */
@Version("2.0.0")
@Export
package org.jitmem.memory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
