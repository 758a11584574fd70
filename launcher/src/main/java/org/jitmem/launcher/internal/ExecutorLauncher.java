package org.jitmem.launcher.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Hashtable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.ExecutorInfo;
import org.jitmem.api.MapperProperties;
import org.jitmem.launcher.ExecutorStatus.Phase;
import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.launcher.ExecutorSupervisor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Launches the embedded executor program as a supervised child process and registers its channel as an
 * {@link ExecutorChannel} service while it runs. When the executor ends or its channel closes, the service is
 * unregistered at once and the executor's private directory removed; with the restart policy on, a new executor is
 * started. Deactivation stops the executor: no process, socket or directory outlives the component.
 * <p>
 * Starts, stops and clean-ups run one at a time on the launcher's own thread; the lock guards only the fields.
 */
@Component(service = ExecutorSupervisor.class, immediate = true, configurationPid = LauncherConfiguration.PID)
@Designate(ocd = LauncherConfiguration.class)
public final class ExecutorLauncher implements ExecutorSupervisor
{
    /** Service property: the executor's page size in bytes, a Long. */
    static final String PAGE_SIZE = "jitmem.executor.pageSize";
    /** Service property: the executor's socket, a String. */
    static final String SOCKET = "jitmem.executor.socket";
    /** Service property: the executor's architecture, a String. */
    static final String ARCHITECTURE = "jitmem.executor.architecture";
    /** Service property: the executor's operating system, a String. */
    static final String OS = "jitmem.executor.os";
    /** Service property: the channel protocol version, an Integer. */
    static final String PROTOCOL_VERSION = "jitmem.executor.protocolVersion";

    private static final long SHUTDOWN_MARGIN_SECONDS = 5;

    private final BundleContext context;
    private final Logger log;
    private final LauncherSettings settings;
    private final ScheduledExecutorService worker;
    /** When each restart within the window was scheduled, oldest first, from {@link System#nanoTime}. */
    private final ArrayDeque<Long> restartTimes = new ArrayDeque<>();
    private Running current;
    private ExecutorStatus status;
    private boolean active = true;

    /**
     * @param context       this bundle's context
     * @param configuration the launcher settings
     * @param log           this component's logger, which also gets the executor's standard error
     */
    @Activate
    public ExecutorLauncher(final BundleContext context, final LauncherConfiguration configuration,
        @Reference(service = LoggerFactory.class) final Logger log)
    {
        this(context, LauncherSettings.from(configuration), log);
    }

    /**
     * @param context  the context that registers the channel service
     * @param settings the launcher settings
     * @param log      where events go
     */
    ExecutorLauncher(final BundleContext context, final LauncherSettings settings, final Logger log)
    {
        this.context = context;
        this.log = log;
        this.settings = settings;
        this.worker = Executors.newSingleThreadScheduledExecutor(task ->
        {
            final Thread thread = new Thread(task, "jitmem-executor-launcher");
            thread.setDaemon(true);
            return thread;
        });
        final String osName = context.getProperty(Constants.FRAMEWORK_OS_NAME);
        if (!LauncherSettings.supportedPlatform(osName))
        {
            status = idle(Phase.DISABLED, "not supported on this platform: osName=" + osName);
        }
        else if (!settings.enabled())
        {
            status = idle(Phase.DISABLED, "disabled by configuration: pid=" + LauncherConfiguration.PID);
        }
        else
        {
            status = idle(Phase.STARTING, "queued");
            worker.execute(this::launch);
        }
    }

