package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryProtection;
import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.launcher.ExecutorSupervisor;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The jitmem health checks (tag {@code jitmem}) in a real Felix: each is OK in the normal state and turns to the
 * right status when its condition breaks.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HealthChecksIT extends FelixTestSupport
{
    private static final String HEALTH_PID = "org.jitmem.health";
    private static final String INPROCESS_PID = "org.jitmem.backend.inprocess";
    private static final long KIB = 1 << 10;
    private static final long MIB = 1 << 20;

    /** @return the framework of every test class plus the health checks and the API they use */
    @Configuration
    @Override
    public Option[] config()
    {
        final List<Option> health = new ArrayList<>();
        // The health check API logs through SLF4J 1.7: the test's own class path offers it.
        health.add(systemPackages("org.slf4j;version=1.7.36", "org.slf4j.helpers;version=1.7.36"));
        final Path directory = Paths.get(System.getProperty("jitmem.itest.bundles")).resolveSibling("health-bundles");
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(directory, "*.jar"))
        {
            jars.forEach(jar -> health.add(bundle(jar.toUri().toString())));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("health check bundles not copied: directory=" + directory, ex);
        }
        return OptionUtils.combine(super.config(), health.toArray(Option[]::new));
    }

    /** OK while a backend is selected; CRITICAL, naming the pin, once pinned to a type no backend has. */
    @Test
    public void backendSelectedTurnsCriticalWhenPinnedToAnAbsentType()
    {
        try (TrackedService<BackendSelector> selector = awaitService(BackendSelector.class, null))
        {
            awaitStatus("jitmem backend selected", Result.Status.OK);
            selector.service().pin("absent-type");
            try
            {
                final Result result = awaitStatus("jitmem backend selected", Result.Status.CRITICAL);
                assertTrue(result.toString(), result.toString().contains("pinned=absent-type"));
            }
            finally
            {
                selector.service().pin("");
            }
            awaitStatus("jitmem backend selected", Result.Status.OK);
        }
    }

    /** OK while the executor answers a real call; CRITICAL once it is stopped; OK again once started. */
    @Test
    public void executorCheckTurnsCriticalWhenTheExecutorStops()
    {
        try (TrackedService<ExecutorSupervisor> supervisor = awaitService(ExecutorSupervisor.class, null))
        {
            awaitTrue("an executor runs", () -> supervisor.service().status().phase() == ExecutorStatus.Phase.RUNNING);
            final Result answering = awaitStatus("jitmem executor answers", Result.Status.OK);
            assertTrue(answering.toString(), answering.toString().contains("executor answers: pid=" +
                supervisor.service().status().pid()));
            final long pid = supervisor.service().status().pid();
            within(supervisor.service().stop());
            try
            {
                final Result stopped = awaitStatus("jitmem executor answers", Result.Status.CRITICAL);
                assertTrue(stopped.toString(), stopped.toString().contains("executor not running: phase=STOPPED"));
                assertTrue(!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
            }
            finally
            {
                within(supervisor.service().start());
            }
            awaitStatus("jitmem executor answers", Result.Status.OK);
        }
    }

    /**
     * OK while slab usage stays within the share of the limits; WARN once a lowered committed limit, or a lowered
     * share, puts the same usage above it.
     */
    @Test
    public void slabUsageWarnsAboveTheShareOfTheCommittedLimit() throws IOException
    {
        try (TrackedService<ConfigurationAdmin> configAdmin = awaitService(ConfigurationAdmin.class, null);
             TrackedService<BackendSelector> selector = awaitService(BackendSelector.class, null))
        {
            awaitStatus("jitmem slab usage", Result.Status.OK);
            final org.osgi.service.cm.Configuration limits = configAdmin.service().getConfiguration(INPROCESS_PID,
                "?");
            final org.osgi.service.cm.Configuration health = configAdmin.service().getConfiguration(HEALTH_PID, "?");
            selector.service().pin(MapperProperties.TYPE_INPROCESS);
            final List<FinalizedAllocation> allocations = new ArrayList<>();
            SlabMemoryManager manager = null;
            try
            {
                limits.update(properties("committedLimit", MIB));
                awaitTrue("the lowered limit applies", () -> selector.service().managers().stream()
                    .anyMatch(candidate -> candidate.mapper().type().equals(MapperProperties.TYPE_INPROCESS) &&
                        candidate.mapper().memoryUsage().map(usage -> usage.committedLimit() == MIB).orElse(false)));
                manager = awaitSelected(selector.service(), MapperProperties.TYPE_INPROCESS);
                assertEquals(MIB, manager.mapper().memoryUsage().orElseThrow().committedLimit());
                allocations.add(allocate(manager, 64 * KIB));
                awaitStatus("jitmem slab usage", Result.Status.OK);

                health.update(properties("usageShare", 0.01));
                final Result share = awaitStatus("jitmem slab usage", Result.Status.WARN);
                assertTrue(share.toString(), share.toString().contains("usageShare=0.010"));
                health.update(properties("usageShare", 0.9));
                awaitStatus("jitmem slab usage", Result.Status.OK);

                allocations.add(allocate(manager, 900 * KIB));
                final Result full = awaitStatus("jitmem slab usage", Result.Status.WARN);
                assertTrue(full.toString(), full.toString().contains("inprocess: committed="));
                assertTrue(full.toString(), full.toString().contains("committedLimit=" + MIB));
            }
            finally
            {
                if (manager != null && !allocations.isEmpty())
                {
                    within(manager.deallocate(allocations));
                }
                selector.service().pin("");
                limits.delete();
                health.delete();
            }
            awaitStatus("jitmem slab usage", Result.Status.OK);
        }
    }

    private static FinalizedAllocation allocate(final SlabMemoryManager manager, final long bytes)
    {
        return within(within(manager.allocate(List.of(SegmentRequest.of(bytes, MemoryProtection.READ_WRITE))))
            .finalizeAllocation(List.of()));
    }

    private static Dictionary<String, Object> properties(final String key, final Object value)
    {
        return new Hashtable<>(Map.of(key, value));
    }

    /** Runs the named check until it reports the status, within the bound, and returns that result. */
    private Result awaitStatus(final String name, final Result.Status status)
    {
        final Result[] last = new Result[1];
        try
        {
            awaitTrue(name + " reports " + status, () ->
            {
                last[0] = execute(name);
                return last[0] != null && last[0].getStatus() == status;
            });
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + "; last result: " + last[0], ex);
        }
        return last[0];
    }

    private Result execute(final String name)
    {
        try
        {
            final Collection<ServiceReference<HealthCheck>> references = context().getServiceReferences(
                HealthCheck.class, "(&(" + HealthCheck.NAME + "=" + name + ")(" + HealthCheck.TAGS + "=jitmem))");
            if (references.isEmpty())
            {
                return null;
            }
            final ServiceReference<HealthCheck> reference = references.iterator().next();
            final HealthCheck check = context().getService(reference);
            try
            {
                return check == null ? null : check.execute();
            }
            finally
            {
                context().ungetService(reference);
            }
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
