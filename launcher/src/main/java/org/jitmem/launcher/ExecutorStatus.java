package org.jitmem.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * What the executor supervisor is doing: its phase, the executor it runs and how the previous one ended.
 *
 * @param phase     the launcher's phase
 * @param pid       the executor's process id, 0 when there is none
 * @param socket    the executor's socket, null when there is none
 * @param startedAt when the executor was started, null when there is none
 * @param detail    the latest progress or error, in words
 * @param lastExit  how the previous executor ended, empty before the first one ends
 * @param restarts  restarts since the last start on request
 */
public record ExecutorStatus(Phase phase, long pid, Path socket, Instant startedAt, String detail, String lastExit,
    int restarts)
{
    /** The launcher's phases. */
    public enum Phase
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
     * @param restarts  restarts since the last start on request
     */
    public ExecutorStatus
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
    public ExecutorStatus with(final Phase phase, final String detail)
    {
        return new ExecutorStatus(phase, pid, socket, startedAt, detail, lastExit, restarts);
    }

    /** @return true while the executor's process runs */
    public boolean alive()
    {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** @return how long the executor has run, zero when there is none */
    public Duration uptime()
    {
        return startedAt == null ? Duration.ZERO : Duration.between(startedAt, Instant.now());
    }

    /** @return for people: the phase, pid, socket, uptime, whether it is alive, and how the previous one ended */
    public String describe()
    {
        final StringBuilder text = new StringBuilder();
        text.append("executor: ").append(phase).append('\n');
        if (pid > 0)
        {
            text.append(String.format(Locale.ROOT,
                "  pid       %d%n  socket    %s%n  uptime    %.1f s%n  alive     %b%n", pid, socket,
                uptime().toMillis() / 1_000.0, alive()));
        }
        if (!detail.equals(lastExit))
        {
            text.append("  detail    ").append(detail).append('\n');
        }
        text.append("  last exit ").append(lastExit.isEmpty() ? "none" : lastExit).append('\n');
        if (restarts > 0)
        {
            text.append("  restarts  ").append(restarts).append('\n');
        }
        return text.toString();
    }
}
