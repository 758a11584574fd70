package org.jitmem.container;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The shell as the launcher's application when it was given no arguments: Gogo's JLine shell (TAB completes) on the
 * launcher's main thread ({@code Callable<Integer>} with {@code main.thread=true}, as bnd's launcher runs it), ended by
 * Ctrl-D with status 0 ({@code stop 0} stops the framework under the shell, which bnd's launcher reports as status
 * 117). Gogo's own console is off ({@code gosh.args=--nointeractive} in the bndrun) so that the other
 * applications ({@code demo}, {@code link}) keep standard input and output to themselves. The shell alone opens the
 * Web Console ({@link WebConsoleAccess}), on 127.0.0.1, and prints its address before the prompt.
 */
@Component
public final class ShellApplication
{
    /** Service property of the launcher's service: the command-line arguments, a {@code String[]}. */
    static final String LAUNCHER_ARGUMENTS = "launcher.arguments";
    /** Service property of an application the launcher runs on its main thread. */
    static final String MAIN_THREAD = "main.thread";

    private final ServiceRegistration<?> registration;

    /**
     * @param context   this bundle's context, to offer the console as the application
     * @param launcher  the launcher's service properties, its arguments among them
     * @param processor      Gogo's command processor
     * @param configurations Config Admin, to open the Web Console
     */
    @Activate
    public ShellApplication(final BundleContext context,
        @Reference(service = Object.class, target = "(" + LAUNCHER_ARGUMENTS + "=*)") final Map<String, Object> launcher,
        @Reference final CommandProcessor processor, @Reference final ConfigurationAdmin configurations)
    {
        final boolean noArguments = launcher.get(LAUNCHER_ARGUMENTS) instanceof String[] arguments &&
            arguments.length == 0;
        if (noArguments)
        {
            WebConsoleAccess.enable(context, configurations, StateDirectory.create(context), System.out);
        }
        final Dictionary<String, Object> properties = new Hashtable<>(Map.of(MAIN_THREAD, Boolean.TRUE));
        this.registration = noArguments ?
            context.registerService(Callable.class, new Console(context, processor), properties) : null;
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

    /** The application proper: bnd's launcher accepts a {@code Callable} only when it is a {@code Callable<Integer>}. */
    private static final class Console implements Callable<Integer>
    {
        private final BundleContext context;
        private final CommandProcessor processor;

        Console(final BundleContext context, final CommandProcessor processor)
        {
            this.context = context;
            this.processor = processor;
        }

        @Override
        public Integer call() throws Exception
        {
            final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
            WebConsoleAccess.announce(context, out);
            out.println("jitmem: Gogo shell ready; try 'lb', 'scr:list', 'help' or TAB; Ctrl-D leaves");
            out.flush();
            final Thread thread = Thread.currentThread();
            final ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(Terminal.class.getClassLoader()); // JLine finds its terminal providers there
            try (Terminal terminal = TerminalBuilder.builder().name("jitmem").system(true).nativeSignals(true)
                .signalHandler(Terminal.SignalHandler.SIG_IGN).build();
                CommandSession session = processor.createSession(terminal.input(), terminal.output(),
                    terminal.output()))
            {
                session.put(".terminal", terminal);
                // Called, not executed: an executed gosh is a foreground job its session waits for after each command.
                ((Function)session.get("gogo:gosh")).execute(session, List.of("--login", "--noshutdown"));
            }
            finally
            {
                thread.setContextClassLoader(previous);
            }
            return 0;
        }
    }
}
