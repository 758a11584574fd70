package org.jitmem.demo;

import java.time.Duration;

import org.apache.felix.service.command.Descriptor;
import org.jitmem.launcher.ExecutorSupervisor;
import org.jitmem.runtime.BackendSelector;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo shell command {@code jitmem:demo}. */
@Component(service = DemoCommand.class, property = {
    "osgi.command.scope=jitmem",
    "osgi.command.function=demo"})
public final class DemoCommand
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final BundleContext context;
    private final BackendSelector selector;
    private final ExecutorSupervisor supervisor;

    /**
     * @param context    this bundle's context
     * @param selector   the backend selector
     * @param supervisor the executor supervisor
     */
    @Activate
    public DemoCommand(final BundleContext context, @Reference final BackendSelector selector,
        @Reference final ExecutorSupervisor supervisor)
    {
        this.context = context;
        this.selector = selector;
        this.supervisor = supervisor;
    }

    /** Runs the demo: launch progress, backends, JIT'd code in the executor, a hot swap, statistics and timings. */
    @Descriptor("runs the demo: JIT'd code through the selected backend, a live hot swap, statistics and timings")
    public void demo()
    {
        new Demo(System.out, selector, supervisor, context).run(WAIT);
    }
}
