package org.jitmem.container;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Runs the container's application: the service that a bundle registers as {@code Callable<Integer>} with
 * {@code main.thread=true} for the arguments the launcher publishes (bnd's launcher's conventions). It is called on
 * the main thread and its result is the exit code. When no bundle offers one in time, the container reports what runs
 * instead (the bundles and the {@code MemoryMapper} services) and fails.
 */
final class ApplicationRun
{
    /** Service property of an application the launcher runs on its main thread. */
    static final String MAIN_THREAD = "main.thread";

    private static final String MAPPER_CLASS = "org.jitmem.api.MemoryMapper";
    private static final long APPLICATION_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(30);
    private static final int EXIT_FAILURE = 1;

    private final FelixContainer container;
    private final PrintStream out;

    ApplicationRun(final FelixContainer container, final PrintStream out)
    {
        this.container = container;
        this.out = out;
    }

    /**
     * @return the process exit code
     */
    int run()
    {
        final BundleContext context = container.systemContext();
        final ServiceTracker<Callable<?>, Callable<?>> tracker = applicationTracker(context);
        tracker.open();
        try
        {
            final Callable<?> application = tracker.waitForService(APPLICATION_TIMEOUT_MILLIS);
            if (application == null)
            {
                out.println("jitmem: no application for these arguments within " +
                    TimeUnit.MILLISECONDS.toSeconds(APPLICATION_TIMEOUT_MILLIS) + " s");
                report(context);
                return EXIT_FAILURE;
            }
            final Object result = application.call();
            return result instanceof Integer code ? code : 0;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            out.println("jitmem: interrupted");
            return EXIT_FAILURE;
        }
        catch (final Exception ex)
        {
            out.println("jitmem: the application failed: " + ex);
            return EXIT_FAILURE;
        }
        finally
        {
            tracker.close();
        }
    }

    private void report(final BundleContext context)
    {
        out.println("jitmem: bundles");
        for (final Bundle bundle : context.getBundles())
        {
            out.println("  " + stateName(bundle.getState()) + "  " + FelixContainer.describe(bundle));
        }
        final List<ServiceReference<?>> mappers = mapperReferences(context);
        out.println("jitmem: MemoryMapper services: " + mappers.size());
        for (final ServiceReference<?> mapper : mappers)
        {
            final StringBuilder line = new StringBuilder("  from ")
                .append(mapper.getBundle().getSymbolicName()).append(':');
            for (final String key : mapper.getPropertyKeys())
            {
                if (key.startsWith("jitmem.") || Constants.SERVICE_RANKING.equals(key))
                {
                    line.append(' ').append(key).append('=').append(valueText(mapper.getProperty(key)));
                }
            }
            out.println(line);
        }
    }

    private static List<ServiceReference<?>> mapperReferences(final BundleContext context)
    {
        try
        {
            final ServiceReference<?>[] references = context.getAllServiceReferences(MAPPER_CLASS, null);
            return references == null ? List.of() : List.of(references);
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException("no filter was given", ex);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ServiceTracker<Callable<?>, Callable<?>> applicationTracker(final BundleContext context)
    {
        try
        {
            return new ServiceTracker(context, context.createFilter("(&(" + Constants.OBJECTCLASS + "=" +
                Callable.class.getName() + ")(" + MAIN_THREAD + "=true))"), null);
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException("bad application filter: " + ex.getMessage(), ex);
        }
    }

    private static String valueText(final Object value)
    {
        return value instanceof Object[] array ? Arrays.toString(array) : String.valueOf(value);
    }

    private static String stateName(final int state)
    {
        return switch (state)
        {
            case Bundle.ACTIVE -> "ACTIVE   ";
            case Bundle.RESOLVED -> "RESOLVED ";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING ";
            case Bundle.STOPPING -> "STOPPING ";
            default -> "state=" + state;
        };
    }
}
