package org.jitmem.executor;

import java.lang.reflect.Field;

/** The page size of this process, as the JVM knows it; no native binding of its own. */
final class PageSize
{
    private PageSize()
    {
    }

    /** @return the page size in bytes */
    static long get()
    {
        try
        {
            final Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            final Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return ((Number)unsafeClass.getMethod("pageSize").invoke(field.get(null))).longValue();
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            throw new IllegalStateException("page size unknown: jdk.unsupported module missing?", ex);
        }
    }
}
