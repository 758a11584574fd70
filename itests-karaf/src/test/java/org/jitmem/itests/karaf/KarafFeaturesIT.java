package org.jitmem.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;
import static org.ops4j.pax.exam.CoreOptions.vmOption;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFileExtend;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.features;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.jitmem.api.MapperProperties;
import org.jitmem.link.Linker;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.testsupport.Await;
import org.jitmem.testsupport.CCompiler;
import org.jitmem.testsupport.FullCycle;
import org.jitmem.testsupport.SlabCycle;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * jitmem installed into a real Apache Karaf the way its users install it: the features repository added, the
 * {@code jitmem} and {@code jitmem-linker} features installed. JIT'd code then runs through the backend the runtime
 * selects (the shared-memory one over the executor the launcher starts, and the in-process one once pinned), and the
 * {@code jitmem:} commands, the linker's included, run in Karaf's own shell. Karaf finds the project's artifacts in a repository the build
 * lays out under {@code target}, added to its Maven URL handler's default repositories.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KarafFeaturesIT
{
    private static final String KARAF_VERSION = "4.4.10";
    private static final long TEST_TIMEOUT_MILLIS = 120_000;
    private static final String GROUP = "org.jitmem";
    private static final List<String> FEATURE_BUNDLES = List.of("org.jitmem.api", "org.jitmem.posix",
        "org.jitmem.memory", "org.jitmem.channel", "org.jitmem.runtime", "org.jitmem.launcher",
        "org.jitmem.backend.inprocess", "org.jitmem.backend.posixshm", "jitmem-linker-executor", "jitmem-linker",
        "org.jitmem.backend.remote", "org.jitmem.webconsole", "org.jitmem.health");
    private static final String COUNTER_SOURCE = """
        long count_bytes(const char *argument, unsigned long length)
        {
            long other = 0;
            for (unsigned long i = 0; i < length; i++)
            {
                other += argument[i] != ' ' && argument[i] != 0;
            }
            return (long)length * 1000 + other;
        }
        """;
    private static final long KARAF_MAX_HEAP = 384L << 20;

    @Inject
    private BundleContext context;

    @Inject
    private FeaturesService featuresService;

    @Inject
    private SessionFactory sessionFactory;

    @Inject
    private BackendSelector selector;

    @Inject
    private Linker linker;

    /**
     * @return Karaf from its distribution archive, with the project's repository and features
     */
    @Configuration
    public Option[] config()
    {
        final String version = requiredProperty("project.version");
        final String repository = Paths.get(requiredProperty("jitmem.itest.repository")).toUri().toString();
        return new Option[]{
            karafDistributionConfiguration(new File(requiredProperty("jitmem.itest.karaf")).toURI().toString(),
                "Apache Karaf", KARAF_VERSION)
                .unpackDirectory(new File(requiredProperty("jitmem.itest.work")))
                .useDeployFolder(false),
            configureConsole().ignoreLocalConsole().ignoreRemoteShell(),
            logLevel(LogLevel.WARN),
            vmOption("-Xmx" + (KARAF_MAX_HEAP >> 20) + "m"),
            systemTimeout(TimeUnit.MINUTES.toMillis(2)),
            editConfigurationFileExtend("etc/org.ops4j.pax.url.mvn.cfg",
                "org.ops4j.pax.url.mvn.defaultRepositories", repository + "@id=jitmem@snapshots"),
            features("mvn:" + GROUP + "/jitmem-features/" + version + "/xml/features", "jitmem", "jitmem-linker",
                "jitmem-remote", "jitmem-webconsole", "jitmem-health"),
            mavenBundle(GROUP, "jitmem-machine", version),
            mavenBundle(GROUP, "jitmem-test-support", version),
        };
    }

    /** Both features are installed and every bundle they bring is active; the Windows stub is left out on Linux. */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void featuresInstallTheirBundles() throws Exception
    {
        assertTrue(featuresService.isInstalled(featuresService.getFeature("jitmem")));
        assertTrue(featuresService.isInstalled(featuresService.getFeature("jitmem-linker")));
        for (final String symbolicName : FEATURE_BUNDLES)
        {
            final Bundle bundle = bundle(symbolicName);
            assertNotNull("installed: " + symbolicName, bundle);
            assertEquals("state of " + symbolicName, Bundle.ACTIVE, bundle.getState());
        }
        assertEquals("the Windows stub is not installed on Linux", null, bundle("org.jitmem.backend.windows"));
        assertNotNull("the linker service", linker);
    }

    /**
     * The runtime selects the shared-memory backend over the launched executor; JIT'd code runs through its slab
     * memory manager and through its bare mapper, in the executor's process.
     */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void jitCodeRunsThroughTheSelectedBackend()
    {
        final SlabMemoryManager manager = Await.awaitSelected(selector, MapperProperties.TYPE_POSIX_SHM);
        final long pid = manager.mapper().executorPid();
        assertNotEquals("another process", ProcessHandle.current().pid(), pid);
        assertTrue("Karaf's heap is bounded", Runtime.getRuntime().maxMemory() <= KARAF_MAX_HEAP);
        final List<String> arguments = ProcessHandle.of(pid).orElseThrow().info().arguments().map(List::of)
            .orElse(List.of());
        assertTrue("the executor's heap is bounded: " + arguments,
            arguments.stream().anyMatch(argument -> argument.startsWith("-Xmx")));
        SlabCycle.run(manager, 0x4A17_0000_0001L);
        FullCycle.run(manager.mapper(), 0x4A17_0000_0002L);
    }

    /**
     * The commands in Karaf's shell: the backends with the selected one marked, the statistics, pinning (an unknown
     * type refused with the valid ones, the in-process backend selected and running JIT'd code, the pin removed
     * again), and the executor stopped and started again.
     */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void commandsRunInKarafsShell()
    {
        final long pid = Await.awaitSelected(selector, MapperProperties.TYPE_POSIX_SHM).mapper().executorPid();
        final String backends = execute("jitmem:backends");
        assertTrue(backends, backends.contains("pinned: none"));
        assertTrue(backends, backends.contains("* posix-shm"));
        assertTrue(backends, backends.contains("executorPid=" + pid));
        assertTrue(backends, backends.contains("  inprocess"));

        final String stats = execute("jitmem:stats");
        assertTrue(stats, stats.contains("posix-shm (page"));
        assertTrue(stats, stats.contains("inprocess (page"));

        final String refused = execute("jitmem:pin bogus");
        assertTrue(refused, refused.contains("unknown backend type: bogus"));
        assertTrue(refused, refused.contains("posix-shm") && refused.contains("inprocess"));
        assertEquals("", selector.pinnedType());

        final String pinned = execute("jitmem:pin inprocess");
        try
        {
            assertTrue(pinned, pinned.contains("pinned: inprocess"));
            assertTrue(pinned, pinned.contains("* inprocess"));
            SlabCycle.run(Await.awaitSelected(selector, MapperProperties.TYPE_INPROCESS), 0x4A17_0000_0003L);
        }
        finally
        {
            final String unpinned = execute("jitmem:pin none");
            assertTrue(unpinned, unpinned.contains("* posix-shm"));
        }

        final String running = execute("jitmem:executor");
        assertTrue(running, running.contains("executor: RUNNING"));
        assertTrue(running, running.contains("pid       " + pid));

        final String stopped = execute("jitmem:executor stop");
        assertTrue(stopped, stopped.contains("executor: STOPPED"));
        Await.awaitTrue("the stopped executor's process ends",
            () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        Await.awaitTrue("the in-process backend is selected", () -> selector.selected()
            .filter(manager -> MapperProperties.TYPE_INPROCESS.equals(manager.mapper().type())).isPresent());
        assertFalse(execute("jitmem:backends").contains("posix-shm"));

        final String started = execute("jitmem:executor start");
        assertTrue(started, started.contains("executor: RUNNING"));
        final SlabMemoryManager restarted = Await.awaitSelected(selector, MapperProperties.TYPE_POSIX_SHM);
        assertNotEquals("a new executor", pid, restarted.mapper().executorPid());
        SlabCycle.run(restarted, 0x4A17_0000_0004L);
    }

    /**
     * The linker's commands in Karaf's shell: an object the system's C compiler makes is loaded into the executor,
     * its function called with the command's arguments as its argument block, and unloaded with every byte back.
     */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void linkerCommandsLoadAndCallCompiledCode() throws Exception
    {
        final SlabMemoryManager manager = Await.awaitSelected(selector, MapperProperties.TYPE_POSIX_SHM);
        final Path directory = Files.createTempDirectory("karaf-it");
        final Path object = CCompiler.compile(COUNTER_SOURCE, directory, "counter");
        try
        {
            final String loaded = execute("jitmem:load " + object);
            assertTrue(loaded, loaded.contains("loaded counter.o") && loaded.contains(" count_bytes"));
            assertTrue("the module's memory is the executor's slab's", manager.statistics().usedBytes() > 0);
            // "abc def" and its NUL: 8 bytes, 6 of them neither space nor NUL
            assertEquals("8006", execute("jitmem:call count_bytes abc def").trim());
            assertEquals("unloaded counter.o", execute("jitmem:unload").trim());
            assertEquals("unloaded: every byte back", 0, manager.statistics().usedBytes());
        }
        finally
        {
            Files.delete(object);
            Files.delete(directory);
        }
    }

    /**
     * Karaf's console completes command names, with their descriptions, from its registry: the jitmem commands are
     * there, described. (It completes no argument of a Gogo command: its wrapper of one has no completer.)
     */
    @Test(timeout = TEST_TIMEOUT_MILLIS)
    public void commandNamesAreInKarafsRegistry()
    {
        for (final String name : List.of("backends", "stats", "pin", "executor", "load", "symbols", "call", "run",
            "unload"))
        {
            final org.apache.karaf.shell.api.console.Command command = sessionFactory.getRegistry()
                .getCommand("jitmem", name);
            assertNotNull("in Karaf's registry: jitmem:" + name, command);
            assertFalse("described: jitmem:" + name, command.getDescription() == null ||
                command.getDescription().isBlank());
        }
    }

    /** Runs a command in a new session of Karaf's shell: what it prints, then its value (the commands return text). */
    private String execute(final String command)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out))
        {
            final Object value = session.execute(command);
            if (value != null)
            {
                out.print(value);
            }
        }
        catch (final Exception ex)
        {
            throw new AssertionError("command failed: " + command, ex);
        }
        out.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private Bundle bundle(final String symbolicName)
    {
        for (final Bundle bundle : context.getBundles())
        {
            if (symbolicName.equals(bundle.getSymbolicName()))
            {
                return bundle;
            }
        }
        return null;
    }

    private static String requiredProperty(final String name)
    {
        final String value = System.getProperty(name);
        if (value == null || value.isEmpty())
        {
            throw new IllegalStateException("system property not set, run the tests through Maven: name=" + name);
        }
        return value;
    }
}
