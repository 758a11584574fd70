package org.jitmem.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A function hosted in the executor and called by name through an {@link ExecutorChannel}. Failures are thrown as
 * {@link MemoryMapperException}s and travel back to the controller as data.
 */
@ConsumerType
@FunctionalInterface
public interface ExecutorFunction
{
    /**
     * @param argument the argument block sent by the controller
     * @return the result block
     */
    byte[] invoke(byte[] argument);
}
