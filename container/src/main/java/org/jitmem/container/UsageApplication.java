package org.jitmem.container;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The usage as the launcher's application for arguments no mode takes: bnd's launcher waits for ever for an
 * application, so one that prints the usage and returns 2 (0 for {@code -h} and {@code --help}) stands in for the
 * modes that are not asked for.
 */
@Component
public final class UsageApplication
{
    /** The first argument of the demo. */
    static final String MODE_DEMO = "demo";
    /** The first argument of the linker's mode. */
    static final String MODE_LINK = "link";
    /** The first arguments the container's applications take. */
    static final List<String> MODES = List.of(MODE_DEMO, MODE_LINK);

    private static final String USAGE = "usage: java -jar jitmem-container.jar [demo | link [--backend type] a.o... " +
        "[-- args...]]";
    private static final int EXIT_USAGE = 2;

    private final ServiceRegistration<?> registration;

    /**
     * @param context  this bundle's context, to offer the usage as the application
     * @param launcher the launcher's service properties, its arguments among them
     */
    @Activate
    public UsageApplication(final BundleContext context, @Reference(service = Object.class,
        target = "(" + ShellApplication.LAUNCHER_ARGUMENTS + "=*)") final Map<String, Object> launcher)
    {
        final String[] arguments = launcher.get(ShellApplication.LAUNCHER_ARGUMENTS) instanceof String[] given ?
            given : new String[0];
        final Dictionary<String, Object> properties = new Hashtable<>(
            Map.of(ShellApplication.MAIN_THREAD, Boolean.TRUE));
        this.registration = arguments.length > 0 && !MODES.contains(arguments[0]) ?
            context.registerService(Callable.class, new Usage(isHelp(arguments) ? 0 : EXIT_USAGE), properties) : null;
    }

    /** Withdraws the application. */
    @Deactivate
    public void deactivate()
    {
        if (registration != null)
        {
            registration.unregister();
        }
    }

    private static boolean isHelp(final String[] arguments)
    {
        return arguments.length == 1 && ("-h".equals(arguments[0]) || "--help".equals(arguments[0]));
    }

    /** Prints the usage; a {@code Callable<Integer>}, the only kind bnd's launcher accepts. */
    private static final class Usage implements Callable<Integer>
    {
        private final int exitCode;

        Usage(final int exitCode)
        {
            this.exitCode = exitCode;
        }

        @Override
        public Integer call()
        {
            System.out.println(USAGE);
            return exitCode;
        }
    }
}
