package org.jitmem.link.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.ReentrantLock;

import org.jitmem.api.ActionCall;
import org.jitmem.api.ActionPair;
import org.jitmem.api.ExecutorAddress;
import org.jitmem.api.ExecutorChannel;
import org.jitmem.api.MemoryLifetime;
import org.jitmem.link.DuplicateSymbolException;
import org.jitmem.link.LinkSite;
import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.ObjectFile;
import org.jitmem.link.SymbolLookup;
import org.jitmem.link.UnresolvedSymbolsException;
import org.jitmem.link.UnsupportedObjectException;
import org.jitmem.runtime.slab.FinalizedAllocation;
import org.jitmem.runtime.slab.InFlightAllocation;
import org.jitmem.runtime.slab.SegmentRequest;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.WorkingMemoryLease;

/**
 * A {@link Linker} over one slab memory manager, and so one backend and one executor. The lock guards the registry of
 * loaded modules, their exports and COMDAT groups only; it is never held while the executor or the memory manager is
 * called. A load resolves its external names (one lookup in the executor for all of them), allocates, writes every
 * segment's content under one working-memory lease and finalizes with the constructors and unwind-table registration
 * as finalize actions; destructors and deregistration are the dealloc actions.
 */
public final class ObjectLinker implements Linker
{
    private final SlabMemoryManager slab;
    private final SymbolLookup executorSymbols;
    private final Architecture architecture;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Module> modules = new ArrayList<>();
    private final Map<String, Module> exporters = new HashMap<>();
    private final Map<String, Map<String, Long>> groups = new HashMap<>();
    private final Map<String, Module> groupOwners = new HashMap<>();
    private volatile boolean perfMap;

    /**
     * @param slab                 the memory manager of the executor's backend
     * @param executorSymbols      symbols of the executor process
     * @param executorArchitecture {@code os.arch} of the executor: {@code amd64}, {@code x86_64} or {@code aarch64}
     */
    public ObjectLinker(final SlabMemoryManager slab, final SymbolLookup executorSymbols,
        final String executorArchitecture)
    {
        this.slab = Objects.requireNonNull(slab, "slab");
        this.executorSymbols = Objects.requireNonNull(executorSymbols, "executorSymbols");
        this.architecture = Architecture.of(machineOf(executorArchitecture));
    }

    /**
     * @param slab the memory manager of the in-process backend
     * @return a linker whose executor is this process
     */
    public static ObjectLinker inProcess(final SlabMemoryManager slab)
    {
        return new ObjectLinker(slab, new InProcessSymbols(), System.getProperty("os.arch"));
    }

    /**
     * @param slab    the memory manager of a backend whose executor is behind the channel
     * @param channel the channel to that executor
     * @return a linker resolving executor symbols over the channel
     */
    public static ObjectLinker overChannel(final SlabMemoryManager slab, final ExecutorChannel channel)
    {
        return new ObjectLinker(slab, new ChannelSymbols(channel), channel.executor().architecture());
    }

    /**
     * @param architecture an {@code os.arch} value
     * @return its ELF machine
     */
    static int machineOf(final String architecture)
    {
        return switch (architecture.toLowerCase(Locale.ROOT))
        {
            case "amd64", "x86_64" -> Elf.EM_X86_64;
            case "aarch64", "arm64" -> Elf.EM_AARCH64;
            default -> throw new UnsupportedObjectException("unsupported executor architecture: architecture=" +
                architecture, LinkSite.NONE);
        };
    }

    /**
     * @param enabled whether each function loaded from now on is appended to {@code /tmp/perf-<executor pid>.map}
     * @return this linker
     */
    public ObjectLinker perfMap(final boolean enabled)
    {
        perfMap = enabled;
        return this;
    }

    /** @return symbols of the executor process */
    SymbolLookup executorSymbols()
    {
        return executorSymbols;
    }

    /** @return the memory manager this linker allocates from */
    public SlabMemoryManager slab()
    {
        return slab;
    }

