package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * A Felix that claims to run on FreeBSD, a POSIX system whose constants the libc binding does not know: no backend
 * resolves there, so none can fail later when the binding refuses to load.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FreeBsdSimulationIT extends FelixTestSupport
{
    private static final String FREEBSD = "FreeBSD";

    @Override
    protected String frameworkOsName()
    {
        return FREEBSD;
    }

    /** Neither POSIX backend, nor the Windows stub, resolves. */
    @Test
    public void noBackendResolves()
    {
        assertEquals(FREEBSD, context().getProperty(Constants.FRAMEWORK_OS_NAME));
        final FrameworkWiring wiring = context().getBundle(Constants.SYSTEM_BUNDLE_LOCATION)
            .adapt(FrameworkWiring.class);
        for (final String backend : List.of("org.jitmem.backend.inprocess", "org.jitmem.backend.posixshm",
            "org.jitmem.backend.windows"))
        {
            final Bundle bundle = installedBundle(backend);
            assertFalse(backend + " resolves", wiring.resolveBundles(List.of(bundle)));
            assertEquals(backend + " state", Bundle.INSTALLED, bundle.getState());
        }
    }
}
