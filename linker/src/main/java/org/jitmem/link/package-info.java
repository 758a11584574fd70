/**
 * Loads ELF relocatable objects into executor memory and runs them: a {@link org.jitmem.link.Linker} loads objects
 * together as a {@link org.jitmem.link.LoadedModule} (laid out, resolved, relocated and finalized through the slab
 * manager of one backend), whose symbols can be looked up and called, and which is unloaded as a whole. Failures are
 * {@link org.jitmem.link.LinkException}s naming the object, section, symbol, relocation and offset concerned.
 */
@Version("1.0.0")
@Export
package org.jitmem.link;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
