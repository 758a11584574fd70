package org.jitmem.link.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.Descriptor;
import org.jitmem.api.MemoryMapper;
import org.jitmem.link.Linker;
import org.jitmem.link.LoadedModule;
import org.jitmem.link.ObjectFile;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo shell commands in scope {@code jitmem}: load, symbols, call, run and unload compiled objects. */
@Component(service = LinkCommands.class, property = {
    "osgi.command.scope=jitmem",
    "osgi.command.function=load",
    "osgi.command.function=symbols",
    "osgi.command.function=call",
    "osgi.command.function=run",
    "osgi.command.function=unload"})
public final class LinkCommands
{
    private static final long TIMEOUT_SECONDS = 60;

    private final Linker linker;

    /** @param linker the linker service */
    @Activate
    public LinkCommands(@Reference final Linker linker)
    {
        this.linker = linker;
    }

    /**
     * @param files object files, loaded together as one module named after the first
     * @return the module and its symbols
     */
    @Descriptor("loads ELF relocatable objects as one module into the selected backend and lists its symbols")
    public String load(@Descriptor("object files (.o), linked together") final String... files)
    {
        final List<ObjectFile> objects = new ArrayList<>();
        for (final String file : files)
        {
            objects.add(ObjectFile.read(Path.of(file)));
        }
        final LoadedModule module = await(linker.load(Path.of(files[0]).getFileName().toString(), objects, Map.of()));
        return "loaded " + module.name() + "\n" + symbols();
    }

    /** @return every module loaded and its global symbols */
    @Descriptor("lists every module loaded and its global symbols")
    public String symbols()
    {
        final StringBuilder text = new StringBuilder();
        for (final LoadedModule module : linker.modules())
        {
            text.append(module.name()).append('\n');
            new TreeMap<>(module.symbols()).forEach((name, address) ->
                text.append("  ").append(address).append(' ').append(name).append('\n'));
        }
        return text.toString();
    }

    /**
     * @param symbol    a function {@code int64_t fn(const void *arg, size_t len)} of a loaded module
     * @param arguments joined with spaces into a NUL-terminated argument block
     * @return what it returned
     */
    @Descriptor("calls int64_t fn(const void *arg, size_t len) of a loaded module with the words as a string")
    public long call(@Descriptor("a symbol of a loaded module (see 'jitmem:symbols')") final String symbol,
        @Descriptor("words, joined with spaces") final String... arguments)
    {
        final byte[] block = (String.join(" ", arguments) + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return await(module(symbol).call(symbol, block));
    }

    /**
     * @param arguments {@code argv[1..]} of the last loaded module's {@code main}
     * @return what main returned
     */
    @Descriptor("runs main of the last loaded module that defines it and shows what it returned")
    public int run(@Descriptor("argv[1..] of main") final String... arguments)
    {
        return await(module("main").runMain(List.of(arguments)));
    }

    /** @return the modules unloaded, last loaded first */
    @Descriptor("unloads every module, last loaded first")
    public String unload()
    {
        final List<LoadedModule> modules = new ArrayList<>(linker.modules());
        java.util.Collections.reverse(modules);
        final StringBuilder text = new StringBuilder();
        for (final LoadedModule module : modules)
        {
            await(module.unload());
            text.append("unloaded ").append(module.name()).append('\n');
        }
        return text.toString();
    }

    private LoadedModule module(final String symbol)
    {
        final List<LoadedModule> modules = new ArrayList<>(linker.modules());
        java.util.Collections.reverse(modules);
        return modules.stream().filter(module -> module.lookup(symbol).isPresent()).findFirst().orElseThrow(() ->
            new IllegalArgumentException("no loaded module defines: symbol=" + symbol));
    }

    private static <T> T await(final CompletionStage<T> stage)
    {
        return MemoryMapper.await(stage.toCompletableFuture().orTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }
}
