package org.jitmem.runtime.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What the executor launcher is doing, for the shell and the demo.
 *
 * @param phase     the launcher's phase
 * @param pid       the executor's process id, 0 when there is none
 * @param socket    the executor's socket, null when there is none
 * @param startedAt when the executor was started, null when there is none
 * @param detail    the latest progress or error, in words
 * @param lastExit  how the previous executor ended, empty before the first one ends
 * @param restarts  restarts in a row since the last start on request
 */
record ExecutorStatus(Phase phase, long pid, Path socket, Instant startedAt, String detail, String lastExit,
    int restarts)
{
    /** The launcher's phases. */
    enum Phase
    {
        /** Not launching on this platform or by configuration. */
        DISABLED,
        /** No executor; {@code lastExit} says why. */
        STOPPED,
        /** An executor is being started. */
        STARTING,
        /** An executor runs and its channel is registered. */
        RUNNING,
        /** The executor is being stopped. */
        STOPPING
    }

    /**
     * @param phase     phase
     * @param pid       process id
     * @param socket    socket
     * @param startedAt start time
     * @param detail    progress or error
     * @param lastExit  previous end
     * @param restarts  restarts in a row
     */
    ExecutorStatus
    {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(lastExit, "lastExit");
    }

    /**
     * @param phase  the phase
     * @param detail in words
     * @return a status with this phase and detail, the rest kept
     */
    ExecutorStatus with(final Phase phase, final String detail)
    {
        return new ExecutorStatus(phase, pid, socket, startedAt, detail, lastExit, restarts);
    }

    /** @return true while the executor's process runs */
    boolean alive()
    {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** @return how long the executor has run, zero when there is none */
    Duration uptime()
    {
        return startedAt == null ? Duration.ZERO : Duration.between(startedAt, Instant.now());
    }
}
