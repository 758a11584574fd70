package org.jitmem.api;

/** How long a segment's memory lives. */
public enum MemoryLifetime
{
    /** Lives until the allocation is deinitialized. */
    STANDARD,
    /** Needed only until the finalize actions have run, such as relocation data for the actions. */
    FINALIZE
}
