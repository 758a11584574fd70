package org.jitmem.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class MachineCodeTest
{
    private static final int ELF_HEADER_PREFIX = 20;
    private static final int E_MACHINE = 18;
    private static final int EM_X86_64 = 62;
    private static final int EM_AARCH64 = 183;

    /** What the ELF header of this process's executable says it runs, beside what MachineCode emits. */
    @Test
    void emitsForTheArchitectureThisProcessRuns() throws IOException
    {
        final byte[] header = new byte[ELF_HEADER_PREFIX];
        try (InputStream executable = Files.newInputStream(Path.of("/proc/self/exe")))
        {
            assertEquals(header.length, executable.readNBytes(header, 0, header.length));
        }
        assertArrayEquals(new byte[] {0x7F, 'E', 'L', 'F'}, Arrays.copyOf(header, 4));
        final int machine = ByteBuffer.wrap(header, E_MACHINE, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
        assertEquals(switch (MachineCode.architecture())
        {
            case X86_64 -> EM_X86_64;
            case AARCH64 -> EM_AARCH64;
        }, machine);
    }

    @Test
    void storeArgumentIsAddressThenValueInNativeOrder()
    {
        final ByteBuffer argument = ByteBuffer.wrap(MachineCode.storeArgument(0x1000L, -2L))
            .order(ByteOrder.nativeOrder());
        assertEquals(16, argument.capacity());
        assertEquals(0x1000L, argument.getLong());
        assertEquals(-2L, argument.getLong());
    }

    @Test
    void loadArgumentIsTheAddressInNativeOrder()
    {
        final ByteBuffer argument = ByteBuffer.wrap(MachineCode.loadArgument(0x2000L)).order(ByteOrder.nativeOrder());
        assertEquals(8, argument.capacity());
        assertEquals(0x2000L, argument.getLong());
    }

    @Test
    void failingCodeMustNotReturnZero()
    {
        assertThrows(IllegalArgumentException.class, () -> MachineCode.returnValue(0));
    }
}