    /** Stops the executor, waiting a bounded time for a start in progress to give up first. */
    @Deactivate
    void deactivate()
    {
        synchronized (this)
        {
            active = false;
        }
        worker.shutdownNow();
        try
        {
            if (!worker.awaitTermination(settings.startTimeout().toSeconds() + 2 * settings.stopTimeout().toSeconds() +
                SHUTDOWN_MARGIN_SECONDS, TimeUnit.SECONDS))
            {
                log.warn("the launcher thread did not end in time");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        stopCurrent("stopped with the launcher");
    }

    @Override
    public synchronized ExecutorStatus status()
    {
        return status;
    }

    @Override
    public long actionBoundSeconds()
    {
        return settings.startTimeout().toSeconds() + 2 * settings.stopTimeout().toSeconds();
    }

    @Override
    public CompletableFuture<ExecutorStatus> start()
    {
        synchronized (this)
        {
            if (status.phase() == Phase.DISABLED)
            {
                return CompletableFuture.completedFuture(status);
            }
            status = new ExecutorStatus(status.phase(), status.pid(), status.socket(), status.startedAt(),
                status.detail(), status.lastExit(), 0);
            restartTimes.clear();
        }
        return onWorker(this::launch);
    }

    /**
     * Stops the executor: its service is unregistered, its channel closed, the process waited for (killed when it
     * does not exit in time) and its directory removed.
     */
    @Override
    public CompletableFuture<ExecutorStatus> stop()
    {
        return onWorker(() -> stopCurrent("stopped on request"));
    }

    private CompletableFuture<ExecutorStatus> onWorker(final Runnable task)
    {
        final CompletableFuture<ExecutorStatus> done = new CompletableFuture<>();
        try
        {
            worker.execute(() ->
            {
                try
                {
                    task.run();
                }
                finally
                {
                    done.complete(status());
                }
            });
        }
        catch (final RejectedExecutionException ex)
        {
            done.complete(status());
        }
        return done;
    }

    private void launch()
    {
        synchronized (this)
        {
            if (!active || current != null)
            {
                return;
            }
            status = status.with(Phase.STARTING, "starting");
        }
        final LaunchedExecutor launched;
        try
        {
            launched = LaunchedExecutor.launch(settings, this::progress, log);
        }
        catch (final RuntimeException ex)
        {
            if (!isActive())
            {
                // Stopping the launcher interrupts a start in progress: nothing failed.
                log.debug("executor launch abandoned, the launcher is stopping: {}", ex.getMessage());
                return;
            }
            log.warn("executor launch failed: " + ex.getMessage());
            recordEnd("start failed: " + ex.getMessage());
            return;
        }
        final Running running = new Running(launched);
        synchronized (this)
        {
            if (active)
            {
                current = running;
                status = new ExecutorStatus(Phase.RUNNING, launched.pid(), launched.socket(), launched.startedAt(),
                    "channel registered", status.lastExit(), status.restarts());
            }
        }
        if (current() != running)
        {
            launched.stop();
            return;
        }
        running.register();
        launched.ended().thenAccept(reason -> onEnded(running, reason));
        log.info("executor running: pid={} socket={}", Long.toString(launched.pid()),
            launched.socket());
    }

    private void progress(final String detail)
    {
        synchronized (this)
        {
            status = status.with(Phase.STARTING, detail);
        }
        log.debug("executor launch: {}", detail);
    }

    /** Called on whichever thread noticed the end: the service goes at once, the clean-up on the worker. */
    private void onEnded(final Running running, final String reason)
    {
        running.unregister();
        synchronized (this)
        {
            if (current == running)
            {
                status = status.with(Phase.STOPPING, "ended: " + reason);
            }
        }
        try
        {
            worker.execute(() -> reap(running, reason));
        }
        catch (final RejectedExecutionException ex)
        {
            log.debug("launcher shutting down; it cleans up the executor itself: pid={}",
                Long.toString(running.launched.pid()));
        }
    }

    private void reap(final Running running, final String reason)
    {
        synchronized (this)
        {
            if (current != running)
            {
                return;
            }
            current = null;
        }
        final String exit = running.launched.stop();
        log.warn("executor ended unexpectedly: pid={} reason={} exit={}",
            Long.toString(running.launched.pid()), reason, exit);
        recordEnd(reason.contains(exit) ? reason : exit.contains(reason) ? exit : reason + ", " + exit);
    }

    private void stopCurrent(final String why)
    {
        final Running running;
        synchronized (this)
        {
            running = current;
            current = null;
            if (running != null)
            {
                status = status.with(Phase.STOPPING, why);
            }
        }
        if (running == null)
        {
            return;
        }
        running.unregister();
        final String exit = running.launched.stop();
        log.info("executor stopped: pid={} exit={}", Long.toString(running.launched.pid()), exit);
        synchronized (this)
        {
            status = new ExecutorStatus(Phase.STOPPED, 0, null, null, why, why + ": pid=" + running.launched.pid() +
                " " + exit, 0);
        }
    }

    /**
     * Records an executor that failed or ended on its own, and schedules a restart when the policy allows one: fewer
     * than {@code maxRestarts} restarts within the window, each waiting twice as long as the one before. Giving up is
     * said once, with how to start an executor by hand.
     */
    private void recordEnd(final String lastExit)
    {
        final boolean restart;
        final Duration delay;
        final int recent;
        synchronized (this)
        {
            final long now = System.nanoTime();
            while (!restartTimes.isEmpty() && now - restartTimes.peekFirst() > settings.restartWindow().toNanos())
            {
                restartTimes.removeFirst();
            }
            recent = restartTimes.size();
            restart = active && settings.restartOnFailure() && recent < settings.maxRestarts();
            delay = settings.restartDelayAfter(recent);
            if (restart)
            {
                restartTimes.addLast(now);
            }
            final int restarts = restart ? status.restarts() + 1 : status.restarts();
            status = new ExecutorStatus(restart ? Phase.STARTING : Phase.STOPPED, 0, null, null,
                restart ? "restart " + (recent + 1) + " of " + settings.maxRestarts() + " within " +
                    settings.restartWindow().toSeconds() + " s, in " + delay.toMillis() + " ms" :
                    giveUpDetail(lastExit, recent), lastExit, restarts);
        }
        if (!restart)
        {
            if (active && settings.restartOnFailure())
            {
                log.warn("executor keeps failing, not restarted: restarts={} windowSeconds={} " +
                    "lastExit={}; start one by hand with 'jitmem:executor start'", Integer.toString(recent),
                    Long.toString(settings.restartWindow().toSeconds()), lastExit);
            }
            return;
        }
        try
        {
            worker.schedule(this::launch, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final RejectedExecutionException ex)
        {
            log.debug("launcher shutting down; no restart");
        }
    }

    private String giveUpDetail(final String lastExit, final int recent)
    {
        if (!settings.restartOnFailure())
        {
            return lastExit + "; restart on failure is off: start one with 'jitmem:executor start'";
        }
        return lastExit + "; gave up after " + recent + " restarts within " + settings.restartWindow().toSeconds() +
            " s: start one with 'jitmem:executor start'";
    }

    private synchronized boolean isActive()
    {
        return active;
    }

    private synchronized Running current()
    {
        return current;
    }

    private ExecutorStatus idle(final Phase phase, final String detail)
    {
        return new ExecutorStatus(phase, 0, null, null, detail, "", 0);
    }

    /** A launched executor and its service registration, which register and unregister race for without a lock. */
    private final class Running
    {
        private final LaunchedExecutor launched;
        private final AtomicReference<ServiceRegistration<ExecutorChannel>> registration = new AtomicReference<>();
        private final AtomicBoolean retired = new AtomicBoolean();

        private Running(final LaunchedExecutor launched)
        {
            this.launched = launched;
        }

        void register()
        {
            final ExecutorInfo executor = launched.channel().executor();
            final Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(MapperProperties.EXECUTOR_PID, executor.pid());
            properties.put(PAGE_SIZE, executor.pageSize());
            properties.put(SOCKET, launched.socket().toString());
            properties.put(ARCHITECTURE, executor.architecture());
            properties.put(OS, executor.os());
            properties.put(PROTOCOL_VERSION, executor.protocolVersion());
            properties.put(Constants.SERVICE_DESCRIPTION, "jitmem executor launched by the runtime");
            registration.set(context.registerService(ExecutorChannel.class, launched.channel(), properties));
            if (retired.get())
            {
                unregisterOnce();
            }
        }

        void unregister()
        {
            retired.set(true);
            unregisterOnce();
        }

        private void unregisterOnce()
        {
            final ServiceRegistration<ExecutorChannel> registered = registration.getAndSet(null);
            if (registered != null)
            {
                try
                {
                    registered.unregister();
                }
                catch (final IllegalStateException alreadyGone)
                {
                    log.debug("executor channel service already unregistered: pid={}",
                        Long.toString(launched.pid()));
                }
            }
        }
    }
}