    @Override
    public CompletionStage<LoadedModule> load(final String name, final List<ObjectFile> objects,
        final Map<String, ExecutorAddress> symbols)
    {
        final LinkPlan plan;
        final Map<String, Long> externals = new HashMap<>();
        final Set<Module> uses = new HashSet<>();
        final List<String> asked = new ArrayList<>();
        boolean counted = false;
        try
        {
            Objects.requireNonNull(name, "name");
            final List<ElfObject> read = new ArrayList<>(objects.size());
            for (final ObjectFile object : objects)
            {
                final ElfObject elf = ElfObject.read(object);
                if (elf.machine() != architecture.machine())
                {
                    throw new UnsupportedObjectException("object's machine is not the executor's: e_machine=" +
                        elf.machine() + " executor=" + architecture.machine(), elf.site());
                }
                read.add(elf);
            }
            if (read.isEmpty())
            {
                throw new UnsupportedObjectException("no object to load", LinkSite.NONE);
            }
            lock.lock();
            try
            {
                plan = LinkPlan.of(architecture, read, Map.copyOf(groups), slab.mapper().pageSize());
                plan.strongExports().forEach((defined, strong) ->
                {
                    final Module exporter = exporters.get(defined);
                    if (strong && exporter != null)
                    {
                        throw new DuplicateSymbolException("already defined by module=" + exporter.name(),
                            LinkSite.NONE.symbol(defined));
                    }
                });
                for (final String external : plan.externalNames().keySet())
                {
                    final Module exporter = exporters.get(external);
                    if (exporter != null)
                    {
                        externals.put(external, exporter.image.exports().get(external));
                        uses.add(exporter);
                    }
                }
                uses.forEach(module -> module.users++);
                counted = true;
            }
            finally
            {
                lock.unlock();
            }
            for (final String external : plan.externalNames().keySet())
            {
                final ExecutorAddress supplied = symbols.get(external);
                if (!externals.containsKey(external) && supplied != null)
                {
                    externals.put(external, supplied.value());
                }
                else if (!externals.containsKey(external))
                {
                    asked.add(external);
                }
            }
            if (plan.hasUnwindTables())
            {
                asked.add(LinkPlan.REGISTER_FRAME);
                asked.add(LinkPlan.DEREGISTER_FRAME);
            }
            if (plan.hasDsoHandle())
            {
                asked.add(LinkPlan.CXA_FINALIZE);
            }
        }
        catch (final RuntimeException ex)
        {
            if (counted)
            {
                release(uses);
            }
            return CompletableFuture.failedFuture(ex);
        }
        final CompletionStage<long[]> found = asked.isEmpty() ?
            CompletableFuture.completedFuture(new long[0]) : executorSymbols.lookup(asked);
        final CompletionStage<LoadedModule> loaded = found.thenCompose(addresses ->
        {
            final Map<String, List<String>> missing = new LinkedHashMap<>();
            final Map<String, Long> helpers = new HashMap<>();
            for (int i = 0; i < asked.size(); i++)
            {
                final String symbol = asked.get(i);
                if (!plan.externalNames().containsKey(symbol) || externals.containsKey(symbol))
                {
                    helpers.put(symbol, addresses[i]);
                    continue;
                }
                if (addresses[i] == 0 && plan.isRequired(symbol))
                {
                    missing.put(symbol, plan.externalNames().get(symbol));
                }
                externals.put(symbol, addresses[i]);
                helpers.putIfAbsent(symbol, addresses[i]);
            }
            if (!missing.isEmpty())
            {
                throw new UnresolvedSymbolsException(missing);
            }
            return slab.allocate(List.of(request(plan, LinkPlan.Kind.CODE), request(plan, LinkPlan.Kind.RODATA),
                request(plan, LinkPlan.Kind.DATA))).thenCompose(allocation ->
                    write(name, plan, externals, helpers, uses, allocation));
        });
        return loaded.whenComplete((module, error) ->
        {
            if (error != null)
            {
                release(uses);
            }
        });
    }

