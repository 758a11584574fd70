package org.jitmem.api;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The controller's end of a connection to one executor: calls a named executor function with an argument block
 * and completes with its result bytes or its error. Many calls may be in flight at once. When the executor dies or
 * the channel closes, every pending and later call fails at once with {@link ExecutorUnavailableException}.
 * Registered as an OSGi service with {@link MapperProperties#EXECUTOR_PID} while open.
 */
@ProviderType
public interface ExecutorChannel extends AutoCloseable
{
    /** @return what the executor stated in its handshake */
    ExecutorInfo executor();

    /**
     * @param function name of an executor function
     * @param argument argument block
     * @return the function's result, or its failure as a {@link MemoryMapperException}
     */
    CompletionStage<byte[]> call(String function, byte[] argument);

    /** @return true until the channel closes */
    boolean isOpen();

    /** @return completes, with the reason, when the channel closes for any reason */
    CompletionStage<Throwable> closed();

    /** Closes the channel; the executor then releases everything it holds for this controller and exits. */
    @Override
    void close();
}
