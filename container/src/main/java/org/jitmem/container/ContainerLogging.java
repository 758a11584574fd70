package org.jitmem.container;

import java.net.URL;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.slf4j.LoggerFactory;

/**
 * The container's logging, set up by {@link ContainerActivator} at start level 1, before any other bundle starts: the
 * system properties {@code logback.xml} beside this class reads (the log's folder in the state directory, standard
 * error off in the {@code link} mode, whose standard error is the linked program's), then Logback itself, started
 * here through SLF4J so that no bundle meets SLF4J half-initialized (Felix Logback, at start level 2, refuses to run
 * then). {@code logback.configurationFile} names another configuration. Java logging reaches the log once Felix
 * Logback has installed its bridge; until then it goes nowhere, so nothing reaches the console in its two-line form.
 * Each bundle started, and each that failed to, is one line of the log.
 */
final class ContainerLogging
{
    /** System property: the folder of {@code jitmem.log}. */
    static final String LOG_DIRECTORY = "jitmem.log.directory";
    /** System property: the lowest level written to standard error, {@code WARN} by default, {@code OFF} for none. */
    static final String CONSOLE_LEVEL = "jitmem.log.console";
    /** System property: the lowest level written to the file, {@code INFO} by default. */
    static final String LEVEL = "jitmem.log.level";

    private static final String CONFIGURATION_FILE = "logback.configurationFile";
    /** The level of OSGi loggers unless the Log Admin configures another; Felix Log reads it from the system too. */
    private static final String OSGI_LOG_LEVEL = "org.osgi.service.log.admin.loglevel";

    private final SynchronousBundleListener started = ContainerLogging::bundleChanged;
    private final FrameworkListener failures = ContainerLogging::frameworkEvent;

    /**
     * @param context this bundle's context
     */
    void start(final BundleContext context)
    {
        setIfAbsent(LOG_DIRECTORY, StateDirectory.create(context).resolve("log").toString());
        setIfAbsent(OSGI_LOG_LEVEL, System.getProperty(LEVEL, "INFO"));
        final String[] arguments = arguments(context);
        if (arguments.length > 0 && UsageApplication.MODE_LINK.equals(arguments[0]))
        {
            setIfAbsent(CONSOLE_LEVEL, "OFF"); // the linked program's standard error is its own
        }
        final URL configuration = context.getBundle().getEntry("org/jitmem/container/logback.xml");
        if (configuration == null)
        {
            throw new IllegalStateException("logback.xml missing from bundle " + context.getBundle());
        }
        setIfAbsent(CONFIGURATION_FILE, configuration.toString());
        final Logger root = LogManager.getLogManager().getLogger("");
        for (final Handler handler : root.getHandlers())
        {
            root.removeHandler(handler);
        }
        LoggerFactory.getILoggerFactory(); // Logback reads its configuration now, on this thread
        context.addBundleListener(started);
        context.addFrameworkListener(failures);
    }

    /**
     * @param context this bundle's context
     */
    void stop(final BundleContext context)
    {
        context.removeFrameworkListener(failures);
        context.removeBundleListener(started);
    }

    /**
     * @param context a bundle context
     * @return the launcher's arguments, none when there is no launcher's service
     */
    static String[] arguments(final BundleContext context)
    {
        try
        {
            final ServiceReference<?>[] launchers = context.getServiceReferences((String)null,
                "(" + ShellApplication.LAUNCHER_ARGUMENTS + "=*)");
            if (launchers != null &&
                launchers[0].getProperty(ShellApplication.LAUNCHER_ARGUMENTS) instanceof String[] given)
            {
                return given.clone();
            }
            return new String[0];
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void bundleChanged(final BundleEvent event)
    {
        if (event.getType() == BundleEvent.STARTED)
        {
            LoggerFactory.getLogger(ContainerLogging.class).info("started {}", describe(event.getBundle()));
        }
    }

    private static void frameworkEvent(final FrameworkEvent event)
    {
        if (event.getType() == FrameworkEvent.ERROR && event.getBundle().getState() != Bundle.ACTIVE)
        {
            LoggerFactory.getLogger(ContainerLogging.class).error("not started {}", describe(event.getBundle()),
                event.getThrowable());
        }
    }

    private static String describe(final Bundle bundle)
    {
        return bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId() + "]";
    }

    private static void setIfAbsent(final String key, final String value)
    {
        if (System.getProperty(key) == null)
        {
            System.setProperty(key, value);
        }
    }
}
