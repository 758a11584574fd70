package org.jitmem.launcher;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Launches the executor program as a supervised child process of this JVM and registers its channel as an
 * {@code ExecutorChannel} service while it runs. Registered as an OSGi service by the launcher bundle.
 */
@ProviderType
public interface ExecutorSupervisor
{
    /** @return what the supervisor is doing now */
    ExecutorStatus status();

    /**
     * Starts an executor unless one runs; clears the count of restarts in a row.
     *
     * @return completes with the status once the executor runs or could not be started
     */
    CompletionStage<ExecutorStatus> start();

    /**
     * Stops the executor, if one runs, and releases everything it held.
     *
     * @return completes with the status once the executor has ended
     */
    CompletionStage<ExecutorStatus> stop();

    /** @return the longest a {@link #start} and {@link #stop} together may take, in seconds, as configured */
    long actionBoundSeconds();
}
