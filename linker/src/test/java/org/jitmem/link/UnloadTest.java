package org.jitmem.link;

import static org.jitmem.link.Executors.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MemoryProtection;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A thousand load and unload cycles: every constructor and destructor runs (counted by a module that stays), the
 * slab manager's used bytes come back to zero, and no unloaded code stays executable in the executor.
 */
@Timeout(600)
class UnloadTest
{
    private static final int CYCLES = 1000;

    @TempDir
    Path directory;

    @RegisterExtension
    final StartedExecutors started = new StartedExecutors();

    private Executors executors;


    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void aThousandCyclesRunEveryDestructorAndGiveEveryByteBack(final Executors.Backend backend) throws Exception
    {
        executors = started.start(backend, directory);
        final LoadedModule counters = await(executors.linker().load("counters", List.of(Toolchain.compileC(directory,
            "counters",
            "#include <stdint.h>\n#include <stddef.h>\nlong constructed, destroyed;\n" +
            "int64_t read_constructed(const void *a, size_t n) { return constructed; }\n" +
            "int64_t read_destroyed(const void *a, size_t n) { return destroyed; }\n", "-O2", "-fPIC")), Map.of()));
        final long baseline = executors.slab().statistics().usedBytes();
        final ObjectFile cycled = Toolchain.compileC(directory, "cycled",
            "#include <stdint.h>\n#include <stddef.h>\n#include <stdlib.h>\n" +
            "extern long constructed, destroyed; static char *buffer;\n" +
            "__attribute__((constructor)) static void hello(void) { constructed++; buffer = malloc(64); }\n" +
            "__attribute__((destructor)) static void bye(void) { destroyed++; free(buffer); }\n" +
            "int64_t work(const void *a, size_t n) { return buffer != 0 ? 42 : -1; }\n", "-O2");

        ExecutorAddress lastCode = null;
        for (int cycle = 0; cycle < CYCLES; cycle++)
        {
            final LoadedModule module = await(executors.linker().load("cycled", List.of(cycled), Map.of()));
            if (cycle % 100 == 0)
            {
                assertEquals(42L, await(module.call("work", new byte[0])));
            }
            lastCode = module.lookup("work").orElseThrow();
            await(module.unload());
        }
        assertEquals(CYCLES, await(counters.call("read_constructed", new byte[0])));
        assertEquals(CYCLES, await(counters.call("read_destroyed", new byte[0])));
        assertEquals(baseline, executors.slab().statistics().usedBytes());
        final ExecutorAddress code = lastCode;
        final MemoryProtection left = ProcMaps.of(executors.pid()).mappingAt(code.value())
            .map(ProcMaps.Mapping::protection).orElse(MemoryProtection.NONE);
        assertNotEquals(MemoryProtection.READ_EXEC, left, "unloaded code is not executable");
        await(counters.unload());
        assertEquals(0, executors.slab().statistics().usedBytes());
        assertTrue(executors.linker().modules().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void unloadWaitsForTheCallsRunningAndRefusesNewOnes(final Executors.Backend backend) throws Exception
    {
        executors = started.start(backend, directory);
        final LoadedModule module = await(executors.linker().load("slow", List.of(Toolchain.compileC(directory, "slow",
            "#include <stdint.h>\n#include <stddef.h>\n#include <unistd.h>\n" +
            "int64_t slow(const void *a, size_t n) { usleep(300000); return 5; }\n", "-O2")), Map.of()));
        final CompletableFuture<Long> running = CompletableFuture.supplyAsync(() ->
            await(module.call("slow", new byte[0])));
        Thread.sleep(100);
        final CompletableFuture<Void> unloaded = module.unload().toCompletableFuture();
        assertEquals(5L, running.get(Executors.TIMEOUT_SECONDS, TimeUnit.SECONDS), "the call ran to its end");
        await(unloaded);
        final ModuleStateException refused = assertThrows(ModuleStateException.class,
            () -> await(module.call("slow", new byte[0])));
        assertTrue(refused.getMessage().contains("module is unloaded"), refused.getMessage());
        assertEquals(0, executors.slab().statistics().usedBytes());
    }

    @org.junit.jupiter.api.Test
    void loadedFunctionsAreAppendedToThePerfMapWhenAsked() throws Exception
    {
        executors = started.start(Executors.Backend.POSIX_SHM, directory);
        final Path map = Path.of("/tmp", "perf-" + executors.pid() + ".map");
        try
        {
            executors.linker().perfMap(true);
            final LoadedModule module = await(executors.linker().load("profiled", List.of(Toolchain.compileC(
                directory, "profiled", "static int helper(int x) { return x * 3; }\n" +
                "int profiled(int x) { return helper(x) + 1; }\n", "-O0")), Map.of()));
            final List<String> lines = Files.readAllLines(map);
            assertTrue(lines.contains(Long.toHexString(module.lookup("profiled").orElseThrow().value()) + " " +
                lines.stream().filter(line -> line.endsWith(" profiled")).findFirst().orElseThrow().split(" ")[1] +
                " profiled"), lines.toString());
            assertTrue(lines.stream().anyMatch(line -> line.endsWith(" helper")), "local functions too: " + lines);
        }
        finally
        {
            Files.deleteIfExists(map);
        }
    }
}
