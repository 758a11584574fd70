package org.jitmem.link.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jitmem.link.ObjectFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A call to a function out of a branch's reach (an executor library far from the slab) goes through a call stub:
 * {@code jmp *got(%rip)} on x86-64, the veneer {@code ldr x16, #8; br x16; .xword target} on aarch64. Checked by
 * decoding the branch and the stub the linker wrote.
 */
@Timeout(120)
class CallStubTest
{
    private static final long CODE = 0x7f0000000000L;
    private static final long RODATA = CODE + 0x100000;
    private static final long DATA = CODE + 0x200000;
    private static final long FAR = 0x7fff12345670L;

    @TempDir
    Path directory;

    private LinkImage link(final String compiler, final Map<String, Long> externals) throws Exception
    {
        final Path source = directory.resolve("near.c");
        Files.writeString(source, "extern int far_away(int); int near(int x) { return far_away(x) + 1; }");
        final Path object = directory.resolve("near.o");
        final Process process = new ProcessBuilder(compiler, "-O2", "-fno-asynchronous-unwind-tables", "-c",
            source.toString(), "-o", object.toString()).inheritIO().start();
        assertEquals(true, process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        final ElfObject elf = ElfObject.read(ObjectFile.read(object));
        return LinkPlan.of(Architecture.of(elf.machine()), List.of(elf), Map.of(), 4096)
            .link(new long[] {CODE, RODATA, DATA}, externals);
    }

    @Test
    void x86CallsOutOfRangeGoThroughTheGot() throws Exception
    {
        final LinkImage image = link("gcc", Map.of("far_away", FAR));
        final ByteBuffer code = ByteBuffer.wrap(image.contents()[0]).order(ByteOrder.LITTLE_ENDIAN);
        final int near = (int)(image.symbols().get("near") - CODE);
        int call = near;
        while ((code.get(call) & 0xff) != 0xe8 && (code.get(call) & 0xff) != 0xe9)
        {
            call++;
        }
        final long stub = CODE + call + 5 + code.getInt(call + 1);
        final int at = (int)(stub - CODE);
        assertEquals(0xff, code.get(at) & 0xff, "jmp *disp32(%rip)");
        assertEquals(0x25, code.get(at + 1) & 0xff);
        final long gotEntry = stub + 6 + code.getInt(at + 2);
        final ByteBuffer rodata = ByteBuffer.wrap(image.contents()[1]).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FAR, rodata.getLong((int)(gotEntry - RODATA)));
    }

    @Test
    void aarch64CallsOutOfRangeGoThroughAVeneer() throws Exception
    {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/aarch64-linux-gnu-gcc")), "no aarch64 cross compiler");
        final LinkImage image = link("aarch64-linux-gnu-gcc", Map.of("far_away", FAR));
        final ByteBuffer code = ByteBuffer.wrap(image.contents()[0]).order(ByteOrder.LITTLE_ENDIAN);
        int branch = (int)(image.symbols().get("near") - CODE);
        while ((code.getInt(branch) & 0x7c000000) != 0x14000000)
        {
            branch += 4;
        }
        final long offset = ((long)code.getInt(branch) << 38) >> 36;
        final int veneer = (int)(branch + offset);
        assertEquals(0x58000050, code.getInt(veneer), "ldr x16, #8");
        assertEquals(0xd61f0200, code.getInt(veneer + 4), "br x16");
        assertEquals(FAR, code.getLong(veneer + 8));
    }

    @Test
    void callsInRangeStayDirect() throws Exception
    {
        final long near = CODE + 0x1000000;
        final LinkImage image = link("gcc", Map.of("far_away", near));
        final ByteBuffer code = ByteBuffer.wrap(image.contents()[0]).order(ByteOrder.LITTLE_ENDIAN);
        int call = (int)(image.symbols().get("near") - CODE);
        while ((code.get(call) & 0xff) != 0xe8 && (code.get(call) & 0xff) != 0xe9)
        {
            call++;
        }
        assertEquals(near, CODE + call + 5 + code.getInt(call + 1));
    }
}
