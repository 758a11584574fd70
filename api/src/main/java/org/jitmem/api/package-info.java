/**
 * The jitmem API: {@link org.jitmem.api.MemoryMapper} reserves address space in an executor process, hands out
 * working memory, initializes it (protections applied, finalize actions run in the executor), deinitializes and
 * releases it. Value types, typed exceptions, service property names and the executor channel contracts live here;
 * every other jitmem bundle compiles against this package only.
 */
@Version("1.2.0")
@Export
package org.jitmem.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
