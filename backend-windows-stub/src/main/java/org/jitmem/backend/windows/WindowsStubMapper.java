package org.jitmem.backend.windows;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.jitmem.api.ActionCall;
import org.jitmem.api.AllocInfo;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorAddressRange;
import org.jitmem.api.MapperOperation;
import org.jitmem.api.MapperProperties;
import org.jitmem.api.MemoryMapper;
import org.jitmem.api.MemoryMapperException;
import org.jitmem.api.UnsupportedPlatformException;
import org.osgi.annotation.bundle.Requirement;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The mapper of platforms jitmem has no backend for yet: it describes itself, and every memory operation fails with
 * an {@link UnsupportedPlatformException} naming the operation and the platform. Synchronous operations throw;
 * asynchronous ones return failed stages. {@link #pageSize()} throws as well: the stub has no native binding to ask
 * the OS, and a page size is only of use to plan reservations, which fail anyway.
 * <p>
 * The bundle requires an {@code osgi.native} capability whose OS name is Windows, so the framework resolves it on
 * Windows only; its low service ranking lets any real backend win.
 */
@Requirement(namespace = "osgi.native", filter = WindowsStubMapper.WINDOWS_FILTER)
@Component(service = MemoryMapper.class, property = {
    MapperProperties.TYPE + "=" + MapperProperties.TYPE_WINDOWS_STUB,
    MapperProperties.CROSS_PROCESS + ":Boolean=false",
    Constants.SERVICE_RANKING + ":Integer=" + WindowsStubMapper.SERVICE_RANKING})
public final class WindowsStubMapper implements MemoryMapper
{
    /** Matches the {@code osgi.native} capability of a framework running on any Windows version. */
    static final String WINDOWS_FILTER = "(osgi.native.osname~=win32)";

    /** Below every real backend. */
    static final int SERVICE_RANKING = -100;

    private static final String UNSUPPORTED = "unsupported on this platform: os=%s arch=%s";

    private final String reason;

    /**
     * Describes the platform as the framework sees it, which is what the resolver matched.
     *
     * @param context the bundle context
     */
    @Activate
    public WindowsStubMapper(final BundleContext context)
    {
        this(context.getProperty(Constants.FRAMEWORK_OS_NAME), context.getProperty(Constants.FRAMEWORK_PROCESSOR));
    }

    /**
     * @param osName        the OS name to report
     * @param processorName the processor architecture to report
     */
    WindowsStubMapper(final String osName, final String processorName)
    {
        reason = String.format(UNSUPPORTED, osName, processorName);
    }

    /**
     * Always fails.
     *
     * @throws UnsupportedPlatformException always, for operation {@code reserve}
     */
    @Override
    public long pageSize()
    {
        throw new UnsupportedPlatformException(MapperOperation.RESERVE, "page size: " + reason,
            MemoryMapperException.UNKNOWN, MemoryMapperException.UNKNOWN);
    }

    @Override
    public String type()
    {
        return MapperProperties.TYPE_WINDOWS_STUB;
    }

    @Override
    public boolean crossProcess()
    {
        return false;
    }

    /** @return this process: the stub has no other executor */
    @Override
    public long executorPid()
    {
        return ProcessHandle.current().pid();
    }

    @Override
    public CompletionStage<ExecutorAddressRange> reserve(final long numBytes)
    {
        return CompletableFuture.failedStage(unsupported(MapperOperation.RESERVE, MemoryMapperException.UNKNOWN, numBytes));
    }

    /**
     * Always fails.
     *
     * @throws UnsupportedPlatformException always
     */
    @Override
    public ByteBuffer prepare(final ExecutorAddress address, final long contentSize)
    {
        throw unsupported(MapperOperation.PREPARE, valueOf(address), contentSize);
    }

    @Override
    public CompletionStage<ExecutorAddress> initialize(final AllocInfo info)
    {
        return CompletableFuture.failedStage(unsupported(MapperOperation.INITIALIZE,
            info == null ? MemoryMapperException.UNKNOWN : info.mappingBase().value(), MemoryMapperException.UNKNOWN));
    }

    @Override
    public CompletionStage<Void> deinitialize(final List<ExecutorAddress> allocations)
    {
        return CompletableFuture.failedStage(unsupported(MapperOperation.DEINITIALIZE, firstOf(allocations),
            MemoryMapperException.UNKNOWN));
    }

    @Override
    public CompletionStage<Void> release(final List<ExecutorAddress> reservations)
    {
        return CompletableFuture.failedStage(unsupported(MapperOperation.RELEASE, firstOf(reservations),
            MemoryMapperException.UNKNOWN));
    }

    @Override
    public CompletionStage<Long> call(final ActionCall call)
    {
        return CompletableFuture.failedStage(unsupported(MapperOperation.CALL,
            call == null ? MemoryMapperException.UNKNOWN : valueOf(call.function()), MemoryMapperException.UNKNOWN));
    }

    private UnsupportedPlatformException unsupported(final MapperOperation operation, final long address,
        final long length)
    {
        return new UnsupportedPlatformException(operation, reason, address, length);
    }

    private static long firstOf(final List<ExecutorAddress> addresses)
    {
        return addresses == null || addresses.isEmpty() ? MemoryMapperException.UNKNOWN : valueOf(addresses.get(0));
    }

    private static long valueOf(final ExecutorAddress address)
    {
        return address == null ? MemoryMapperException.UNKNOWN : address.value();
    }
}
