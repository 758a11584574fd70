package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.executor.TestCertificates;
import org.jitmem.executor.dist.ListeningExecutor;
import org.jitmem.executor.dist.NetworkNamespace;
import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.ObjectFile;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.junit.Assume;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The copying backend over a real network: an executor listening in a network namespace this test creates, reached
 * over a veth pair with mutually authenticated TLS, configured through Config Admin and pinned by its host. JIT'd code
 * loaded through the runtime's slab manager and an object the C compiler makes, loaded through the linker, run in
 * it. With the link taken down, pending and new calls fail typed, the remote mapper goes and selection moves to the
 * shared-memory backend; with the link back, the component connects again and a new remote mapper runs code again.
 * Needs root; namespace, link and executor are removed whatever happens.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RemoteNamespaceIT extends FelixTestSupport
{
    private static final String FACTORY_PID = "org.jitmem.backend.remote";
    private static final String REMOTE = mapperType(MapperProperties.TYPE_REMOTE);
    private static final long HEARTBEAT_TIMEOUT_MILLIS = 1_000;
    /** A generous bound on failing after the link is cut: the heartbeat timeout with room for a loaded machine. */
    private static final long FAILS_WITHIN_MILLIS = 10 * HEARTBEAT_TIMEOUT_MILLIS;
    private static final long MAX_RECONNECT_DELAY_MILLIS = 1_000;
    private static final long CODE_BEFORE = 0xBEF0_0000L;
    private static final long CODE_AFTER = 0xAF7E_0000L;

    /** Connect, run code both ways, cut the link, fail over, mend it, reconnect, run code again. */
    @Test
    public void executorInAnotherNamespaceRunsCodeFailsOverAndComesBack() throws Exception
    {
        Assume.assumeTrue("network namespaces and veth pairs need root (uid 0)", NetworkNamespace.isRoot());
        final List<ObjectFile> objects = List.of(LinkerIT.compile());
        final Path directory = Files.createTempDirectory("jitmem-remote-namespace-it");
        try (NetworkNamespace namespace = NetworkNamespace.create())
        {
            final TestCertificates certificates = TestCertificates.create(
                Files.createDirectories(directory.resolve("certificates")), namespace.executorAddress());
            try (ListeningExecutor executor = ListeningExecutor.start(namespace.prefix(),
                namespace.executorAddress() + ":0", directory.resolve("executor.err"),
                certificates.executorTlsOptions("--release-grace-ms", "1000")))
            {
                connectCutAndMend(namespace, certificates, executor, objects);
            }
        }
        finally
        {
            deleteTree(directory);
        }
    }

    private void connectCutAndMend(final NetworkNamespace namespace, final TestCertificates certificates,
        final ListeningExecutor executor, final List<ObjectFile> objects) throws Exception
    {
        final String host = namespace.executorAddress();
        final String remoteHere = "(&" + REMOTE + "(" + MapperProperties.HOST + "=" + host + "))";
        try (TrackedService<ConfigurationAdmin> configAdmin = awaitService(ConfigurationAdmin.class, null);
             TrackedService<BackendSelector> tracked = awaitService(BackendSelector.class, null);
             TrackedService<Linker> linker = awaitService(Linker.class, null))
        {
            final BackendSelector selector = tracked.service();
            awaitService(MemoryMapper.class, mapperType(MapperProperties.TYPE_POSIX_SHM)).close();
            final Configuration configuration = configAdmin.service().createFactoryConfiguration(FACTORY_PID, "?");
            try
            {
                final Hashtable<String, Object> properties = new Hashtable<>(Map.of(
                    "host", host,
                    "port", executor.port(),
                    "keyStore", certificates.keyStore("controller").toString(),
                    "trustStore", certificates.trustStore().toString(),
                    "passwordFile", certificates.passwordFile().toString(),
                    "connectTimeoutMillis", 5_000L,
                    "heartbeatTimeoutMillis", HEARTBEAT_TIMEOUT_MILLIS,
                    "reconnectDelayMillis", 100L,
                    "maxReconnectDelayMillis", MAX_RECONNECT_DELAY_MILLIS));
                configuration.update(properties);
                selector.pin(MapperProperties.TYPE_REMOTE, "(" + MapperProperties.HOST + "=" + host + ")");
                final SlabMemoryManager remote = awaitSelected(selector, MapperProperties.TYPE_REMOTE);
                final long pid = executor.process().pid();
                assertEquals("the executor in the namespace", pid, remote.mapper().executorPid());
                final long firstServiceId = (Long)references(MemoryMapper.class, remoteHere).get(0)
                    .getProperty(Constants.SERVICE_ID);

                final FinalizedAllocation code = FailoverIT.load(remote, CODE_BEFORE);
                assertEquals("JIT'd code runs in the executor", Long.valueOf(CODE_BEFORE),
                    within(code.call(0, new byte[0])));
                final LoadedModule module = within(linker.service().load("greeting", objects, Map.of()));
                assertEquals("compiled code runs in the executor", Long.valueOf(LinkerIT.EXPECTED),
                    within(module.call("greeting_length", new byte[3])));

                namespace.linkDown();
                final long cut = System.nanoTime();
                assertTypedFailure("a call pending when the link goes", () -> module.call("greeting_length",
                    new byte[3]));
                final long failedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
                assertTrue("failed within " + FAILS_WITHIN_MILLIS + " ms: " + failedAfterMillis,
                    failedAfterMillis < FAILS_WITHIN_MILLIS);
                assertTypedFailure("the next call of JIT'd code", () -> code.call(0, new byte[0]));
                awaitTrue("the remote mapper goes", () -> services(MemoryMapper.class, remoteHere) == 0);
                awaitTrue("and its channel", () -> services(ExecutorChannel.class, remoteHere) == 0);
                selector.pin("");
                awaitSelected(selector, MapperProperties.TYPE_POSIX_SHM);
                System.out.println("link down: the pending call failed after " + failedAfterMillis +
                    " ms (heartbeat timeout " + HEARTBEAT_TIMEOUT_MILLIS + " ms)");
                Thread.sleep(2 * MAX_RECONNECT_DELAY_MILLIS);
                assertEquals("no mapper while the link is down, however often the component tries", 0,
                    services(MemoryMapper.class, remoteHere));

                namespace.linkUp();
                selector.pin(MapperProperties.TYPE_REMOTE, "(" + MapperProperties.HOST + "=" + host + ")");
                final SlabMemoryManager again = awaitSelected(selector, MapperProperties.TYPE_REMOTE);
                assertNotSame("a new mapper", remote.mapper(), again.mapper());
                assertNotEquals("a new service", firstServiceId, references(MemoryMapper.class, remoteHere).get(0)
                    .getProperty(Constants.SERVICE_ID));
                assertEquals(pid, again.mapper().executorPid());
                assertTypedFailure("code of the old mapper stays revoked", () -> code.call(0, new byte[0]));
                final FinalizedAllocation after = FailoverIT.load(again, CODE_AFTER);
                assertEquals("JIT'd code runs again", Long.valueOf(CODE_AFTER), within(after.call(0, new byte[0])));
                final LoadedModule reloaded = within(linker.service().load("greeting", objects, Map.of()));
                assertEquals("compiled code runs again", Long.valueOf(LinkerIT.EXPECTED),
                    within(reloaded.call("greeting_length", new byte[3])));
                within(reloaded.unload());
                within(after.deallocate());
                assertEquals("every byte back", 0, again.statistics().usedBytes());
            }
            finally
            {
                selector.pin("");
                configuration.delete();
                awaitTrue("no remote mapper left", () -> services(MemoryMapper.class, REMOTE) == 0);
            }
        }
    }
}
