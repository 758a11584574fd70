/**
 * Tiny hand-assembled machine code for the executor's architecture (x86-64, aarch64), a reader of
 * {@code /proc/<pid>/maps} and full mapper cycles from many threads: what tests, demos and benchmarks need to run
 * real code and to check real protections.
 */
@Version("1.1.0")
@Export
package org.jitmem.machine;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
