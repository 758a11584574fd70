package org.jitmem.link.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jitmem.link.ObjectFile;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The relocation arithmetic against GNU ld's: the corpus's C programs, compiled for x86-64 and (with Debian's cross
 * compiler) for aarch64, are laid out by the linker at chosen addresses, then linked by GNU ld with a script placing
 * every section at the very address the linker chose and every external symbol where the linker was told it is.
 * Every byte of every section must agree, except the fields of GOT relocations (each linker has its own GOT) and, on
 * x86-64, the two instruction bytes before them (GNU ld may rewrite a GOT load it can resolve statically).
 * This machine cannot run aarch64 code, so this is how aarch64 is verified.
 */
@Timeout(300)
class RelocationArithmeticTest
{
    private static final long CODE = 0x10000000L;
    private static final long RODATA = 0x10200000L;
    private static final long DATA = 0x10400000L;
    private static final long EXTERNALS = 0x12000000L;

    private static final Map<String, List<String>> PROGRAMS = Map.of(
        "hello", List.of("hello.c"), "sort", List.of("sort.c"), "multi", List.of("main.c", "lib.c", "util.c"),
        "tables", List.of("tables.c"), "weak", List.of("main.c", "strong.c"), "ctors", List.of("ctors.c"),
        "data", List.of("data.c"), "asm", List.of());

    @TempDir
    Path directory;

