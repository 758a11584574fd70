package org.jitmem.health.internal;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collection;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MapperProperties;
import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.launcher.ExecutorSupervisor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

/**
 * OK when the supervised executor runs and answers a call through its channel ({@value #PING} with random bytes,
 * which it returns) within the configured time; CRITICAL when it is down, has no channel, fails or is late; WARN when
 * launching is disabled.
 */
@Component(service = HealthCheck.class, configurationPid = HealthConfiguration.PID,
    configurationPolicy = ConfigurationPolicy.OPTIONAL, property = {
    HealthCheck.NAME + "=jitmem executor answers",
    HealthCheck.TAGS + "=jitmem",
    HealthCheck.MBEAN_NAME + "=jitmemExecutorAnswers"})
public final class ExecutorCheck implements HealthCheck
{
    /** The executor's echo function, which every executor has. */
    static final String PING = "executor.ping";

    private static final int PING_BYTES = 16;

    private final ExecutorSupervisor supervisor;
    private final BundleContext context;
    private final long timeoutMillis;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param supervisor    the executor supervisor
     * @param context       this bundle's context, to find the executor's channel at each check
     * @param configuration the settings
     */
    @Activate
    public ExecutorCheck(@Reference final ExecutorSupervisor supervisor, final BundleContext context,
        final HealthConfiguration configuration)
    {
        this.supervisor = supervisor;
        this.context = context;
        this.timeoutMillis = configuration.executorTimeoutMillis();
    }

    @Override
    public Result execute()
    {
        final ExecutorStatus status = supervisor.status();
        if (status.phase() == ExecutorStatus.Phase.DISABLED)
        {
            return new Result(Result.Status.WARN, "executor launching is disabled: " + status.detail());
        }
        if (status.phase() != ExecutorStatus.Phase.RUNNING || !status.alive())
        {
            return new Result(Result.Status.CRITICAL, "executor not running: phase=" + status.phase() +
                " lastExit=" + (status.lastExit().isEmpty() ? "none" : status.lastExit()) + " restarts=" +
                status.restarts() + " (start it with jitmem:executor start)");
        }
        final Collection<ServiceReference<ExecutorChannel>> channels;
        try
        {
            channels = context.getServiceReferences(ExecutorChannel.class,
                "(" + MapperProperties.EXECUTOR_PID + "=" + status.pid() + ")");
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException("filter: " + ex.getMessage(), ex);
        }
        if (channels.isEmpty())
        {
            return new Result(Result.Status.CRITICAL, "executor runs but has no channel: pid=" + status.pid());
        }
        final ServiceReference<ExecutorChannel> reference = channels.iterator().next();
        final ExecutorChannel channel = context.getService(reference);
        if (channel == null)
        {
            return new Result(Result.Status.CRITICAL, "executor channel went away: pid=" + status.pid());
        }
        try
        {
            return ping(channel, status.pid());
        }
        finally
        {
            context.ungetService(reference);
        }
    }

    private Result ping(final ExecutorChannel channel, final long pid)
    {
        final byte[] argument = new byte[PING_BYTES];
        random.nextBytes(argument);
        final long start = System.nanoTime();
        try
        {
            final byte[] answer = channel.call(PING, argument).toCompletableFuture()
                .get(timeoutMillis, TimeUnit.MILLISECONDS);
            final long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            return Arrays.equals(argument, answer) ?
                new Result(Result.Status.OK, "executor answers: pid=" + pid + " roundTripMicros=" + micros) :
                new Result(Result.Status.CRITICAL, "executor answered wrongly: pid=" + pid + " function=" + PING);
        }
        catch (final TimeoutException ex)
        {
            return new Result(Result.Status.CRITICAL, "executor did not answer: pid=" + pid + " timeoutMillis=" +
                timeoutMillis);
        }
        catch (final ExecutionException ex)
        {
            return new Result(Result.Status.CRITICAL, "executor call failed: pid=" + pid + " error=" +
                ex.getCause().getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return new Result(Result.Status.CRITICAL, "executor check interrupted: pid=" + pid);
        }
    }
}
