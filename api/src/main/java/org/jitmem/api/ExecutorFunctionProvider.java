package org.jitmem.api;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Supplies executor functions; the executor finds providers with {@link java.util.ServiceLoader} at start-up and
 * creates one per controller connection. Closing it releases everything its functions hold.
 */
@ConsumerType
public interface ExecutorFunctionProvider extends AutoCloseable
{
    /** @return the functions by name; names are prefixed by the provider, such as {@code posixshm.reserve} */
    Map<String, ExecutorFunction> functions();

    /** Releases everything the functions hold; called once when the controller goes away. */
    @Override
    void close();
}
