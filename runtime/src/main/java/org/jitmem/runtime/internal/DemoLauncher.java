package org.jitmem.runtime.internal;

import java.io.PrintStream;
import java.time.Duration;

import org.jitmem.runtime.BackendSelector;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Runs the demo once when the framework property {@value #MODE_PROPERTY} is {@code demo}, then records the outcome in
 * the system property {@value #EXIT_PROPERTY} (0 or 1) and stops the framework.
 */
@Component(service = {}, immediate = true)
public final class DemoLauncher
{
    /** Framework property selecting the run mode. */
    static final String MODE_PROPERTY = "jitmem.mode";
    /** System property set to the demo's exit status. */
    static final String EXIT_PROPERTY = "jitmem.demo.exit";
    /** Framework property: seconds to wait for a memory mapper, 30 by default. */
    static final String WAIT_PROPERTY = "jitmem.demo.waitSeconds";

    private static final long DEFAULT_WAIT_SECONDS = 30;
    private static final long JOIN_MILLIS = 10_000;

    private final Thread demoThread;

    /**
     * @param context  this bundle's context
     * @param selector the backend selector
     * @param launcher the executor launcher
     */
    @Activate
    public DemoLauncher(final BundleContext context, @Reference final BackendSelector selector,
        @Reference final ExecutorLauncher launcher)
    {
        if ("demo".equals(context.getProperty(MODE_PROPERTY)))
        {
            final Duration wait = Duration.ofSeconds(waitSeconds(context.getProperty(WAIT_PROPERTY)));
            final Demo demo = new Demo(System.out, selector, launcher, context);
            demoThread = new Thread(() -> runAndStop(context, demo, wait), "jitmem-demo");
            demoThread.start();
        }
        else
        {
            demoThread = null;
        }
    }

    /** Interrupts a demo still running and waits, bounded, for it to end. */
    @Deactivate
    void deactivate()
    {
        if (demoThread != null && demoThread != Thread.currentThread())
        {
            demoThread.interrupt();
            try
            {
                demoThread.join(JOIN_MILLIS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void runAndStop(final BundleContext context, final Demo demo, final Duration wait)
    {
        final PrintStream out = System.out;
        final boolean success = demo.run(wait);
        System.setProperty(EXIT_PROPERTY, success ? "0" : "1");
        out.println(success ? "demo finished: exit status 0" : "demo failed: exit status 1");
        out.flush();
        try
        {
            context.getBundle(0).stop();
        }
        catch (final BundleException | IllegalStateException ex)
        {
            System.err.println("stopping the framework failed: " + ex);
        }
    }

    private static long waitSeconds(final String text)
    {
        if (text == null || text.isBlank())
        {
            return DEFAULT_WAIT_SECONDS;
        }
        try
        {
            return Math.max(1, Long.parseLong(text.trim()));
        }
        catch (final NumberFormatException ex)
        {
            System.err.println("ignoring framework property " + WAIT_PROPERTY + ": not a number: value=" + text);
            return DEFAULT_WAIT_SECONDS;
        }
    }
}
