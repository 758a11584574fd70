package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.jitmem.api.MemoryMapper;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;

/** The provisioned framework comes up: every bundle resolves and starts, the API bundle among them. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PlatformBundlesIT extends FelixTestSupport
{
    /** The API bundle is active and the probe sees its package from that bundle. */
    @Test
    public void apiBundleIsActive()
    {
        final Bundle api = installedBundle("org.jitmem.api");
        assertEquals("state of " + api.getSymbolicName(), Bundle.ACTIVE, api.getState());
        final Bundle exporter = FrameworkUtil.getBundle(MemoryMapper.class);
        assertEquals("bundle exporting org.jitmem.api", api, exporter);
    }

    /**
     * No bundle is left installed or resolved: everything the build provides for this platform starts. Bundles for
     * other platforms (their {@code osgi.native} requirement unmet) stay installed.
     */
    @Test
    public void everyBundleIsActive()
    {
        final List<String> notActive = new ArrayList<>();
        for (final Bundle bundle : context().getBundles())
        {
            final boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            if (!fragment && nativeRequirementsMet(bundle) && bundle.getState() != Bundle.ACTIVE)
            {
                notActive.add(bundle.getSymbolicName() + " state=" + bundle.getState());
            }
        }
        assertTrue("bundles not active: " + notActive, notActive.isEmpty());
    }

    /** The container bundles the jitmem bundles rely on are there. */
    @Test
    public void containerBundlesAreActive()
    {
        for (final String symbolicName : List.of("org.apache.felix.scr", "org.apache.felix.configadmin",
            "org.apache.felix.gogo.runtime", "org.apache.felix.gogo.shell", "org.apache.felix.gogo.command",
            "com.sun.jna"))
        {
            assertEquals("state of " + symbolicName, Bundle.ACTIVE, installedBundle(symbolicName).getState());
        }
    }
}
