package org.jitmem.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryProtection;
import org.jitmem.api.Segment;
import org.jitmem.machine.MachineCode;
import org.jitmem.machine.ProcMaps;
import org.jitmem.runtime.BackendSelector;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Two executors of the copying backend beside the in-process and shared-memory backends, each a real
 * {@code jitmem-executor.jar} process connected through a factory configuration: their services say where they are,
 * JIT'd code runs in the right one, the runtime pins one of them by type, by host or by pid and chooses among equals
 * the same way every time, and a killed executor takes its services with it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RemoteMapperIT extends FelixTestSupport
{
    private static final String FACTORY_PID = "org.jitmem.backend.remote";
    private static final String REMOTE = mapperType(MapperProperties.TYPE_REMOTE);
    private static final String READY = "jitmem-executor ready";

    @Test
    public void twoRemoteExecutorsAreSelectedAndPinnedBesideTheOthers() throws Exception
    {
        final Path directory = Files.createTempDirectory("jitmem-remote-it");
        final List<Process> executors = new ArrayList<>();
        final List<Configuration> configurations = new ArrayList<>();
        try (TrackedService<ConfigurationAdmin> configAdmin = awaitService(ConfigurationAdmin.class, null);
             TrackedService<BackendSelector> selector = awaitService(BackendSelector.class, null))
        {
            awaitService(MemoryMapper.class, mapperType(MapperProperties.TYPE_POSIX_SHM)).close();
            final String[] hosts = {"127.0.0.1", "localhost"};
            for (int i = 0; i < hosts.length; i++)
            {
                final Path socket = directory.resolve("executor-" + i).resolve("executor.sock");
                executors.add(startExecutor(socket));
                final Configuration configuration = configAdmin.service().createFactoryConfiguration(FACTORY_PID,
                    "?");
                configuration.update(new Hashtable<>(Map.of("socketPath", socket.toString(), "host", hosts[i])));
                configurations.add(configuration);
                awaitTrue("remote mapper " + i + " registered", () -> services(MemoryMapper.class, REMOTE) ==
                    configurations.size());
            }
            final List<ServiceReference<MemoryMapper>> remotes = references(MemoryMapper.class, REMOTE);
            for (int i = 0; i < hosts.length; i++)
            {
                final long pid = executors.get(i).pid();
                final ServiceReference<MemoryMapper> reference = remotes.stream()
                    .filter(candidate -> candidate.getProperty(MapperProperties.EXECUTOR_PID).equals(pid))
                    .findFirst().orElseThrow();
                assertEquals(hosts[i], reference.getProperty(MapperProperties.HOST));
                assertEquals(50, reference.getProperty(Constants.SERVICE_RANKING));
                assertEquals(Boolean.TRUE, reference.getProperty(MapperProperties.CROSS_PROCESS));
                assertEquals("org.jitmem.backend.remote", reference.getBundle().getSymbolicName());
                assertEquals("its channel is a service too, for the copying backend only", 1,
                    services(ExecutorChannel.class, "(&" + REMOTE + "(" + MapperProperties.EXECUTOR_PID + "=" + pid +
                        "))"));
                runsCodeInItsOwnExecutor(context().getService(reference), pid);
                context().ungetService(reference);
            }
            assertEquals("the shared-memory backend leaves the remote channels alone", 1,
                services(MemoryMapper.class, mapperType(MapperProperties.TYPE_POSIX_SHM)));

            final BackendSelector runtime = selector.service();
            assertEquals("unpinned: the best ranking", MapperProperties.TYPE_POSIX_SHM,
                runtime.selected().orElseThrow().mapper().type());
            runtime.pin(MapperProperties.TYPE_REMOTE);
            final long lowestServiceId = remotes.stream()
                .mapToLong(reference -> (Long)reference.getProperty(Constants.SERVICE_ID)).min().orElseThrow();
            final long firstChoice = runtime.selected().orElseThrow().mapper().executorPid();
            assertEquals("among equals the lowest service id", firstChoice, remotes.stream()
                .filter(reference -> reference.getProperty(Constants.SERVICE_ID).equals(lowestServiceId))
                .findFirst().orElseThrow().getProperty(MapperProperties.EXECUTOR_PID));
            for (int i = 0; i < hosts.length; i++)
            {
                runtime.pin(MapperProperties.TYPE_REMOTE, "(" + MapperProperties.HOST + "=" + hosts[i] + ")");
                assertEquals("pinned by host", executors.get(i).pid(),
                    runtime.selected().orElseThrow().mapper().executorPid());
                runtime.pin("", "(" + MapperProperties.EXECUTOR_PID + "=" + executors.get(i).pid() + ")");
                assertEquals("pinned by pid", executors.get(i).pid(),
                    runtime.selected().orElseThrow().mapper().executorPid());
            }

            executors.get(1).destroyForcibly();
            awaitTrue("the killed executor's mapper goes", () -> services(MemoryMapper.class, REMOTE) == 1);
            awaitTrue("and its channel", () -> services(ExecutorChannel.class, REMOTE) == 1);
            assertTrue("pinned to the killed executor: nothing selected", runtime.selected().isEmpty());
            runtime.pin(MapperProperties.TYPE_REMOTE);
            assertEquals(executors.get(0).pid(), runtime.selected().orElseThrow().mapper().executorPid());
            runtime.pin("");
        }
        finally
        {
            for (final Configuration configuration : configurations)
            {
                configuration.delete();
            }
            for (final Process executor : executors)
            {
                assertTrue("the executor exits with its controller", executor.waitFor(TIMEOUT_MILLIS,
                    TimeUnit.MILLISECONDS) || !executor.destroyForcibly().isAlive());
            }
            awaitTrue("no remote mapper left", () -> services(MemoryMapper.class, REMOTE) == 0);
            deleteTree(directory);
        }
    }

    /** Reserve, write code, initialize, call, deinitialize and release, checked in the executor's /proc maps. */
    private static void runsCodeInItsOwnExecutor(final MemoryMapper mapper, final long pid)
    {
        assertEquals(pid, mapper.executorPid());
        assertNotEquals(ProcessHandle.current().pid(), pid);
        final ExecutorAddressRange range = within(mapper.reserve(mapper.pageSize()));
        final ExecutorAddress code = range.start();
        final byte[] constant = MachineCode.returnConstant(pid);
        mapper.prepare(code, constant.length).put(constant);
        final ExecutorAddress key = within(mapper.initialize(AllocInfo.of(code,
            Segment.of(0, constant.length, MemoryProtection.READ_EXEC))));
        assertEquals(MemoryProtection.READ_EXEC, ProcMaps.of(pid).protection(code.value()));
        assertEquals("the code ran in executor " + pid, pid, (long)within(mapper.call(ActionCall.of(code))));
        within(mapper.deinitialize(List.of(key)));
        within(mapper.release(List.of(code)));
        assertTrue(ProcMaps.of(pid).isUnmapped(code.value(), range.size()));
    }

    private static Process startExecutor(final Path socket) throws IOException, InterruptedException
    {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final Process process = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
            "-Djitmem.memory.committedLimit=268435456", "-jar", System.getProperty("jitmem.itest.executorJar"),
            "--socket", socket.toString(), "--exit-with-parent", "--remove-directory-on-exit")
            .redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        String line = out.readLine();
        while (line != null && !line.startsWith(READY))
        {
            line = out.readLine();
        }
        if (line == null)
        {
            process.destroyForcibly();
            throw new AssertionError("the executor ended before it got ready: exit=" + process.waitFor());
        }
        final Thread drain = new Thread(() -> out.lines().forEach(ignored -> { }), "executor output");
        drain.setDaemon(true);
        drain.start();
        return process;
    }
}
