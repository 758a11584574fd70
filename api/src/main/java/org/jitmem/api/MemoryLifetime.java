package org.jitmem.api;

/** How long a segment's memory lives. */
public enum MemoryLifetime
{
    /** Lives until the allocation is deinitialized. */
    STANDARD,
    /**
     * Needed only until the finalize actions have run, such as relocation data or code for the actions: given back
     * once they have run, as JITLink's finalize memory is. Its protection is reset, no call or dealloc action may use
     * it afterwards, and the slab manager reuses its range at once. It must not share a page with a standard segment.
     */
    FINALIZE
}
