package org.jitmem.container;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * This bundle's activator, at start level 1, before every other bundle: sets up the shell's home
 * ({@link ShellHome}) and the log ({@link ContainerLogging}) for the mode the launcher's arguments ask for.
 */
public final class ContainerActivator implements BundleActivator
{
    private final ContainerLogging logging = new ContainerLogging();

    /**
     * @param context this bundle's context
     */
    @Override
    public void start(final BundleContext context)
    {
        ShellHome.prepare(context);
        logging.start(context);
    }

    /**
     * @param context this bundle's context
     */
    @Override
    public void stop(final BundleContext context)
    {
        logging.stop(context);
    }
}
