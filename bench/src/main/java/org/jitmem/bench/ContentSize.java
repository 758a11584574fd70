package org.jitmem.bench;

import java.util.Locale;

/** Sizes written the way the LLVM anchor prints them: {@code 4KiB}, {@code 16MiB}, or plain bytes. */
final class ContentSize
{
    private static final long KIB = 1024;
    private static final long MIB = KIB * KIB;

    private ContentSize()
    {
    }

    /**
     * @param text a size such as {@code 64KiB}, {@code 1MiB} or {@code 4096}
     * @return the size in bytes
     * @throws IllegalArgumentException when the text is not a positive size that fits an array
     */
    static int parse(final String text)
    {
        final String lower = text.trim().toLowerCase(Locale.ROOT);
        final long unit = lower.endsWith("kib") ? KIB : lower.endsWith("mib") ? MIB : 1;
        final String digits = unit == 1 ? lower : lower.substring(0, lower.length() - 3);
        final long bytes;
        try
        {
            bytes = Math.multiplyExact(Long.parseLong(digits), unit);
        }
        catch (final NumberFormatException | ArithmeticException ex)
        {
            throw new IllegalArgumentException("content size must look like 4KiB, 1MiB or 4096: size=" + text, ex);
        }
        if (bytes <= 0 || bytes > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("content size out of range: size=" + text);
        }
        return (int)bytes;
    }
}
