package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;

/** Stopping the in-process backend bundle unregisters its service and unmaps everything it had reserved. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InProcessBackendStopIT extends FelixTestSupport
{
    private static final String INPROCESS = mapperType(MapperProperties.TYPE_INPROCESS);
    private static final int RESERVATIONS = 3;

    /** Reservations, one of them initialized with code, are all gone from /proc/self/maps after the stop. */
    @Test
    public void stoppingTheBackendUnmapsItsMemory() throws BundleException
    {
        final Bundle backend = installedBundle("org.jitmem.backend.inprocess");
        final List<ExecutorAddressRange> reserved = new ArrayList<>();
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, INPROCESS))
        {
            final MemoryMapper mapper = tracker.service();
            for (int i = 0; i < RESERVATIONS; i++)
            {
                reserved.add(MemoryMapper.await(mapper.reserve(mapper.pageSize())));
            }
            final byte[] code = MachineCode.returnConstant(7);
            final ExecutorAddressRange first = reserved.get(0);
            mapper.prepare(first.start(), code.length).put(code);
            MemoryMapper.await(mapper.initialize(
                AllocInfo.of(first.start(), Segment.of(0, code.length, MemoryProtection.READ_EXEC))));
            final ProcMaps before = ProcMaps.self();
            assertEquals(MemoryProtection.READ_EXEC, before.protection(first.start().value(), first.size()));
            for (final ExecutorAddressRange range : reserved)
            {
                assertTrue("mapped before stop: " + range, before.isMapped(range.start().value(), range.size()));
            }

            backend.stop();

            assertNull("service unregistered", tracker.service());
            assertTrue("no in-process mapper registered",
                context().getServiceReferences(MemoryMapper.class, INPROCESS).isEmpty());
            final ProcMaps after = ProcMaps.self();
            for (final ExecutorAddressRange range : reserved)
            {
                assertTrue("unmapped after stop: " + range, after.isUnmapped(range.start().value(), range.size()));
            }
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new AssertionError("bad filter: " + INPROCESS, ex);
        }
        finally
        {
            backend.start();
        }
        awaitService(MemoryMapper.class, INPROCESS).close();
    }
}
