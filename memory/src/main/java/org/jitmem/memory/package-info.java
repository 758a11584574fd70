/**
 * The executor-side memory core every POSIX backend shares: reservations, initialized allocations, their
 * protections and actions ({@link org.jitmem.memory.ExecutorMemory}), the record of which pages of a range are
 * committed ({@link org.jitmem.memory.CommittedPages}) and an executor's limits on reserved and committed bytes
 * ({@link org.jitmem.memory.MemoryLimits}).
 */
@Version("2.1.0")
@Export
package org.jitmem.memory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
