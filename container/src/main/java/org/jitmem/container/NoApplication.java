package org.jitmem.container;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/**
 * Ends a run that no application takes: bnd's launcher waits for ever for one, so when none is registered 30 s after
 * the launcher's arguments were published (a bundle that did not start leaves the demo's or the linker's component
 * unsatisfied), this offers one that reports the bundles not active and the components waiting for a reference, and
 * returns 1. The framework withdraws that service with this bundle.
 */
@Component
public final class NoApplication
{
    private static final long TIMEOUT_SECONDS = 30;
    private static final int EXIT_FAILURE = 1;
    private static final String APPLICATION_FILTER = "(" + ShellApplication.MAIN_THREAD + "=true)";

    private final BundleContext context;
    private final ServiceComponentRuntime components;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task ->
    {
        final Thread thread = new Thread(task, "jitmem-no-application");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param context    this bundle's context, to look for an application and to offer the report as one
     * @param launcher   the launcher's service, present once the arguments are published
     * @param components SCR's view of the components, for the report
     */
    @Activate
    public NoApplication(final BundleContext context, @Reference(service = Object.class,
        target = "(" + ShellApplication.LAUNCHER_ARGUMENTS + "=*)") final Map<String, Object> launcher,
        @Reference final ServiceComponentRuntime components)
    {
        this.context = context;
        this.components = components;
        timer.schedule(this::offerReportIfNoApplication, TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Cancels the wait. */
    @Deactivate
    public void deactivate()
    {
        timer.shutdownNow();
    }

    private void offerReportIfNoApplication()
    {
        try
        {
            if (context.getServiceReferences(Callable.class, APPLICATION_FILTER).isEmpty())
            {
                final Dictionary<String, Object> properties = new Hashtable<>(
                    Map.of(ShellApplication.MAIN_THREAD, Boolean.TRUE));
                context.registerService(Callable.class, new Report(), properties);
            }
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException("bad application filter: " + APPLICATION_FILTER, ex);
        }
        catch (final IllegalStateException ex)
        {
            // The bundle stopped meanwhile: the run is ending anyway.
        }
    }

    /** The report; a {@code Callable<Integer>} by its class, the only kind bnd's launcher accepts. */
    private final class Report implements Callable<Integer>
    {
        @Override
        public Integer call()
        {
            System.err.println("jitmem: no application for these arguments within " + TIMEOUT_SECONDS + " s");
            for (final Bundle bundle : context.getBundles())
            {
                if (bundle.getState() != Bundle.ACTIVE && bundle.getHeaders().get("Fragment-Host") == null)
                {
                    System.err.println("  bundle not active: " + bundle.getSymbolicName() + " " +
                        bundle.getVersion() + (bundle.getState() == Bundle.INSTALLED ? " (not resolved)" : ""));
                }
            }
            for (final ComponentDescriptionDTO description : components.getComponentDescriptionDTOs())
            {
                for (final ComponentConfigurationDTO configuration :
                    components.getComponentConfigurationDTOs(description))
                {
                    for (final UnsatisfiedReferenceDTO reference : configuration.unsatisfiedReferences)
                    {
                        if (reference.target != null &&
                            reference.target.contains(ShellApplication.LAUNCHER_ARGUMENTS))
                        {
                            continue; // an application for other arguments
                        }
                        System.err.println("  component waiting: " + description.name + " reference=" +
                            reference.name + " target=" + reference.target);
                    }
                }
            }
            return EXIT_FAILURE;
        }
    }
}
