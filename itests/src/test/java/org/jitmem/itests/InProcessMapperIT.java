package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.posix.RetainingMemoryMapper;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** The in-process backend in Felix: its bundles start, its service carries its properties, and JIT'd code runs. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InProcessMapperIT extends FelixTestSupport
{
    private static final String INPROCESS = mapperType(MapperProperties.TYPE_INPROCESS);
    private static final String PID = "org.jitmem.backend.inprocess";

    /** The API, the libc binding and the backend resolve and start. */
    @Test
    public void bundlesAreActive()
    {
        for (final String symbolicName : List.of("org.jitmem.api", "org.jitmem.posix", "org.jitmem.backend.inprocess"))
        {
            assertEquals("state of " + symbolicName, Bundle.ACTIVE, installedBundle(symbolicName).getState());
        }
    }

    /** The service describes the executor: this very process, not cross-process, with its page size. */
    @Test
    public void serviceCarriesItsProperties()
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, INPROCESS))
        {
            final ServiceReference<MemoryMapper> reference = tracker.reference();
            final MemoryMapper mapper = tracker.service();
            assertEquals("org.jitmem.backend.inprocess", reference.getBundle().getSymbolicName());
            assertEquals(MapperProperties.TYPE_INPROCESS, mapper.type());
            assertEquals(Boolean.FALSE, reference.getProperty(MapperProperties.CROSS_PROCESS));
            assertFalse(mapper.crossProcess());
            assertEquals(ProcessHandle.current().pid(), reference.getProperty(MapperProperties.EXECUTOR_PID));
            assertEquals(ProcessHandle.current().pid(), mapper.executorPid());
            final long pageSize = mapper.pageSize();
            assertTrue("page size is a power of two: " + pageSize, pageSize > 0 && Long.bitCount(pageSize) == 1);
            assertEquals(pageSize, reference.getProperty(MapperProperties.PAGE_SIZE));
            assertTrue("ranking is an Integer: " + reference.getProperty(Constants.SERVICE_RANKING),
                reference.getProperty(Constants.SERVICE_RANKING) instanceof Integer);
        }
    }

    /**
     * Reserve two pages, write a function and data, initialize with a finalize action that stores into the data,
     * call the function, deinitialize (the dealloc action stores again) and release; the protections and the
     * unmapping are checked in /proc/self/maps.
     */
    @Test
    public void fullCycleRunsJitCode()
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, INPROCESS))
        {
            final MemoryMapper mapper = tracker.service();
            assertTrue("the registered object retains released reservations: " + mapper,
                mapper instanceof RetainingMemoryMapper retaining &&
                retaining.retainedLimit() == RetainingMemoryMapper.DEFAULT_RETAINED_BYTES);
            FullCycle.run(mapper, 0x1234_5678_9ABCL);
        }
    }

    /** With {@code retainedBytes=0} the bare mapper is registered, with the same properties, and release unmaps. */
    @Test
    public void retainedBytesZeroRegistersTheBareMapper() throws IOException
    {
        try (TrackedService<ConfigurationAdmin> configAdmin = awaitService(ConfigurationAdmin.class, null))
        {
            final Configuration configuration = configAdmin.service().getConfiguration(PID, "?");
            try
            {
                configuration.update(new Hashtable<>(Map.of("retainedBytes", 0L)));
                awaitTrue("the bare mapper registered", () -> registeredRetains() == Boolean.FALSE);
                try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, INPROCESS))
                {
                    assertFalse(tracker.service() instanceof RetainingMemoryMapper);
                    assertEquals(Boolean.FALSE, tracker.reference().getProperty(MapperProperties.CROSS_PROCESS));
                    FullCycle.run(tracker.service(), 0x0BAD_CAFEL);
                }
            }
            finally
            {
                configuration.delete();
            }
            awaitTrue("the retaining mapper registered again", () -> registeredRetains() == Boolean.TRUE);
        }
    }

    /** @return whether the one registered in-process mapper retains, or null when there is not exactly one */
    private Boolean registeredRetains()
    {
        try
        {
            final var references = context().getServiceReferences(MemoryMapper.class, INPROCESS);
            if (references.size() != 1)
            {
                return null;
            }
            final ServiceReference<MemoryMapper> reference = references.iterator().next();
            final MemoryMapper mapper = context().getService(reference);
            try
            {
                return mapper == null ? null : mapper instanceof RetainingMemoryMapper;
            }
            finally
            {
                context().ungetService(reference);
            }
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new AssertionError("bad filter: " + INPROCESS, ex);
        }
    }
}
