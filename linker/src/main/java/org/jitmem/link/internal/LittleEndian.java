package org.jitmem.link.internal;

/** Little-endian fields of byte arrays: the byte order of every object and executor this linker handles. */
final class LittleEndian
{
    private LittleEndian()
    {
    }

    static void putInt(final byte[] bytes, final int at, final int value)
    {
        for (int i = 0; i < Integer.BYTES; i++)
        {
            bytes[at + i] = (byte)(value >>> (8 * i));
        }
    }

    static void putLong(final byte[] bytes, final int at, final long value)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            bytes[at + i] = (byte)(value >>> (8 * i));
        }
    }

    static int getInt(final byte[] bytes, final int at)
    {
        return (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8 | (bytes[at + 2] & 0xff) << 16 |
            (bytes[at + 3] & 0xff) << 24;
    }

    static long getLong(final byte[] bytes, final int at)
    {
        return Integer.toUnsignedLong(getInt(bytes, at)) | (long)getInt(bytes, at + 4) << 32;
    }
}
