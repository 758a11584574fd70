package org.jitmem.health.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Settings of the health checks, configuration pid {@value HealthConfiguration#PID}. */
@ObjectClassDefinition(name = "jitmem health checks",
    description = "Thresholds of the jitmem health checks (tag jitmem)")
@interface HealthConfiguration
{
    /** The configuration pid. */
    String PID = "org.jitmem.health";

    /** @return the share of each executor limit above which slab usage warns */
    @AttributeDefinition(name = "Usage share", description = "Share (0 to 1) of each backend's reserved and " +
        "committed limits above which the slab usage check warns")
    double usageShare() default 0.9;

    /** @return how long the executor may take to answer */
    @AttributeDefinition(name = "Executor answer timeout", description = "Milliseconds the executor may take to " +
        "answer the check's call before it counts as not answering")
    long executorTimeoutMillis() default 2_000;
}
