package org.jitmem.container;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The demo mode of the container. When a bundle declares a demo component, the demo runs, records its exit code in
 * the system property {@value #EXIT_PROPERTY} and stops the system bundle; the container waits for that. Without a
 * demo component the container reports what runs instead: the active bundles and the registered
 * {@code MemoryMapper} services, and succeeds when there is at least one mapper.
 */
final class DemoRun
{
    /** System property in which the demo component leaves its exit code before stopping the framework. */
    static final String EXIT_PROPERTY = "jitmem.demo.exit";

    private static final String MAPPER_CLASS = "org.jitmem.api.MemoryMapper";
    private static final String DEMO_MARKER = "Demo";
    private static final long DEMO_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(
        Long.getLong("jitmem.demo.timeoutSeconds", 300));
    private static final long MAPPER_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(15);
    private static final int EXIT_FAILURE = 1;

    private final FelixContainer container;
    private final PrintStream out;

    DemoRun(final FelixContainer container, final PrintStream out)
    {
        this.container = container;
        this.out = out;
    }

    /**
     * @return the process exit code
     */
    int run()
    {
        final String demoBundle = demoBundle(container.systemContext());
        return demoBundle == null ? reportWithoutDemo() : awaitDemo(demoBundle);
    }

    private int awaitDemo(final String demoBundle)
    {
        out.println("jitmem: demo component found in " + demoBundle + "; waiting up to " +
            TimeUnit.MILLISECONDS.toSeconds(DEMO_TIMEOUT_MILLIS) + " s for it to finish");
        if (!container.awaitStop(DEMO_TIMEOUT_MILLIS))
        {
            out.println("jitmem: the demo did not finish in time");
            report(container.systemContext());
            return EXIT_FAILURE;
        }
        final String exit = System.getProperty(EXIT_PROPERTY);
        if (exit == null)
        {
            out.println("jitmem: the framework stopped without a demo result (" + EXIT_PROPERTY + " not set)");
            return EXIT_FAILURE;
        }
        try
        {
            final int code = Integer.parseInt(exit.trim());
            out.println("jitmem: demo finished, exit code " + code);
            return code;
        }
        catch (final NumberFormatException ex)
        {
            out.println("jitmem: demo result is not a number: " + EXIT_PROPERTY + "=" + exit);
            return EXIT_FAILURE;
        }
    }

    private int reportWithoutDemo()
    {
        final BundleContext context = container.systemContext();
        out.println("jitmem: no demo component installed; waiting up to " +
            TimeUnit.MILLISECONDS.toSeconds(MAPPER_TIMEOUT_MILLIS) + " s for a MemoryMapper service");
        final ServiceTracker<Object, Object> tracker = mapperTracker(context);
        tracker.open();
        try
        {
            tracker.waitForService(MAPPER_TIMEOUT_MILLIS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            tracker.close();
        }
        final int mappers = report(context);
        if (mappers == 0)
        {
            out.println("jitmem: FAILED, no MemoryMapper service is registered");
            return EXIT_FAILURE;
        }
        out.println("jitmem: OK, " + mappers + " MemoryMapper service(s) registered");
        return 0;
    }

    private int report(final BundleContext context)
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
        return mappers.size();
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

    private static ServiceTracker<Object, Object> mapperTracker(final BundleContext context)
    {
        try
        {
            return new ServiceTracker<>(context,
                context.createFilter("(" + Constants.OBJECTCLASS + "=" + MAPPER_CLASS + ")"), null);
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException("bad mapper filter: " + ex.getMessage(), ex);
        }
    }

    /**
     * @param context the system bundle context
     * @return the symbolic name of the first bundle declaring a DS component with "Demo" in its name, or null
     */
    private static String demoBundle(final BundleContext context)
    {
        for (final Bundle bundle : context.getBundles())
        {
            final String components = bundle.getHeaders().get("Service-Component");
            if (bundle.getState() == Bundle.ACTIVE && components != null && components.contains(DEMO_MARKER))
            {
                return bundle.getSymbolicName();
            }
        }
        return null;
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
