package org.jitmem.demo;

import java.time.Duration;
import java.util.concurrent.Callable;

import org.jitmem.launcher.ExecutorSupervisor;
import org.jitmem.runtime.BackendSelector;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The demo as the container's application: present only while the launcher's arguments are {@code demo}, it is a
 * {@code Callable<Integer>} with {@code main.thread=true}, which the launcher calls on its main thread and whose
 * result is the process's exit code. The launcher publishes its arguments as the {@code launcher.arguments} property
 * of a service, as bnd's launcher does.
 */
@Component(service = Callable.class, property = DemoApplication.MAIN_THREAD + "=true")
public final class DemoApplication implements Callable<Integer>
{
    /** Service property of the launcher's service: the command-line arguments, a {@code String[]}. */
    public static final String LAUNCHER_ARGUMENTS = "launcher.arguments";
    /** Service property of an application the launcher runs on its main thread. */
    public static final String MAIN_THREAD = "main.thread";

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final BundleContext context;
    private final BackendSelector selector;
    private final ExecutorSupervisor supervisor;

    /**
     * @param context    this bundle's context, to stop and start the shared-memory backend
     * @param launcher   the launcher's service, present when it was started to run the demo
     * @param selector   the backend selector
     * @param supervisor the executor supervisor
     */
    @Activate
    public DemoApplication(final BundleContext context,
        @Reference(service = Object.class, target = "(" + LAUNCHER_ARGUMENTS + "=demo)") final Object launcher,
        @Reference final BackendSelector selector, @Reference final ExecutorSupervisor supervisor)
    {
        this.context = context;
        this.selector = selector;
        this.supervisor = supervisor;
    }

    /** @return 0 when every result was right, 1 otherwise */
    @Override
    public Integer call()
    {
        return new Demo(System.out, selector, supervisor, context).run(WAIT) ? 0 : 1;
    }
}
