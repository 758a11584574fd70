package org.jitmem.runtime.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jitmem.runtime.BackendSelector;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo shell commands in scope {@code jitmem}: backends, stats, pin, executor and demo. */
@Component(service = JitmemCommands.class, property = {
    "osgi.command.scope=jitmem",
    "osgi.command.function=backends",
    "osgi.command.function=stats",
    "osgi.command.function=pin",
    "osgi.command.function=executor",
    "osgi.command.function=demo"})
public final class JitmemCommands
{
    private static final Duration DEMO_WAIT = Duration.ofSeconds(30);

    private final BackendSelector selector;
    private final ExecutorLauncher launcher;
    private final BundleContext context;

    /**
     * @param context  this bundle's context
     * @param selector the backend selector
     * @param launcher the executor launcher
     */
    @Activate
    public JitmemCommands(final BundleContext context, @Reference final BackendSelector selector,
        @Reference final ExecutorLauncher launcher)
    {
        this.context = context;
        this.selector = selector;
        this.launcher = launcher;
    }

    /** @return the backends present, properties included, the selected one marked */
    public String backends()
    {
        return Report.backends(selector);
    }

    /** @return reserved, used and free bytes, reservations and allocations per mapper */
    public String stats()
    {
        return Report.statistics(selector);
    }

    /**
     * @param type a backend type, or {@code none} for the best backend present
     * @return the backends after pinning
     */
    public String pin(final String type)
    {
        selector.pin("none".equalsIgnoreCase(type) ? "" : type);
        return Report.backends(selector);
    }

    /** @return the executor's state: pid, socket, uptime, whether it is alive, and how the previous one ended */
    public String executor()
    {
        return Report.executor(launcher.status());
    }

    /**
     * @param action {@code start} or {@code stop}
     * @return the executor's state once the action is done
     */
    public String executor(final String action)
    {
        final CompletableFuture<ExecutorStatus> done = switch (action)
        {
            case "start" -> launcher.start();
            case "stop" -> launcher.stop();
            default -> null;
        };
        if (done == null)
        {
            return "usage: jitmem:executor [start|stop]\n" + executor();
        }
        final LauncherSettings settings = launcher.settings();
        final long boundSeconds = settings.startTimeout().toSeconds() + 2 * settings.stopTimeout().toSeconds();
        try
        {
            return Report.executor(done.get(boundSeconds, TimeUnit.SECONDS));
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

    /** Runs the demo: launch progress, backends, JIT'd code in the executor, a hot swap, statistics and timings. */
    public void demo()
    {
        new Demo(System.out, selector, launcher, context).run(DEMO_WAIT);
    }
}
