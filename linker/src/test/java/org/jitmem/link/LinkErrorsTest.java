package org.jitmem.link;

import static org.jitmem.link.Executors.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.MemoryProtection;
import org.jitmem.machine.ProcMaps;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Symbol resolution and its failures on both backends: caller's map, loaded modules, the executor's libraries,
 * missing and duplicate symbols, objects of another kind, values that do not fit; every failure typed and leaving
 * nothing allocated.
 */
@Timeout(300)
class LinkErrorsTest
{
    @TempDir
    Path directory;

    @RegisterExtension
    final StartedExecutors started = new StartedExecutors();

    private Executors executors;


    private void start(final Executors.Backend backend) throws Exception
    {
        executors = started.start(backend, directory);
    }

    /**
     * @return the failure of a load that must fail with that type and a message containing the text, after
     *     checking that the load left nothing allocated
     */
    private <T extends LinkException> T refused(final Class<T> type, final String text, final ObjectFile... objects)
    {
        final long used = executors.slab().statistics().usedBytes();
        final T error = assertThrows(type, () -> await(executors.linker().load("refused", List.of(objects),
            Map.of())));
        assertTrue(error.getMessage().contains(text), error.getMessage());
        assertEquals(used, executors.slab().statistics().usedBytes(), "the failed load left nothing allocated");
        return error;
    }

