package org.jitmem.link;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Starts linkers on backends for one test and closes them after it, with the checks {@link Executors} makes. */
final class StartedExecutors implements AfterEachCallback
{
    private final List<Executors> started = new ArrayList<>();

    /**
     * @param backend   the backend
     * @param directory the test's directory
     * @return a linker on the backend, closed after the test
     * @throws Exception when the executor does not start
     */
    Executors start(final Executors.Backend backend, final Path directory) throws Exception
    {
        final Executors executors = Executors.start(backend, Files.createTempDirectory(directory, "executor"));
        started.add(executors);
        return executors;
    }

    @Override
    public void afterEach(final ExtensionContext context) throws Exception
    {
        try
        {
            for (final Executors executors : started)
            {
                executors.close();
            }
        }
        finally
        {
            started.clear();
        }
    }
}
