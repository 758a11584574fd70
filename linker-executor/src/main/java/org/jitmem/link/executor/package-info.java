/**
 * Symbol lookup in a process ({@code dlsym}, {@code dlopen}) and the executor functions {@code link.lookup} and
 * {@code link.dlopen} that offer it to a linker in another process, with their messages.
 */
@Version("1.0.0")
@Export
package org.jitmem.link.executor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
