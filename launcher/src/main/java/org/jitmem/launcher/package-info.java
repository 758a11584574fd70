/**
 * The executor supervisor: launches the embedded executor program as a child process, registers its channel while it
 * runs, restarts it as configured and reports its state.
 */
@Version("1.0.0")
@Export
package org.jitmem.launcher;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
