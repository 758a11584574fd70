package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/** Every configurable jitmem component describes exactly its configuration through Metatype, as a console shows it. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MetaTypeIT extends FelixTestSupport
{
    /** The runtime's selection settings are described. */
    @Test
    public void runtimeSettingsAreDescribed()
    {
        assertAttributes("org.jitmem.runtime", "org.jitmem.runtime",
            Set.of("pinnedType", "pinnedFilter", "slabGranularity", "keepFreeBytes", "drainTimeoutMillis"));
    }

    /** The launcher and the backends describe theirs. */
    @Test
    public void launcherAndBackendSettingsAreDescribed()
    {
        assertAttributes("org.jitmem.launcher", "org.jitmem.launcher", Set.of("enabled", "javaCommand",
            "jvmOptions", "directory", "startTimeoutSeconds", "stopTimeoutSeconds", "restartOnFailure", "maxRestarts",
            "restartDelayMillis", "restartWindowSeconds"));
        assertAttributes("org.jitmem.backend.inprocess", "org.jitmem.backend.inprocess",
            Set.of("allowWriteExecute", "reservedLimit", "committedLimit"));
        assertAttributes("org.jitmem.backend.posixshm", "org.jitmem.backend.posixshm",
            Set.of("allowWriteExecute", "reservedLimit", "committedLimit"));
        assertAttributes("org.jitmem.backend.remote", "org.jitmem.backend.remote", Set.of("socketPath", "host",
            "port", "keyStore", "trustStore", "passwordFile", "connectTimeoutMillis", "heartbeatTimeoutMillis",
            "reconnectDelayMillis", "maxReconnectDelayMillis", "ranking", "allowWriteExecute", "reservedLimit",
            "committedLimit"));
    }

    private void assertAttributes(final String symbolicName, final String pid, final Set<String> expected)
    {
        try (TrackedService<MetaTypeService> metaType = awaitService(MetaTypeService.class, null))
        {
            final Bundle bundle = installedBundle(symbolicName);
            final MetaTypeInformation information = metaType.service().getMetaTypeInformation(bundle);
            assertNotNull("metatype of " + symbolicName, information);
            final ObjectClassDefinition definition = information.getObjectClassDefinition(pid, null);
            assertNotNull("object class definition of pid " + pid, definition);
            final Set<String> ids = Arrays.stream(definition.getAttributeDefinitions(ObjectClassDefinition.ALL))
                .map(AttributeDefinition::getID).collect(Collectors.toSet());
            assertEquals("attributes of " + pid, expected, ids);
        }
    }
}
