package org.jitmem.link.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.link.LinkException;
import org.jitmem.link.LinkSite;
import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.ObjectFile;
import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@link Linker} service: new loads go to the backend the runtime selects now, through one {@link ObjectLinker}
 * per slab memory manager; an executor in another process is asked for its symbols over its channel service. Modules
 * stay with the backend that loaded them: once it drains or has gone, they are no longer listed or searched (their
 * addresses are no longer the executor's to run), their calls and unloads fail with the backend's revocation error,
 * and new loads go to the backend selected instead.
 */
@Component(service = Linker.class, configurationPid = LinkerConfiguration.PID)
@Designate(ocd = LinkerConfiguration.class)
public final class LinkerComponent implements Linker
{
    /** How long a load waits to hear of the channel of a selected backend's executor (see {@link #channel}). */
    private static final long CHANNEL_WAIT_MILLIS = 5_000;

    private final BackendSelector selector;
    private volatile boolean perfMap;
    private final Map<SlabMemoryManager, ObjectLinker> linkers = new IdentityHashMap<>();
    private final Map<Long, ExecutorChannel> channels = new HashMap<>();

    /**
     * @param selector      the runtime's backend selection
     * @param configuration the linker settings
     */
    @Activate
    public LinkerComponent(@Reference final BackendSelector selector, final LinkerConfiguration configuration)
    {
        this.selector = selector;
        modified(configuration);
    }

    /** @param configuration the new settings, for every linker from now on */
    @Modified
    synchronized void modified(final LinkerConfiguration configuration)
    {
        perfMap = configuration.perfMap();
        linkers.values().forEach(linker -> linker.perfMap(perfMap));
    }

    /** @param channel a channel to an executor process */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void bindExecutorChannel(final ExecutorChannel channel)
    {
        channels.put(channel.executor().pid(), channel);
        notifyAll(); // a load may wait for it: see channel(long)
    }

    /** @param channel a channel going away */
    synchronized void unbindExecutorChannel(final ExecutorChannel channel)
    {
        channels.remove(channel.executor().pid(), channel);
    }

    @Override
    public CompletionStage<LoadedModule> load(final String name, final List<ObjectFile> objects,
        final Map<String, ExecutorAddress> symbols)
    {
        return onSelected(linker -> linker.load(name, objects, symbols));
    }

    @Override
    public CompletionStage<Void> loadLibrary(final String path)
    {
        return onSelected(linker -> linker.loadLibrary(path));
    }

    @Override
    public CompletionStage<Void> shareStandardStreams()
    {
        return onSelected(linker -> linker.shareStandardStreams());
    }

    @Override
    public List<LoadedModule> modules()
    {
        final List<LoadedModule> modules = new ArrayList<>();
        linkers().forEach(linker -> modules.addAll(linker.modules()));
        return modules;
    }

    @Override
    public Optional<ExecutorAddress> lookup(final String name)
    {
        for (final ObjectLinker linker : linkers())
        {
            final Optional<ExecutorAddress> found = linker.lookup(name);
            if (found.isPresent())
            {
                return found;
            }
        }
        return Optional.empty();
    }

    private <T> CompletionStage<T> onSelected(final Function<ObjectLinker, CompletionStage<T>> call)
    {
        try
        {
            return call.apply(selected());
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    private synchronized List<ObjectLinker> linkers()
    {
        dropDraining();
        return new ArrayList<>(linkers.values());
    }

    /** Forgets the linkers of backends that drain or have gone; the one place a linker leaves this component. */
    private synchronized void dropDraining()
    {
        linkers.keySet().removeIf(SlabMemoryManager::isDraining);
    }

    private ObjectLinker selected()
    {
        final SlabMemoryManager slab = selector.selected().orElseThrow(() ->
            new LinkException("no memory backend is selected", LinkSite.NONE));
        synchronized (this)
        {
            dropDraining();
            final ObjectLinker existing = linkers.get(slab);
            if (existing != null)
            {
                return existing;
            }
            final ObjectLinker linker;
            if (slab.mapper().crossProcess())
            {
                linker = ObjectLinker.overChannel(slab, channel(slab.mapper().executorPid()));
            }
            else
            {
                linker = ObjectLinker.inProcess(slab);
            }
            linkers.put(slab, linker.perfMap(perfMap));
            return linker;
        }
    }

    /**
     * A cross-process mapper is registered in reaction to its executor's channel service, and the selector may hear of
     * the mapper before this component hears of the channel (each listener gets the channel's event in turn), so a
     * load that comes in between waits for it, bounded; {@code wait} gives up this component's monitor meanwhile.
     */
    private ExecutorChannel channel(final long executorPid)
    {
        assert Thread.holdsLock(this);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CHANNEL_WAIT_MILLIS);
        ExecutorChannel channel = channels.get(executorPid);
        try
        {
            for (long left = deadline - System.nanoTime(); channel == null && left > 0;
                left = deadline - System.nanoTime())
            {
                TimeUnit.NANOSECONDS.timedWait(this, left);
                channel = channels.get(executorPid);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (channel == null)
        {
            throw new LinkException("no channel to the selected backend's executor: pid=" + executorPid +
                " waitedMillis=" + CHANNEL_WAIT_MILLIS, LinkSite.NONE);
        }
        return channel;
    }
}