    @Override
    public CompletionStage<Void> loadLibrary(final String path)
    {
        return executorSymbols.open(path).thenApply(handle -> null);
    }

    @Override
    public CompletionStage<Void> shareStandardStreams()
    {
        return executorSymbols.shareStandardStreams();
    }

    @Override
    public List<LoadedModule> modules()
    {
        lock.lock();
        try
        {
            return List.copyOf(modules);
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public Optional<ExecutorAddress> lookup(final String name)
    {
        lock.lock();
        try
        {
            final Module exporter = exporters.get(name);
            return exporter == null ? Optional.empty() :
                Optional.of(ExecutorAddress.of(exporter.image.exports().get(name)));
        }
        finally
        {
            lock.unlock();
        }
    }

    private static SegmentRequest request(final LinkPlan plan, final LinkPlan.Kind kind)
    {
        return new SegmentRequest(plan.contentSize(kind), kind == LinkPlan.Kind.DATA ? plan.zeroFillSize() : 0,
            kind.protection, MemoryLifetime.STANDARD, plan.alignment(kind));
    }

    private CompletionStage<LoadedModule> write(final String name, final LinkPlan plan,
        final Map<String, Long> externals, final Map<String, Long> helpers, final Set<Module> uses,
        final InFlightAllocation allocation)
    {
        final LinkImage image;
        final List<ActionPair> actions;
        try
        {
            final long[] bases = new long[LinkPlan.Kind.values().length];
            for (int i = 0; i < bases.length; i++)
            {
                bases[i] = allocation.segmentAddress(i).value();
            }
            image = plan.link(bases, externals);
            try (WorkingMemoryLease lease = allocation.lease())
            {
                for (int i = 0; i < bases.length; i++)
                {
                    if (image.contents()[i].length > 0)
                    {
                        lease.put(i, 0, image.contents()[i]);
                    }
                }
            }
            actions = actions(image, helpers);
        }
        catch (final RuntimeException ex)
        {
            return allocation.abandon().handle((ignored, abandonFailure) ->
            {
                if (abandonFailure != null)
                {
                    ex.addSuppressed(abandonFailure);
                }
                throw ex;
            });
        }
        return allocation.finalizeAllocation(actions).thenCompose(finalized ->
        {
            final Module module = new Module(this, name, image, finalized, Set.copyOf(uses));
            final DuplicateSymbolException conflict = publish(module, plan);
            if (conflict == null)
            {
                if (perfMap)
                {
                    PerfMap.append(slab.mapper().executorPid(), image.functions());
                }
                return CompletableFuture.completedFuture(module);
            }
            return finalized.deallocate().handle((ignored, deallocFailure) ->
            {
                if (deallocFailure != null)
                {
                    conflict.addSuppressed(deallocFailure);
                }
                throw conflict;
            });
        });
    }

    private List<ActionPair> actions(final LinkImage image, final Map<String, Long> helpers)
    {
        final List<ActionPair> actions = new ArrayList<>();
        final long register = helpers.getOrDefault(LinkPlan.REGISTER_FRAME, 0L);
        final long deregister = helpers.getOrDefault(LinkPlan.DEREGISTER_FRAME, 0L);
        if (register != 0 && deregister != 0)
        {
            for (final long frame : image.ehFrames())
            {
                actions.add(new ActionPair(voidCall(image, register, frame), voidCall(image, deregister, frame)));
            }
        }
        final long finalize = helpers.getOrDefault(LinkPlan.CXA_FINALIZE, 0L);
        if (image.dsoHandle() != 0 && finalize != 0)
        {
            actions.add(new ActionPair(ActionCall.NONE, voidCall(image, finalize, image.dsoHandle())));
        }
        for (final long initializer : image.initializers())
        {
            actions.add(new ActionPair(voidCall(image, initializer, 0), ActionCall.NONE));
        }
        for (final long finalizer : image.finalizers())
        {
            actions.add(new ActionPair(ActionCall.NONE, voidCall(image, finalizer, 0)));
        }
        return actions;
    }

    private static ActionCall voidCall(final LinkImage image, final long function, final long argument)
    {
        return ActionCall.of(ExecutorAddress.of(image.voidTrampoline()), arguments(function, argument, 0, 0));
    }

    /**
     * @param words a function and up to three arguments
     * @return the argument block of a trampoline, little-endian
     */
    static byte[] arguments(final long... words)
    {
        final byte[] block = new byte[4 * Long.BYTES];
        for (int w = 0; w < words.length; w++)
        {
            LittleEndian.putLong(block, 8 * w, words[w]);
        }
        return block;
    }

    private DuplicateSymbolException publish(final Module module, final LinkPlan plan)
    {
        lock.lock();
        try
        {
            for (final Map.Entry<String, Boolean> defined : plan.strongExports().entrySet())
            {
                final Module exporter = exporters.get(defined.getKey());
                if (defined.getValue() && exporter != null)
                {
                    return new DuplicateSymbolException("already defined by module=" + exporter.name(),
                        LinkSite.NONE.symbol(defined.getKey()));
                }
            }
            module.image.exports().keySet().forEach(exported -> exporters.putIfAbsent(exported, module));
            module.image.groups().forEach((signature, sections) ->
            {
                if (groups.putIfAbsent(signature, sections) == null)
                {
                    groupOwners.put(signature, module);
                }
            });
            modules.add(module);
            return null;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Takes a module out of the registry, unless modules loaded later still use it.
     *
     * @param module the module
     * @return null when it was taken out, otherwise why not
     */
    String withdraw(final Module module)
    {
        lock.lock();
        try
        {
            if (!modules.contains(module))
            {
                return "module is not loaded";
            }
            if (module.users > 0)
            {
                return "module is still used by " + module.users + " module(s) loaded later";
            }
            modules.remove(module);
            exporters.values().removeIf(exporter -> exporter == module);
            groupOwners.entrySet().removeIf(owner ->
            {
                if (owner.getValue() == module)
                {
                    groups.remove(owner.getKey());
                    return true;
                }
                return false;
            });
            return null;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @param uses modules a load or a module no longer resolves against */
    void release(final Set<Module> uses)
    {
        lock.lock();
        try
        {
            uses.forEach(module -> module.users--);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Allocates a read-write block in the executor holding {@code argv}: the pointers, a null, then the strings.
     *
     * @param arguments the strings
     * @return the finalized block; its first segment starts with the pointer array
     */
    CompletionStage<FinalizedAllocation> allocateArguments(final List<String> arguments)
    {
        final List<byte[]> strings = new ArrayList<>(arguments.size());
        long size = (arguments.size() + 1L) * Long.BYTES;
        for (final String argument : arguments)
        {
            final byte[] bytes = (argument + '\0').getBytes(java.nio.charset.StandardCharsets.UTF_8);
            strings.add(bytes);
            size += bytes.length;
        }
        final long total = size;
        return slab.allocate(List.of(SegmentRequest.of(total, org.jitmem.api.MemoryProtection.READ_WRITE)))
            .thenCompose(allocation ->
            {
                try (WorkingMemoryLease lease = allocation.lease())
                {
                    final long base = allocation.segmentAddress(0).value();
                    long string = (arguments.size() + 1L) * Long.BYTES;
                    final byte[] block = new byte[(int)total];
                    for (int i = 0; i < strings.size(); i++)
                    {
                        LittleEndian.putLong(block, 8 * i, base + string);
                        System.arraycopy(strings.get(i), 0, block, (int)string, strings.get(i).length);
                        string += strings.get(i).length;
                    }
                    lease.put(0, 0, block);
                }
                catch (final RuntimeException ex)
                {
                    return allocation.abandon().thenApply(ignored ->
                    {
                        throw ex;
                    });
                }
                return allocation.finalizeAllocation(List.of());
            });
    }
}
