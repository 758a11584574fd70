package org.jitmem.runtime.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Runtime settings, configuration pid {@value RuntimeConfiguration#PID}. */
@ObjectClassDefinition(name = "jitmem runtime",
    description = "Backend selection and slab memory manager settings")
@interface RuntimeConfiguration
{
    /** The configuration pid. */
    String PID = "org.jitmem.runtime";

    /** @return backend type to use; empty for the best one present */
    @AttributeDefinition(name = "Pinned backend type", description = "inprocess, posix-shm, ...; empty selects the best",
        required = false)
    String pinnedType() default "";

    /** @return LDAP filter over the mappers' service properties; empty for none */
    @AttributeDefinition(name = "Pinned filter", description = "LDAP filter the selected mapper's service " +
        "properties must match, to choose among several mappers of one type, e.g. (jitmem.executor.host=10.0.0.2); " +
        "empty for none; an invalid filter selects nothing", required = false)
    String pinnedFilter() default "";

    /** @return reservation granularity in bytes */
    @AttributeDefinition(name = "Slab granularity", description = "Bytes per reservation, rounded up to whole pages")
    long slabGranularity() default 64L << 20;

    /** @return free bytes kept in empty reservations */
    @AttributeDefinition(name = "Keep-free bytes", description = "Free bytes kept for reuse before empty reservations " +
        "are released")
    long keepFreeBytes() default 64L << 20;

    /** @return how long a departing backend waits for open leases before its memory is revoked */
    @AttributeDefinition(name = "Drain timeout", description = "Milliseconds a departing backend waits for " +
        "operations on its memory to end before the memory is revoked")
    long drainTimeoutMillis() default 5_000;
}
