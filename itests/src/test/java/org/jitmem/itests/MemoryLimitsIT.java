package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryLimitException;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryUsage;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** The limits on reserved and committed bytes come from Config Admin and bind the registered mapper. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MemoryLimitsIT extends FelixTestSupport
{
    private static final String INPROCESS = mapperType(MapperProperties.TYPE_INPROCESS);
    private static final String PID = "org.jitmem.backend.inprocess";
    private static final long MIB = 1 << 20;

    /** A configured limit is reported by the mapper and refuses what would pass it, with the figures. */
    @Test
    public void configuredLimitsBindTheInProcessBackend() throws IOException
    {
        try (TrackedService<ConfigurationAdmin> configAdmin = awaitService(ConfigurationAdmin.class, null))
        {
            final Configuration configuration = configAdmin.service().getConfiguration(PID, "?");
            try
            {
                configuration.update(new Hashtable<>(Map.of("retainedBytes", 0L, "reservedLimit", 64 * MIB,
                    "committedLimit", MIB)));
                awaitTrue("the configured limits applied",
                    () -> registeredUsage().map(usage -> usage.committedLimit() == MIB).orElse(false));
                try (TrackedService<MemoryMapper> tracker = awaitService(MemoryMapper.class, INPROCESS))
                {
                    final MemoryMapper mapper = tracker.service();
                    assertEquals(new MemoryUsage(0, 64 * MIB, 0, MIB), mapper.memoryUsage().orElseThrow());
                    final MemoryLimitException reserve = assertThrows(MemoryLimitException.class,
                        () -> MemoryMapper.await(mapper.reserve(128 * MIB)));
                    assertEquals(MemoryUsage.Limit.RESERVED, reserve.limit());
                    assertEquals(128 * MIB, reserve.requested());
                    final ExecutorAddressRange range = MemoryMapper.await(mapper.reserve(4 * MIB));
                    try
                    {
                        mapper.prepare(range.start(), (int)MIB).putLong(0, 1);
                        final MemoryLimitException commit = assertThrows(MemoryLimitException.class,
                            () -> mapper.prepare(range.start().add(2 * MIB), 8));
                        assertEquals(MemoryUsage.Limit.COMMITTED, commit.limit());
                        assertEquals(MIB, commit.used());
                        assertEquals(MIB, commit.maximum());
                    }
                    finally
                    {
                        MemoryMapper.await(mapper.release(List.of(range.start())));
                    }
                    assertEquals(new MemoryUsage(0, 64 * MIB, 0, MIB), mapper.memoryUsage().orElseThrow());
                }
            }
            finally
            {
                configuration.delete();
            }
        }
    }

    /** @return what the one registered in-process mapper reports, if there is exactly one and it reports */
    private Optional<MemoryUsage> registeredUsage()
    {
        try
        {
            final var references = context().getServiceReferences(MemoryMapper.class, INPROCESS);
            if (references.size() != 1)
            {
                return Optional.empty();
            }
            final ServiceReference<MemoryMapper> reference = references.iterator().next();
            final MemoryMapper mapper = context().getService(reference);
            try
            {
                return mapper == null ? Optional.empty() : mapper.memoryUsage();
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
