package org.jitmem.link;

import static org.jitmem.link.Executors.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Malformed objects: truncated, indices and offsets out of range, huge sizes, and thousands of byte mutations of a
 * real object. Each load either succeeds (and unloads) or fails with a {@link LinkException}; never another
 * exception, never a crash, and nothing is left allocated.
 */
@Timeout(600)
class MalformedObjectTest
{
    private static final String SOURCE = "#include <stdio.h>\n#include <string.h>\n" +
        "static const char *const words[] = {\"alpha\", \"beta\", \"gamma\"};\n" +
        "int counter; static int table[64];\n" +
        "int pick(int i) { table[i & 63]++; return (int)strlen(words[i % 3]) + counter; }\n" +
        "int shout(const char *s) { return printf(\"%s!\\n\", s) + pick(2); }\n";

    @TempDir
    Path directory;

    @RegisterExtension
    final StartedExecutors started = new StartedExecutors();

    private Executors executors;

    private byte[] compile(final String... flags) throws Exception
    {
        return Toolchain.compileC(directory, "victim", SOURCE, flags).bytes();
    }

    /** @return the failure of a load that must fail, after checking it is a link error */
    private LinkException refused(final byte[] bytes)
    {
        return assertThrows(LinkException.class,
            () -> await(executors.linker().load("victim", List.of(new ObjectFile("victim.o", bytes)), Map.of())));
    }

    @ParameterizedTest
    @EnumSource(Executors.Backend.class)
    void everyTruncationIsATypedError(final Executors.Backend backend) throws Exception
    {
        executors = started.start(backend, directory);
        final byte[] valid = compile("-O2", "-fno-asynchronous-unwind-tables");
        for (int length = 0; length < valid.length; length += Math.max(1, valid.length / 300))
        {
            refused(java.util.Arrays.copyOf(valid, length));
        }
        assertEquals(0, executors.slab().statistics().usedBytes());
    }

    @Test
    void headerFieldsOutOfRangeAreNamed() throws Exception
    {
        executors = started.start(Executors.Backend.INPROCESS, directory);
        final byte[] valid = compile("-O2", "-fno-asynchronous-unwind-tables");
        final ByteBuffer header = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN);
        final long shoff = header.getLong(40);
        final int shnum = Short.toUnsignedInt(header.getShort(60));

        assertReason(patchLong(valid, 40, 1L << 40), "section header table past the end of the file");
        assertReason(patchShort(valid, 62, shnum + 3), "section name table index out of range");
        int symtab = -1;
        int rela = -1;
        for (int i = 0; i < shnum; i++)
        {
            final int type = header.getInt((int)(shoff + 64L * i + 4));
            symtab = type == 2 ? i : symtab;
            rela = type == 4 && rela < 0 ? i : rela;
        }
        final int symtabHeader = (int)(shoff + 64L * symtab);
        final int relaHeader = (int)(shoff + 64L * rela);
        assertReason(patchLong(valid, symtabHeader + 32, Long.MAX_VALUE - 8), "past the end of the file");
        assertReason(patchLong(valid, symtabHeader + 24, valid.length - 8), "past the end of the file");
        assertReason(patchInt(valid, relaHeader + 44, 9999), "relocated section out of range");
        final long relaOffset = header.getLong(relaHeader + 24);
        assertReason(patchLong(valid, (int)relaOffset, 1L << 32), "relocation offset past its section");
        assertReason(patchInt(valid, (int)relaOffset + 12, 1 << 30), "relocation symbol out of range");
        assertReason(patchInt(valid, (int)relaOffset + 8, 250), "unsupported relocation");
        assertEquals(0, executors.slab().statistics().usedBytes());
    }

    @Test
    void thousandsOfByteMutationsAreLoadedOrRefusedWithTypedErrors() throws Exception
    {
        executors = started.start(Executors.Backend.POSIX_SHM, directory);
        final byte[] valid = compile("-O2", "-fno-asynchronous-unwind-tables", "-fPIC");
        final SplittableRandom random = new SplittableRandom(20261203);
        int loaded = 0;
        for (int round = 0; round < 3000; round++)
        {
            final byte[] bytes = valid.clone();
            final int mutations = 1 + random.nextInt(3);
            for (int m = 0; m < mutations; m++)
            {
                final int at = random.nextInt(bytes.length);
                bytes[at] = random.nextBoolean() ? (byte)random.nextInt(256) :
                    (byte)(bytes[at] ^ (1 << random.nextInt(8)));
            }
            try
            {
                final LoadedModule module = await(executors.linker().load("victim",
                    List.of(new ObjectFile("victim.o", bytes)), Map.of()));
                loaded++;
                await(module.unload());
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
        assertTrue(loaded > 0, "some mutations only touch bytes the linker does not read");
        assertEquals(0, executors.slab().statistics().usedBytes());
    }

    private void assertReason(final byte[] bytes, final String reason)
    {
        final LinkException error = refused(bytes);
        assertTrue(error.getMessage().contains(reason), error.getMessage());
        assertEquals("victim.o", error.site().object());
    }

    private static byte[] patchLong(final byte[] bytes, final int at, final long value)
    {
        final byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(at, value);
        return copy;
    }

    private static byte[] patchInt(final byte[] bytes, final int at, final int value)
    {
        final byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return copy;
    }

    private static byte[] patchShort(final byte[] bytes, final int at, final int value)
    {
        final byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short)value);
        return copy;
    }
}
