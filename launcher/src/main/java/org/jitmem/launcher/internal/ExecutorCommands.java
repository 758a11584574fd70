package org.jitmem.launcher.internal;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.felix.service.command.Descriptor;
import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.launcher.ExecutorSupervisor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo shell command {@code jitmem:executor}: the executor's state, and starting or stopping it. */
@Component(service = ExecutorCommands.class, property = {
    "osgi.command.scope=jitmem",
    "osgi.command.function=executor"})
public final class ExecutorCommands
{
    private final ExecutorSupervisor supervisor;

    /**
     * @param supervisor the executor supervisor
     */
    @Activate
    public ExecutorCommands(@Reference final ExecutorSupervisor supervisor)
    {
        this.supervisor = supervisor;
    }

    /** @return the executor's state: pid, socket, uptime, whether it is alive, and how the previous one ended */
    @Descriptor("shows the executor's state: pid, socket, uptime, restarts and how the previous one ended")
    public String executor()
    {
        return supervisor.status().describe();
    }

    /**
     * @param action {@code start} or {@code stop}
     * @return the executor's state once the action is done
     */
    @Descriptor("starts or stops the executor and shows its state once done; alone, shows its state")
    public String executor(@Descriptor("start or stop") final String action)
    {
        final CompletionStage<ExecutorStatus> done = switch (action)
        {
            case "start" -> supervisor.start();
            case "stop" -> supervisor.stop();
            default -> null;
        };
        if (done == null)
        {
            return "usage: jitmem:executor [start|stop]\n" + executor();
        }
        final long boundSeconds = supervisor.actionBoundSeconds();
        try
        {
            return done.toCompletableFuture().get(boundSeconds, TimeUnit.SECONDS).describe();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted; the " + action + " goes on\n" + executor();
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            return "executor " + action + " did not finish within " + boundSeconds + " s: " + ex + "\n" + executor();
        }
    }
}
