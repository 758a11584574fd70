package org.jitmem.executor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MemoryMapper;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec.SharedReservation;
import org.jitmem.backend.posixshm.wire.SharedMemoryCodec;
import org.jitmem.channel.SocketExecutorChannel;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jar run as a real process with {@code java -jar}, nothing else on its class path: it hosts the
 * shared-memory functions, reserves and releases real memory in its own address space, and exits when its controller
 * disconnects.
 */
final class StandaloneExecutorTest
{
    private static final long TIMEOUT_SECONDS = StandaloneExecutor.TIMEOUT_SECONDS;
    private static final String FUNCTIONS_PREFIX = "functions=";
    private static final Path JAR = StandaloneExecutor.JAR;

    @TempDir
    Path tmp;

    @Test
    void jarNamesTheExecutorProgramAndCarriesOnlyTheExecutorSideOfTheBackend() throws IOException
    {
        try (JarFile jar = new JarFile(JAR.toFile()))
        {
            assertEquals("org.jitmem.executor.ExecutorMain",
                jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS));
            final String providers = new String(jar.getInputStream(
                jar.getEntry("META-INF/services/org.jitmem.api.ExecutorFunctionProvider")).readAllBytes(),
                StandardCharsets.UTF_8);
            assertTrue(providers.contains("org.jitmem.backend.posixshm.executor.SharedMemoryFunctions"), providers);
            assertNull(jar.getEntry("org/jitmem/backend/posixshm/SharedMemoryMapper.class"),
                "the controller side stays out");
            assertTrue(jar.stream().noneMatch(entry -> entry.getName().startsWith("OSGI-INF/")),
                "no component descriptions");
        }
    }

    @Test
    void runsWithJavaDashJarAndHostsTheSharedMemoryFunctions() throws Exception
    {
        final Path socket = tmp.resolve("executor").resolve("executor.sock");
        final Process process = StandaloneExecutor.start(List.of("-Xmx128m", "-Djna.tmpdir=" + tmp.resolve("jna")),
            socket, null);
        try
        {
            final String ready = StandaloneExecutor.awaitReadyLine(process);
            assertTrue(ready.contains("pid=" + process.pid()), ready);
            try (SocketExecutorChannel channel = SocketExecutorChannel.connect(socket,
                Duration.ofSeconds(TIMEOUT_SECONDS)))
            {
                assertEquals(process.pid(), channel.executor().pid());
                final Set<String> functions = hostedFunctions(channel);
                assertTrue(functions.containsAll(List.of(SharedMemoryCodec.RESERVE, SharedMemoryCodec.INITIALIZE,
                    SharedMemoryCodec.DEINITIALIZE, SharedMemoryCodec.RELEASE, SharedMemoryCodec.CALL)),
                    "hosted: " + functions);

                final long pageSize = channel.executor().pageSize();
                final SharedReservation reservation = SharedMemoryCodec.decodeReservation(MemoryMapper.await(
                    channel.call(SharedMemoryCodec.RESERVE, SharedMemoryCodec.encodeLong(pageSize))));
                final ExecutorAddressRange range = reservation.range();
                assertEquals(process.pid(), reservation.executorPid());
                assertEquals(pageSize, range.size());
                assertTrue(ProcMaps.of(process.pid()).isMapped(range.start().value(), range.size()),
                    "reserved in the executor: " + range);

                SharedMemoryCodec.decodeEmpty(MapperOperation.RELEASE, MemoryMapper.await(channel.call(
                    SharedMemoryCodec.RELEASE, SharedMemoryCodec.encodeAddresses(List.of(
                        range.start())))));
                assertTrue(ProcMaps.of(process.pid()).isUnmapped(range.start().value(), range.size()),
                    "released in the executor: " + range);
            }
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "exits when its controller disconnects");
            assertEquals(0, process.exitValue());
            assertFalse(Files.exists(socket.getParent()), "socket directory removed");
        }
        finally
        {
            process.destroyForcibly();
            process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private static Set<String> hostedFunctions(final SocketExecutorChannel channel)
    {
        final String info = new String(MemoryMapper.await(channel.call("executor.info", new byte[0])),
            StandardCharsets.UTF_8);
        return info.lines()
            .filter(line -> line.startsWith(FUNCTIONS_PREFIX))
            .findFirst()
            .map(line -> new TreeSet<>(Arrays.asList(line.substring(FUNCTIONS_PREFIX.length()).split(","))))
            .orElseThrow(() -> new AssertionError("no functions line: " + info));
    }
}
