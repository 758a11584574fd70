package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.posix.MachineCode;
import org.jitmem.posix.ProcMaps;
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
    private static final String INPROCESS = "(" + MapperProperties.TYPE + "=" + MapperProperties.TYPE_INPROCESS + ")";

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
            final long pageSize = mapper.pageSize();
            final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(pageSize + 1));
            assertEquals("reserve rounds up to whole pages", 2 * pageSize, range.size());
            final ExecutorAddress base = range.start();
            final ExecutorAddress data = base.add(pageSize);
            assertTrue("reservation mapped", ProcMaps.self().isMapped(base.value(), range.size()));

            final long returned = 0x1234_5678_9ABCL;
            final byte[] returnConstant = MachineCode.returnConstant(returned);
            final byte[] store = MachineCode.storeFromArgument();
            final int storeOffset = 64;
            final ByteBuffer code = mapper.prepare(base, storeOffset + store.length);
            code.put(returnConstant).position(storeOffset);
            code.put(store);
            final ByteBuffer dataMemory = mapper.prepare(data, Long.BYTES);
            dataMemory.putLong(0, -1L);

            final long finalized = 0xF1AAL;
            final long deallocated = 0xDEA1L;
            final ExecutorAddress storeFunction = base.add(storeOffset);
            final AllocInfo info = new AllocInfo(base,
                List.of(
                    Segment.of(0, storeOffset + store.length, MemoryProtection.READ_EXEC),
                    new Segment(pageSize, Long.BYTES, pageSize - Long.BYTES, MemoryProtection.READ_WRITE,
                        MemoryLifetime.STANDARD)),
                List.of(new ActionPair(
                    ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), finalized)),
                    ActionCall.of(storeFunction, MachineCode.storeArgument(data.value(), deallocated)))));
            try
            {
                final ExecutorAddress key = MemoryMapper.await(mapper.initialize(info));
                assertEquals(info.key(), key);
                final ProcMaps initialized = ProcMaps.self();
                assertEquals(MemoryProtection.READ_EXEC, initialized.protection(base.value(), pageSize));
                assertEquals(MemoryProtection.READ_WRITE, initialized.protection(data.value(), pageSize));
                assertEquals("finalize action ran", finalized, dataMemory.getLong(0));

                assertEquals(Long.valueOf(returned), MemoryMapper.await(mapper.call(ActionCall.of(base))));

                MemoryMapper.await(mapper.deinitialize(List.of(key)));
                assertEquals("dealloc action ran", deallocated, dataMemory.getLong(0));
                final MemoryProtection reset = ProcMaps.self().protection(base.value(), pageSize);
                assertFalse("code no longer executable after deinitialize: " + reset, reset.executable());
            }
            finally
            {
                MemoryMapper.await(mapper.release(List.of(base)));
            }
            assertTrue("released range unmapped", ProcMaps.self().isUnmapped(base.value(), range.size()));
        }
    }
}
