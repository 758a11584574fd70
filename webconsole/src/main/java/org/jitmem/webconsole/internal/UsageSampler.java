package org.jitmem.webconsole.internal;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jitmem.runtime.BackendSelector;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabStatistics;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Samples the reserved and used bytes of every backend's slab memory manager every {@value #PERIOD_SECONDS} s and
 * keeps the last {@value #SAMPLES} samples of each backend type, for the page's chart.
 */
@Component(service = UsageSampler.class)
public final class UsageSampler
{
    /** Seconds between two samples. */
    static final long PERIOD_SECONDS = 5;
    /** Samples kept per backend: ten minutes. */
    static final int SAMPLES = 120;

    /**
     * One sample of one backend.
     *
     * @param epochMillis   when it was taken
     * @param reservedBytes bytes in the manager's reservations
     * @param usedBytes     bytes in its allocations
     */
    record Sample(long epochMillis, long reservedBytes, long usedBytes)
    {
    }

    private final BackendSelector selector;
    private final Map<String, ArrayDeque<Sample>> samples = new LinkedHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task ->
    {
        final Thread thread = new Thread(task, "jitmem-webconsole-sampler");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param selector the backend selector whose managers are sampled
     */
    @Activate
    public UsageSampler(@Reference final BackendSelector selector)
    {
        this.selector = selector;
        timer.scheduleAtFixedRate(this::sample, 0, PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    /** Stops sampling. */
    @Deactivate
    void deactivate()
    {
        timer.shutdownNow();
    }

    /** Takes one sample of every backend present now; a backend leaving meanwhile only misses this sample. */
    void sample()
    {
        final long now = System.currentTimeMillis();
        final Map<String, Sample> taken = new LinkedHashMap<>();
        for (final SlabMemoryManager manager : selector.managers())
        {
            try
            {
                final SlabStatistics stats = manager.statistics();
                taken.putIfAbsent(stats.mapperType(), new Sample(now, stats.reservedBytes(), stats.usedBytes()));
            }
            catch (final RuntimeException ex)
            {
                // A scheduled task that throws is never run again: skip this backend until the next sample.
            }
        }
        synchronized (samples)
        {
            taken.forEach((type, sample) ->
            {
                final ArrayDeque<Sample> history = samples.computeIfAbsent(type, key -> new ArrayDeque<>(SAMPLES));
                if (history.size() == SAMPLES)
                {
                    history.removeFirst();
                }
                history.addLast(sample);
            });
        }
    }

    /** @return the samples of each backend type seen, oldest first */
    Map<String, List<Sample>> history()
    {
        final Map<String, List<Sample>> copy = new LinkedHashMap<>();
        synchronized (samples)
        {
            samples.forEach((type, history) -> copy.put(type, List.copyOf(history)));
        }
        return copy;
    }
}
