package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.InvalidRequestException;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.machine.MachineCode;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * W^X is each backend's one setting, {@code allowWriteExecute}: the registered mapper refuses a writable and
 * executable segment by default, accepts it (the code runs) once Config Admin allows it, and refuses it again when the
 * configuration is deleted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WriteXorExecuteIT extends FelixTestSupport
{
    /** The in-process backend, which checks the setting in this process. */
    @Test
    public void inProcessBackendRefusesWriteExecuteUnlessConfigured() throws IOException
    {
        assertSettingApplies("org.jitmem.backend.inprocess", mapperType(MapperProperties.TYPE_INPROCESS));
    }

    /** The shared-memory backend, whose executor checks the setting its controller sends. */
    @Test
    public void sharedMemoryBackendRefusesWriteExecuteUnlessConfigured() throws IOException
    {
        assertSettingApplies("org.jitmem.backend.posixshm", mapperType(MapperProperties.TYPE_POSIX_SHM));
    }

    private void assertSettingApplies(final String pid, final String filter) throws IOException
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, filter))
        {
            final InvalidRequestException refused = tryWriteExecute(tracker.service());
            assertTrue("refused by default: " + refused, refused != null && refused.reason().contains("W^X"));
        }
        try (TrackedService<ConfigurationAdmin> configAdmin = awaitService(ConfigurationAdmin.class, null))
        {
            final Configuration configuration = configAdmin.service().getConfiguration(pid, "?");
            try
            {
                configuration.update(new Hashtable<>(Map.of("allowWriteExecute", Boolean.TRUE)));
                awaitTrue("accepted once configured: pid=" + pid, () -> acceptsWriteExecute(filter));
            }
            finally
            {
                configuration.delete();
            }
            awaitTrue("refused again without the configuration: pid=" + pid, () -> !acceptsWriteExecute(filter));
        }
    }

    /** @return whether the mapper registered now runs code from a writable and executable segment */
    private boolean acceptsWriteExecute(final String filter)
    {
        try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, filter))
        {
            return tryWriteExecute(tracker.service()) == null;
        }
        catch (final RuntimeException replacedMeanwhile)
        {
            return false;
        }
    }

    /** @return null when a writable and executable segment was initialized and its code ran, else the refusal */
    private static InvalidRequestException tryWriteExecute(final MemoryMapper mapper)
    {
        final long pageSize = mapper.pageSize();
        final ExecutorAddress base = MemoryMapper.await(mapper.reserve(pageSize)).start();
        try
        {
            final byte[] code = MachineCode.returnArgumentLength();
            mapper.prepare(base, code.length).put(code);
            MemoryMapper.await(mapper.initialize(AllocInfo.of(base,
                Segment.of(0, code.length, MemoryProtection.READ_WRITE_EXEC))));
            assertEquals(Long.valueOf(5), MemoryMapper.await(mapper.call(ActionCall.of(base, new byte[5]))));
            return null;
        }
        catch (final InvalidRequestException refused)
        {
            return refused;
        }
        finally
        {
            MemoryMapper.await(mapper.release(List.of(base)));
        }
    }
}
