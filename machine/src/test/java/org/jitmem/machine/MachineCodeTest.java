package org.jitmem.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class MachineCodeTest
{
    @Test
    void knowsThisArchitecture()
    {
        assertNotNull(MachineCode.architecture());
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