    static Stream<Arguments> cases()
    {
        final List<Arguments> cases = new ArrayList<>();
        final Map<String, List<List<String>>> variants = new LinkedHashMap<>();
        variants.put("", List.of(List.of("-O0"), List.of("-O2"), List.of("-O2", "-fPIC"), List.of("-O2", "-fno-pic"),
            List.of("-O1", "-fno-pic", "-mcmodel=large")));
        variants.put("aarch64-linux-gnu-", List.of(List.of("-O0"), List.of("-O2"), List.of("-O2", "-fPIC"),
            List.of("-O2", "-fno-pic"), List.of("-O1", "-fno-pic", "-mcmodel=large")));
        for (final Map.Entry<String, List<List<String>>> variant : variants.entrySet())
        {
            for (final String program : PROGRAMS.keySet().stream().sorted().toList())
            {
                for (final List<String> flags : program.equals("asm") ? List.of(List.<String>of()) : variant.getValue())
                {
                    cases.add(Arguments.of(variant.getKey().isEmpty() ? "x86_64" : "aarch64", variant.getKey(),
                        program, flags));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {2} {3}")
    @MethodSource("cases")
    void everyRelocatedByteAgreesWithGnuLd(final String architecture, final String prefix, final String program,
        final List<String> flags) throws Exception
    {
        assumeTrue(exists(prefix + "gcc") && exists(prefix + "ld"), "no " + prefix + "gcc and " + prefix + "ld");
        final List<Path> objects = new ArrayList<>();
        final List<ElfObject> elves = new ArrayList<>();
        for (final String file : program.equals("asm") ? List.of(architecture + ".s") : PROGRAMS.get(program))
        {
            final Path source = directory.resolve(file);
            try (InputStream in = getClass().getResourceAsStream("/corpus/" + program + "/" + file))
            {
                Files.write(source, in.readAllBytes());
            }
            final Path object = directory.resolve(file + ".o");
            final List<String> compile = new ArrayList<>(List.of(prefix + "gcc", "-c",
                "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fno-common"));
            compile.addAll(flags);
            compile.addAll(List.of(source.toString(), "-o", object.toString()));
            run(compile);
            elves.add(ElfObject.read(ObjectFile.read(object)));
            objects.add(withoutMerging(object));
        }
        final Architecture machine = Architecture.of(elves.get(0).machine());
        final LinkPlan plan = LinkPlan.of(machine, elves, Map.of(), 4096);
        final Map<String, Long> externals = new HashMap<>();
        final List<String> ld = new ArrayList<>(List.of(prefix + "ld", "-static", "-nostdlib", "--no-relax",
            "-z", "norelro", "--build-id=none", "-e", "0", "--no-warn-rwx-segments"));
        int slot = 0;
        for (final String name : plan.externalNames().keySet())
        {
            if (plan.isRequired(name))
            {
                final long address = EXTERNALS + 64L * slot++;
                externals.put(name, address);
                ld.add("--defsym=" + name + "=0x" + Long.toHexString(address));
            }
            else
            {
                externals.put(name, 0L);
            }
        }
        final long[] bases = {CODE, RODATA, DATA};
        final LinkImage image = plan.link(bases, externals);

        final StringBuilder script = new StringBuilder("SECTIONS\n{\n");
        final List<LinkPlan.PlacedSection> placed = plan.placedSections(bases);
        for (final LinkPlan.PlacedSection section : placed)
        {
            script.append("  s").append(section.object()).append('_').append(section.section().index()).append(" 0x")
                .append(Long.toHexString(section.address())).append(" : { ").append(objects.get(section.object()))
                .append("(").append(section.section().name()).append(") }\n");
        }
        script.append("  .got 0x13000000 : { *(.got) }\n  .got.plt 0x13100000 : { *(.got.plt) }\n}\n");
        final Path scriptFile = directory.resolve("layout.ld");
        Files.writeString(scriptFile, script);
        final Path output = directory.resolve("linked.elf");
        ld.addAll(List.of("-T", scriptFile.toString(), "-o", output.toString()));
        objects.forEach(object -> ld.add(object.toString()));
        run(ld);

        final Map<String, byte[]> linked = sections(Files.readAllBytes(output));
        final Set<Long> gotFields = gotFields(elves, placed, machine);
        int compared = 0;
        for (final LinkPlan.PlacedSection section : placed)
        {
            if (section.section().type() == Elf.SHT_NOBITS || section.section().size() == 0)
            {
                continue;
            }
            final int offset = (int)(section.address() - bases[section.kind().ordinal()]);
            final byte[] ours = java.util.Arrays.copyOfRange(image.contents()[section.kind().ordinal()], offset,
                offset + (int)section.section().size());
            final byte[] theirs = linked.get("s" + section.object() + "_" + section.section().index());
            for (int i = 0; i < ours.length; i++)
            {
                if (gotFields.contains(section.address() + i))
                {
                    ours[i] = 0;
                    theirs[i] = 0;
                }
            }
            assertArrayEquals(theirs, ours, () -> "section " + section.section().name() + " of " +
                objects.get(section.object()).getFileName());
            compared++;
        }
        assertTrue(compared > 0);
    }

    /**
     * GNU ld merges the strings of mergeable sections (and shares common suffixes) where this linker keeps sections
     * as they are: ld gets a copy of the object with the merge flags cleared, so that both lay the same bytes out.
     */
    private static Path withoutMerging(final Path object) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(object);
        final ByteBuffer data = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final long shoff = data.getLong(40);
        final int shnum = Short.toUnsignedInt(data.getShort(60));
        for (int i = 0; i < shnum; i++)
        {
            final int flags = (int)(shoff + 64L * i + 8);
            data.putLong(flags, data.getLong(flags) & ~0x30L);
        }
        final Path copy = object.resolveSibling("ld-" + object.getFileName());
        Files.write(copy, bytes);
        return copy;
    }

    private static Set<Long> gotFields(final List<ElfObject> elves, final List<LinkPlan.PlacedSection> placed,
        final Architecture machine)
    {
        final Set<Long> fields = new HashSet<>();
        for (final LinkPlan.PlacedSection section : placed)
        {
            final ElfObject elf = elves.get(section.object());
            for (final ElfObject.Section rela : elf.sections())
            {
                if (rela.type() != Elf.SHT_RELA || rela.info() != section.section().index())
                {
                    continue;
                }
                for (final ElfObject.Relocation relocation : elf.relocations(rela))
                {
                    if (machine.kind(relocation.type()) == Architecture.Kind.GOT)
                    {
                        for (int i = machine.machine() == Elf.EM_X86_64 ? -2 : 0; i < 4; i++)
                        {
                            fields.add(section.address() + relocation.offset() + i);
                        }
                    }
                }
            }
        }
        return fields;
    }

    /** @return the content of each section of a linked ELF64 little-endian file, by name */
    private static Map<String, byte[]> sections(final byte[] elf)
    {
        final ByteBuffer data = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        final long shoff = data.getLong(40);
        final int shnum = Short.toUnsignedInt(data.getShort(60));
        final int shstrndx = Short.toUnsignedInt(data.getShort(62));
        final int namesOffset = (int)data.getLong((int)(shoff + 64L * shstrndx + 24));
        final Map<String, byte[]> sections = new HashMap<>();
        for (int i = 0; i < shnum; i++)
        {
            final int header = (int)(shoff + 64L * i);
            int end = namesOffset + data.getInt(header);
            final int start = end;
            while (elf[end] != 0)
            {
                end++;
            }
            final String name = new String(elf, start, end - start, StandardCharsets.UTF_8);
            final int offset = (int)data.getLong(header + 24);
            final int size = (int)data.getLong(header + 32);
            sections.put(name, data.getInt(header + 4) == Elf.SHT_NOBITS ? new byte[size] :
                java.util.Arrays.copyOfRange(elf, offset, offset + size));
        }
        return sections;
    }

    private void run(final List<String> command) throws IOException, InterruptedException
    {
        final Path log = Files.createTempFile(directory, "command", ".log");
        final Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException("command did not end in time: " + command);
        }
        if (process.exitValue() != 0)
        {
            throw new IllegalStateException("command failed: " + command + "\n" + Files.readString(log));
        }
    }

    private static boolean exists(final String program)
    {
        for (final String path : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
        {
            if (Files.isExecutable(Path.of(path, program)))
            {
                return true;
            }
        }
        return false;
    }
}
