package org.jitmem.link.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.jitmem.link.LinkException;
import org.jitmem.link.ObjectFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte mutations of a C++ object (COMDAT groups, unwind tables, exception tables, constructors) and of an aarch64 C
 * object with unwind tables through the reader,
 * the layout and the relocation of every section, without an executor: each mutation is laid out and relocated or
 * refused with a {@link LinkException}, never another exception.
 */
@Timeout(300)
class PlanFuzzTest
{
    private static final String C_SOURCE = """
        #include <stdio.h>
        static int table[16]; int counter;
        __attribute__((constructor)) static void hello(void) { counter++; }
        __attribute__((destructor)) static void bye(void) { printf("%d\\n", counter); }
        int pick(int i) { switch (i) { case 0: return 3; case 1: return 5; case 2: return 8; case 3: return 13;
            default: return table[i & 15]++; } }
        """;
    private static final String CXX_SOURCE = """
        #include <stdexcept>
        #include <string>
        inline int checked(int v) { if (v < 0) throw std::out_of_range(std::to_string(v)); return v; }
        template <typename T> T twice(T v) { return v + v; }
        struct Global { Global() { twice(1); } ~Global() { twice(2L); } } global;
        int entry(int v) { try { return checked(v); } catch (const std::exception &) { return -1; } }
        """;

    @TempDir
    Path directory;

    @Test
    void everyMutationIsLaidOutOrRefusedWithATypedError() throws Exception
    {
        final List<byte[]> objects = new ArrayList<>();
        objects.add(compile("g++", "fuzzed.cpp", CXX_SOURCE));
        if (Files.isExecutable(Path.of("/usr/bin/aarch64-linux-gnu-gcc")))
        {
            objects.add(compile("aarch64-linux-gnu-gcc", "fuzzed.c", C_SOURCE));
        }
        assertTrue(!objects.isEmpty());
        final SplittableRandom random = new SplittableRandom(3);
        int planned = 0;
        for (int round = 0; round < 4000; round++)
        {
            final byte[] bytes = objects.get(round % objects.size()).clone();
            for (int m = 1 + random.nextInt(4); m > 0; m--)
            {
                bytes[random.nextInt(bytes.length)] = (byte)random.nextInt(256);
            }
            try
            {
                final ElfObject elf = ElfObject.read(new ObjectFile("fuzzed.o", bytes));
                final LinkPlan plan = LinkPlan.of(Architecture.of(elf.machine()), List.of(elf), Map.of(), 4096);
                final Map<String, Long> externals = new java.util.HashMap<>();
                plan.externalNames().keySet().forEach(name -> externals.put(name, 0x7f0001000000L));
                plan.link(new long[] {0x7f0000000000L, 0x7f0000100000L, 0x7f0000200000L}, externals);
                planned++;
            }
            catch (final LinkException expected)
            {
                assertTrue(expected.getMessage().startsWith("link: "), expected.getMessage());
            }
            catch (final RuntimeException unexpected)
            {
                fail("mutation round " + round + " failed with an untyped error", unexpected);
            }
        }
        assertTrue(planned > 0);
    }

    private byte[] compile(final String compiler, final String file, final String text) throws Exception
    {
        final Path source = directory.resolve(file);
        Files.writeString(source, text);
        final Path object = directory.resolve(file + ".o");
        final Process process = new ProcessBuilder(compiler, "-O2", "-fPIC", "-fasynchronous-unwind-tables", "-c",
            source.toString(), "-o", object.toString()).inheritIO().start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, compiler + " " + file);
        return Files.readAllBytes(object);
    }
}
