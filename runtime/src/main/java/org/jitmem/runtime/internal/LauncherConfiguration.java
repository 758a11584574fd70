package org.jitmem.runtime.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Executor launcher settings, configuration pid {@value LauncherConfiguration#PID}. */
@ObjectClassDefinition(name = "jitmem executor launcher",
    description = "Launches the executor program as a supervised child process and publishes its channel")
@interface LauncherConfiguration
{
    /** The configuration pid. */
    String PID = "org.jitmem.runtime.executor";

    /** @return whether to launch an executor; platforms without POSIX executors never launch one */
    @AttributeDefinition(name = "Enabled", description = "Launch an executor (Linux, macOS and FreeBSD only)")
    boolean enabled() default true;

    /** @return the java command; empty for the running JVM's */
    @AttributeDefinition(name = "Java command", description = "Java launcher for the executor; empty uses the " +
        "running JVM's", required = false)
    String javaCommand() default "";

    /** @return JVM options placed before {@code -jar} */
    @AttributeDefinition(name = "JVM options", description = "Options for the executor's JVM", required = false)
    String[] jvmOptions() default {"-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"};

    /** @return parent of the executor's private directory; empty for {@code java.io.tmpdir} */
    @AttributeDefinition(name = "Directory", description = "Where the executor's private directory is created; " +
        "empty uses java.io.tmpdir", required = false)
    String directory() default "";

    /** @return seconds to wait for the executor to be ready */
    @AttributeDefinition(name = "Start timeout", description = "Seconds to wait for the executor's ready line and " +
        "handshake")
    long startTimeoutSeconds() default 30;

    /** @return seconds to wait for the executor to exit once its channel is closed */
    @AttributeDefinition(name = "Stop timeout", description = "Seconds to wait for the executor to exit before it " +
        "is killed")
    long stopTimeoutSeconds() default 10;

    /** @return whether an executor that ends unexpectedly is started again */
    @AttributeDefinition(name = "Restart on failure", description = "Start a new executor when one fails to start " +
        "or ends without being stopped")
    boolean restartOnFailure() default false;

    /** @return restarts in a row before giving up */
    @AttributeDefinition(name = "Maximum restarts", description = "Restarts in a row before the launcher gives up")
    int maxRestarts() default 3;

    /** @return milliseconds between an unexpected end and the restart */
    @AttributeDefinition(name = "Restart delay", description = "Milliseconds before a restart")
    long restartDelayMillis() default 1_000;
}