    private void assertNothingAllocated()
    {
        assertEquals(0, executors.slab().statistics().usedBytes(), "nothing left allocated");
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void missingSymbolsAreNamedAllAtOnceWithTheirObjects(final Executors.Backend backend) throws Exception
    {
        start(backend);
        final ObjectFile a = Toolchain.compileC(directory, "a",
            "extern int nowhere_a(void); int fa(void) { return nowhere_a(); }", "-O2");
        final ObjectFile b = Toolchain.compileC(directory, "b", "extern int nowhere_b; extern int nowhere_a(void);" +
            "int fb(void) { return nowhere_b + nowhere_a(); }", "-O2", "-fPIC");
        final UnresolvedSymbolsException error = refused(UnresolvedSymbolsException.class, "undefined symbols", a, b);
        assertEquals(Map.of("nowhere_a", List.of("a.o", "b.o"), "nowhere_b", List.of("b.o")), error.missing());
        assertTrue(error.getMessage().contains("symbol=nowhere_a object=a.o,b.o symbol=nowhere_b object=b.o"),
            error.getMessage());
        assertNothingAllocated();
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void resolvesAgainstLoadedModulesTheCallersMapAndTheExecutor(final Executors.Backend backend) throws Exception
    {
        start(backend);
        final LoadedModule base = await(executors.linker().load("base", List.of(Toolchain.compileC(directory,
            "base",
            "#include <stdint.h>\n#include <stddef.h>\n" +
            "int64_t seven(const void *a, size_t n) { return 7; } int shared_value = 5;", "-O2", "-fPIC")),
            Map.of()));
        final LoadedModule user = await(executors.linker().load("user", List.of(Toolchain.compileC(directory,
            "user",
            "#include <stdint.h>\n#include <stddef.h>\n#include <string.h>\n" +
            "extern int64_t supplied(const void *, size_t); extern int shared_value;" +
            "int64_t combined(const void *a, size_t n) { return supplied(0, 0) * 100 + shared_value * 10 + " +
            "(int64_t)strlen(\"abc\"); }", "-O2")),
            Map.of("supplied", base.lookup("seven").orElseThrow())));
        assertEquals(753L, await(user.call("combined", new byte[0])));
        assertEquals(executors.linker().lookup("shared_value"), base.lookup("shared_value"));

        final ModuleStateException inUse = assertThrows(ModuleStateException.class, () -> await(base.unload()));
        assertTrue(inUse.getMessage().contains("still used"), inUse.getMessage());
        final ExecutorAddress code = user.lookup("combined").orElseThrow();
        await(user.unload());
        assertThrows(ModuleStateException.class, () -> await(user.call("combined", new byte[0])));
        await(base.unload());
        assertTrue(executors.linker().modules().isEmpty());
        if (backend == Executors.Backend.POSIX_SHM)
        {
            assertTrue(ProcMaps.of(executors.pid()).mappingAt(code.value()).map(mapping ->
                mapping.protection() != MemoryProtection.READ_EXEC).orElse(true), "nothing of it executable");
        }
        assertNothingAllocated();
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void aComdatGroupHasOneCopyAcrossLoads(final Executors.Backend backend) throws Exception
    {
        start(backend);
        final List<LoadedModule> modules = new java.util.ArrayList<>();
        for (final String name : List.of("first", "second"))
        {
            final Path source = directory.resolve(name + ".cpp");
            Files.writeString(source, "inline long shared_inline(long x) { return x * 7; }\n" +
                "extern \"C\" long " + name + "_address(const void *, unsigned long)\n" +
                "{ return (long)&shared_inline + 0 * shared_inline(1); }\n");
            modules.add(await(executors.linker().load(name, List.of(ObjectFile.read(Toolchain.compile("gcc", source,
                directory.resolve(name + ".o"), List.of("-O2", "-fPIC")))), Map.of())));
        }
        final long first = await(modules.get(0).call("first_address", new byte[0]));
        assertEquals(first, (long)await(modules.get(1).call("second_address", new byte[0])), "one copy");
        assertEquals(modules.get(0).lookup("_Z13shared_inlinel").orElseThrow().value(), first);
        assertThrows(ModuleStateException.class, () -> await(modules.get(0).unload()), "the second uses it");
        await(modules.get(1).unload());
        await(modules.get(0).unload());
        assertNothingAllocated();
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void loadsLibrariesIntoTheExecutor(final Executors.Backend backend) throws Exception
    {
        start(backend);
        await(executors.linker().loadLibrary("libm.so.6"));
        final LoadedModule module = await(executors.linker().load("m", List.of(Toolchain.compileC(directory, "m",
            "#include <stdint.h>\n#include <stddef.h>\n#include <math.h>\n" +
            "int64_t root(const void *a, size_t n) { return (int64_t)sqrt(*(const double *)a); }", "-O0")),
            Map.of()));
        final byte[] argument = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .putDouble(1764.0).array();
        assertEquals(42L, await(module.call("root", argument)));
        final MemoryMapperException error = assertThrows(MemoryMapperException.class,
            () -> await(executors.linker().loadLibrary("/no/such/library.so")));
        assertTrue(error.getMessage().contains("path=/no/such/library.so"), error.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void duplicateStrongDefinitionsAreErrorsWeakOnesAreNot(final Executors.Backend backend) throws Exception
    {
        start(backend);
        final ObjectFile one = Toolchain.compileC(directory, "one", "int twice_defined(void) { return 1; }", "-O2");
        final ObjectFile two = Toolchain.compileC(directory, "two", "int twice_defined(void) { return 2; }", "-O2");
        refused(DuplicateSymbolException.class, "symbol=twice_defined", one, two);
        refused(DuplicateSymbolException.class, "object=two.o", one, two);
        final LoadedModule first = await(executors.linker().load("first", List.of(one), Map.of()));
        refused(DuplicateSymbolException.class, "module=first", two);
        await(first.unload());
        assertNothingAllocated();
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void valuesThatDoNotFitNameTheRelocation(final Executors.Backend backend) throws Exception
    {
        start(backend);
        final ObjectFile absolute = Toolchain.compileC(directory, "absolute",
            "const char *text(void) { return \"far away\"; }",
            "-O2", "-fno-pic", "-mcmodel=small");
        final RelocationOverflowException error = refused(RelocationOverflowException.class,
            "relocation=R_X86_64_32", absolute);
        assertEquals("absolute.o", error.site().object());
        assertEquals(".text", error.site().section());
        assertEquals("R_X86_64_32", error.site().relocation());
        assertTrue(error.site().offset() >= 0);
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void threadLocalStorageIsUnsupported(final Executors.Backend backend) throws Exception
    {
        start(backend);
        final ObjectFile tls = Toolchain.compileC(directory, "tls",
            "__thread int counter; int bump(void) { return ++counter; }", "-O2");
        refused(UnsupportedObjectException.class, "thread-local storage", tls);
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void objectsOfAnotherKindAreNamedForWhatTheyAre(final Executors.Backend backend) throws Exception
    {
        start(backend);
        final ObjectFile valid = Toolchain.compileC(directory, "valid", "int f(void) { return 1; }", "-O2");
        assertRefused(mutated(valid, 4, 1), "not a 64-bit ELF object: class=1");
        assertRefused(mutated(valid, 5, 2), "not a little-endian ELF object: data=2");
        assertRefused(mutated(valid, 18, 40), "unsupported machine: e_machine=40");
        final Path source = directory.resolve("so.c");
        Files.writeString(source, "int f(void) { return 1; } int main(void) { return f(); }");
        for (final String kind : List.of("-shared -fPIC:3 (shared object)", "-no-pie:2 (executable)"))
        {
            final Path linked = directory.resolve("linked" + kind.length());
            final List<String> command = new java.util.ArrayList<>(List.of("gcc"));
            command.addAll(List.of(kind.substring(0, kind.indexOf(':')).split(" ")));
            command.addAll(List.of(source.toString(), "-o", linked.toString()));
            Toolchain.check(command, Toolchain.run(command, directory));
            assertRefused(ObjectFile.read(linked), "not a relocatable object: e_type=" +
                kind.substring(kind.indexOf(':') + 1));
        }
        assertRefused(new ObjectFile("text", "hello".getBytes()), "not an ELF file");
        final byte[] aarch64 = mutated(valid, 18, 183).bytes();
        assertRefused(new ObjectFile("valid.o", aarch64), "object's machine is not the executor's");
        assertNothingAllocated();
    }

    private void assertRefused(final ObjectFile object, final String reason)
    {
        assertEquals(object.name(), refused(UnsupportedObjectException.class, reason, object).site().object());
    }

    private static ObjectFile mutated(final ObjectFile object, final int offset, final int value)
    {
        final byte[] bytes = object.bytes().clone();
        bytes[offset] = (byte)value;
        return new ObjectFile(object.name(), bytes);
    }
}
