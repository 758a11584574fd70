package org.jitmem.channel;

/** Closing on failure and teardown paths, where a second failure must not hide the first. */
final class Closeables
{
    private static final System.Logger LOG = System.getLogger(Closeables.class.getName());

    private Closeables()
    {
    }

    /** Closes {@code closeable}, if not null, logging a failure. */
    static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable == null)
        {
            return;
        }
        try
        {
            closeable.close();
        }
        catch (final Exception ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "close failed: " + closeable, ex);
        }
    }
}
