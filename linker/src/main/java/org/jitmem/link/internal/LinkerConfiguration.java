package org.jitmem.link.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Linker settings, configuration pid {@value LinkerConfiguration#PID}. */
@ObjectClassDefinition(name = "jitmem linker", description = "Loading compiled objects into executor memory")
@interface LinkerConfiguration
{
    /** The configuration pid. */
    String PID = "org.jitmem.link";

    /** @return whether each loaded function is appended to the executor's perf map */
    @AttributeDefinition(name = "perf map", description = "Append each loaded function to " +
        "/tmp/perf-<executor pid>.map so that perf report names it")
    boolean perfMap() default false;
}
