package org.jitmem.api;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Reserves address space in an executor, hands out working memory for the controller to write, initializes it
 * (zero fill, protections, instruction cache, finalize actions), deinitializes it (dealloc actions, protections
 * reset) and releases it. Operations that may cross a process boundary complete asynchronously; their failures are
 * {@link MemoryMapperException}s. Backends register implementations as OSGi services with the properties named in
 * {@link MapperProperties}. Implementations are thread-safe. Stages may complete on a backend's internal thread
 * (the reader of an executor channel): dependents that block belong on the {@code ...Async} methods.
 */
@ProviderType
public interface MemoryMapper
{
    /** @return the executor's page size in bytes; never assume 4096 */
    long pageSize();

    /** @return the backend type, one of the {@code TYPE_} values of {@link MapperProperties} */
    String type();

    /** @return true when the executor is another process */
    boolean crossProcess();

    /** @return the executor's process id */
    long executorPid();

    /**
     * @return the reserved and committed bytes this mapper holds and the limits it enforces on them, when it keeps
     *     such accounts
     */
    default Optional<MemoryUsage> memoryUsage()
    {
        return Optional.empty();
    }

    /**
     * Reserves address space with no access. The size is rounded up to whole pages.
     *
     * @param numBytes bytes wanted, more than zero
     * @return the reserved range, whose size is the rounded size
     */
    CompletionStage<ExecutorAddressRange> reserve(long numBytes);

    /**
     * Working memory for content that will live at {@code address} once initialized. The view is bounds-checked,
     * in native byte order, positioned at zero with {@code contentSize} bytes remaining, and valid until the
     * reservation is released.
     *
     * @param address     an address inside a reservation
     * @param contentSize bytes of content, within the reservation and at most {@link Integer#MAX_VALUE}
     * @return the working memory
     * @throws InvalidRequestException when the range is not inside one reservation
     */
    ByteBuffer prepare(ExecutorAddress address, long contentSize);

    /**
     * Zero-fills each segment's tail, applies its protection, flushes the instruction cache for executable
     * segments, then runs the finalize actions in order. When action k fails the dealloc actions of 0..k-1 run in
     * reverse and nothing is recorded. Once the actions have run, {@link MemoryLifetime#FINALIZE} segments are given
     * back (protection reset, no longer initialized). A request refused with {@link InvalidRequestException} (such
     * as a writable and executable segment under W^X) was refused before anything was applied.
     *
     * @param info segments and actions, every segment inside the reservation that holds the mapping base
     * @return the allocation key that {@link #deinitialize} takes: the lowest segment address
     */
    CompletionStage<ExecutorAddress> initialize(AllocInfo info);

    /**
     * Deinitializes the allocations in the reverse of the order given (as LLVM does): each one's dealloc actions run
     * in reverse order and its protections are reset so the range can be reused. Every key is processed; failures
     * are joined ({@link ErrorJoiner}), one per failed key, whose {@link MemoryMapperException#address() address}
     * is that key (the failed action or protection change is its cause where the failure did not cross a process
     * boundary, and named in its reason). A failure whose address is not one of the keys, such as an executor that
     * went away, leaves every key of the batch in doubt.
     *
     * @param allocations keys returned by {@link #initialize}
     * @return completes when every key has been processed
     */
    CompletionStage<Void> deinitialize(List<ExecutorAddress> allocations);

    /**
     * Deinitializes whatever is still initialized in each reservation, last-in first-out (the allocation initialized
     * last is deinitialized first, while the memory is still mapped), then unmaps it: a bare mapper keeps nothing
     * for reuse. Every reservation is processed; failures are joined.
     *
     * @param reservations start addresses returned by {@link #reserve}
     * @return completes when every reservation has been processed
     */
    CompletionStage<Void> release(List<ExecutorAddress> reservations);

    /**
     * Calls {@code int64_t fn(const void *arg, size_t len)} in the executor, for running JIT'd code.
     *
     * @param call the function, inside an initialized executable segment, and its argument block
     * @return what the function returned
     */
    CompletionStage<Long> call(ActionCall call);

    /**
     * Waits for a stage and returns its value, rethrowing its failure unwrapped.
     *
     * @param stage a stage from a mapper
     * @param <T>   the value type
     * @return the value
     * @throws MemoryMapperException or any other runtime exception the stage failed with
     */
    static <T> T await(final CompletionStage<T> stage)
    {
        try
        {
            return stage.toCompletableFuture().get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new ExecutorUnavailableException(MapperOperation.CHANNEL, "interrupted while waiting",
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, ex);
        }
        catch (final ExecutionException | CompletionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            if (cause instanceof Error error)
            {
                throw error;
            }
            throw new MemoryMapperException(MapperOperation.CHANNEL, String.valueOf(cause),
                MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN, 0, cause);
        }
    }
}
