package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.testsupport.FullCycle;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** The in-process backend in Felix: its bundles start, its service carries its properties, and JIT'd code runs. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InProcessMapperIT extends FelixTestSupport
{
    private static final String INPROCESS = mapperType(MapperProperties.TYPE_INPROCESS);

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
     * unmapping by the registered mapper's release are checked in /proc/self/maps.
     */
    @Test
    public void fullCycleRunsJitCode()
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, INPROCESS))
        {
            FullCycle.run(tracker.service(), 0x1234_5678_9ABCL);
        }
    }
}
