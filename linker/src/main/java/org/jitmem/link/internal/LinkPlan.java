package org.jitmem.link.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jitmem.api.MemoryProtection;
import org.jitmem.link.DuplicateSymbolException;
import org.jitmem.link.LinkSite;
import org.jitmem.link.MalformedObjectException;
import org.jitmem.link.RelocationOverflowException;
import org.jitmem.link.UnresolvedSymbolsException;
import org.jitmem.link.UnsupportedObjectException;
import org.jitmem.link.internal.ElfObject.Relocation;
import org.jitmem.link.internal.ElfObject.Section;
import org.jitmem.link.internal.ElfObject.Symbol;

/**
 * The layout of one load, decided before any address is known: which sections are kept (allocated ones, one copy
 * of each COMDAT group), where each lies in its segment (code, read-only data, data with its zero-filled tail), which
 * global definitions win, which names must come from outside the load, and the GOT entries and call stubs needed.
 * {@link #link} then computes every segment's content for the addresses the memory manager chose.
 */
final class LinkPlan
{
    /** Where a kept section goes. */
    enum Kind
    {
        /** Read-execute. */
        CODE(MemoryProtection.READ_EXEC),
        /** Read-only once relocated. */
        RODATA(MemoryProtection.READ),
        /** Read-write content, followed by the zero-filled tail. */
        DATA(MemoryProtection.READ_WRITE);

        final MemoryProtection protection;

        Kind(final MemoryProtection protection)
        {
            this.protection = protection;
        }
    }

    /**
     * What a GOT entry or a stub stands for: a global by name, or a local symbol of one object; plus an addend where
     * the entry holds symbol plus addend (aarch64).
     *
     * @param name   a global's name, or null for a local symbol
     * @param object the local symbol's object
     * @param symbol the local symbol's index
     * @param addend added to the symbol's value in the entry
     */
    private record Target(String name, int object, int symbol, long addend)
    {
    }

    /** A winning global definition. */
    private record Definition(int object, Symbol symbol)
    {
        boolean isStrong()
        {
            return symbol.bind() == Elf.STB_GLOBAL && !symbol.isCommon();
        }
    }

    /** Where a kept section lies. */
    private record Placement(Kind kind, long offset)
    {
    }

    /** A COMDAT group kept by this load: its signature and its member sections by name. */
    record KeptGroup(String signature, Map<String, Long> sectionOffsets)
    {
    }

    static final String GLOBAL_OFFSET_TABLE = "_GLOBAL_OFFSET_TABLE_";
    static final String DSO_HANDLE = "__dso_handle";
    static final String REGISTER_FRAME = "__register_frame";
    static final String DEREGISTER_FRAME = "__deregister_frame";
    static final String CXA_FINALIZE = "__cxa_finalize";

    private static final long SHT_X86_64_UNWIND = 0x70000001L;
    private static final int SHT_NOTE = 7;
    private static final int TRAMPOLINE_SLOT = 64;

    private final Architecture architecture;
    private final long pageSize;
    private final List<ElfObject> objects;
    private final List<Placement[]> placements = new ArrayList<>();
    private final Map<String, Definition> definitions = new LinkedHashMap<>();
    private final Map<String, Long> commonOffsets = new HashMap<>();
    private final Map<String, List<String>> externalNames = new TreeMap<>();
    private final Set<String> strongExternals = new java.util.HashSet<>();
    private final Map<Target, Integer> gotSlots = new LinkedHashMap<>();
    private final Map<Target, Integer> stubSlots = new LinkedHashMap<>();
    private final Map<Long, long[]> discardedToKept = new HashMap<>();
    private final Map<Long, FrameEdit> frameEdits = new HashMap<>();
    private final List<long[]> ehFrames = new ArrayList<>();
    private final List<KeptGroup> keptGroups = new ArrayList<>();
    private final long[] sizes = new long[Kind.values().length];
    private final long[] alignments = {16, 16, 16};
    private long bssSize;
    private long bssAlignment = 16;
    private long gotOffset;
    private long stubOffset;
    private long dsoHandleOffset = -1;

    private LinkPlan(final Architecture architecture, final List<ElfObject> objects, final long pageSize)
    {
        this.pageSize = pageSize;
        this.architecture = architecture;
        this.objects = objects;
        sizes[Kind.CODE.ordinal()] = 2 * TRAMPOLINE_SLOT;
    }

    /**
     * @param architecture the machine of every object
     * @param objects      the objects of the load
     * @param loadedGroups COMDAT groups kept by modules already loaded: signature to member section addresses
     * @param pageSize     the executor's page size
     * @return the plan
     */
    static LinkPlan of(final Architecture architecture, final List<ElfObject> objects,
        final Map<String, Map<String, Long>> loadedGroups, final long pageSize)
    {
        final LinkPlan plan = new LinkPlan(architecture, objects, pageSize);
        plan.place(loadedGroups);
        plan.define();
        plan.reference();
        plan.finishLayout();
        return plan;
    }

    /** @return names the load references and does not define, each with the objects that reference it */
    Map<String, List<String>> externalNames()
    {
        return externalNames;
    }

    /**
     * @param name an external name
     * @return true when some reference to it is not weak, so that it must be found
     */
    boolean isRequired(final String name)
    {
        return strongExternals.contains(name);
    }

    /** @return each global name the load defines with whether the winning definition is strong and exported */
    Map<String, Boolean> strongExports()
    {
        final Map<String, Boolean> names = new LinkedHashMap<>();
        definitions.forEach((name, definition) -> names.put(name, definition.isStrong() &&
            definition.symbol().visibility() != Elf.STV_HIDDEN));
        return names;
    }

    /** @return true when the objects have unwind tables to register */
    boolean hasUnwindTables()
    {
        return !ehFrames.isEmpty();
    }

    /** @return true when the objects reference {@code __dso_handle}, so destructors registered with atexit exist */
    boolean hasDsoHandle()
    {
        return dsoHandleOffset >= 0;
    }

    /** @return the COMDAT groups this load keeps, their section offsets relative to the segment of each */
    List<KeptGroup> keptGroups()
    {
        return keptGroups;
    }

    /**
     * @param kind a segment
     * @return bytes of content it needs
     */
    long contentSize(final Kind kind)
    {
        return sizes[kind.ordinal()];
    }

    /** @return bytes of the zero-filled tail of the data segment */
    long zeroFillSize()
    {
        return bssSize;
    }

    /**
     * @param kind a segment
     * @return its alignment
     */
    long alignment(final Kind kind)
    {
        return alignments[kind.ordinal()];
    }

    /**
     * Computes the content of every segment at the given addresses.
     *
     * @param bases     the address of each segment, by {@link Kind} ordinal
     * @param externals the address of every external name (0 for an unresolved weak one)
     * @return the image
     */
    LinkImage link(final long[] bases, final Map<String, Long> externals)
    {
        final byte[][] contents = new byte[Kind.values().length][];
        for (final Kind kind : Kind.values())
        {
            contents[kind.ordinal()] = new byte[Math.toIntExact(sizes[kind.ordinal()])];
        }
        copySections(contents);
        final long gotBase = bases[Kind.RODATA.ordinal()] + gotOffset;
        final long stubBase = bases[Kind.CODE.ordinal()] + stubOffset;
        final Resolver resolver = new Resolver(bases, externals);
        final byte[] got = contents[Kind.RODATA.ordinal()];
        for (final Map.Entry<Target, Integer> entry : gotSlots.entrySet())
        {
            LittleEndian.putLong(got, (int)gotOffset + 8 * entry.getValue(), resolver.gotValue(entry.getKey()));
        }
        for (final Map.Entry<Target, Integer> entry : stubSlots.entrySet())
        {
            final int slot = entry.getValue();
            final Integer gotSlot = gotSlots.get(entry.getKey());
            architecture.writeStub(contents[Kind.CODE.ordinal()], (int)stubOffset + slot * architecture.stubSize(),
                stubBase + (long)slot * architecture.stubSize(), gotSlot == null ? 0 : gotBase + 8L * gotSlot,
                resolver.gotValue(entry.getKey()));
        }
        final byte[] voidTrampoline = architecture.trampoline(false);
        final byte[] intTrampoline = architecture.trampoline(true);
        System.arraycopy(voidTrampoline, 0, contents[Kind.CODE.ordinal()], 0, voidTrampoline.length);
        System.arraycopy(intTrampoline, 0, contents[Kind.CODE.ordinal()], TRAMPOLINE_SLOT, intTrampoline.length);

        for (int o = 0; o < objects.size(); o++)
        {
            final ElfObject object = objects.get(o);
            for (final Section rela : object.sections())
            {
                if (rela.type() == Elf.SHT_REL)
                {
                    throw new UnsupportedObjectException("relocations without addends (SHT_REL)",
                        object.site().section(rela.name()));
                }
                if (rela.type() != Elf.SHT_RELA || rela.info() <= 0 || rela.info() >= object.sections().size() ||
                    placements.get(o)[rela.info()] == null)
                {
                    continue;
                }
                relocate(o, rela, contents, bases, gotBase, stubBase, resolver);
            }
        }

        final Map<String, Long> symbols = new LinkedHashMap<>();
        final Map<String, Long> exports = new LinkedHashMap<>();
        definitions.forEach((name, definition) ->
        {
            final long address = resolver.defined(definition);
            symbols.put(name, address);
            if (definition.symbol().visibility() != Elf.STV_HIDDEN && definition.symbol().visibility() != 1)
            {
                exports.put(name, address);
            }
        });
        final List<Long> ehFrameAddresses = new ArrayList<>();
        for (final long[] frame : ehFrames)
        {
            ehFrameAddresses.add(bases[Kind.RODATA.ordinal()] + frame[0]);
        }
        final Map<String, Map<String, Long>> groups = new LinkedHashMap<>();
        for (final KeptGroup group : keptGroups)
        {
            final Map<String, Long> addresses = new LinkedHashMap<>();
            group.sectionOffsets().forEach((section, encoded) ->
                addresses.put(section, resolver.encodedAddress(encoded)));
            groups.put(group.signature(), addresses);
        }
        final Map<String, long[]> functions = new LinkedHashMap<>();
        for (int o = 0; o < objects.size(); o++)
        {
            for (final Symbol symbol : objects.get(o).symbols())
            {
                if (symbol.type() == Elf.STT_FUNC && symbol.size() > 0 && symbol.sectionIndex() > 0 &&
                    symbol.sectionIndex() < Elf.SHN_LORESERVE && placements.get(o)[symbol.sectionIndex()] != null)
                {
                    functions.putIfAbsent(symbol.name(), new long[] {resolver.sectionRelative(o, symbol,
                        LinkSite.NONE), symbol.size()});
                }
            }
        }
        return new LinkImage(contents, symbols, exports, initializers(contents, bases, false),
            initializers(contents, bases, true), ehFrameAddresses, bases[Kind.CODE.ordinal()],
            bases[Kind.CODE.ordinal()] + TRAMPOLINE_SLOT,
            dsoHandleOffset < 0 ? 0 : bases[Kind.RODATA.ordinal()] + dsoHandleOffset, groups, functions);
    }

    /**
     * A kept section and where it lies.
     *
     * @param object  the object's index in the load
     * @param section the section
     * @param kind    its segment
     * @param address its address
     */
    record PlacedSection(int object, Section section, Kind kind, long address)
    {
    }

    /**
     * @param bases the address of each segment, by {@link Kind} ordinal
     * @return every kept section of every object, with its address
     */
    List<PlacedSection> placedSections(final long[] bases)
    {
        final Resolver resolver = new Resolver(bases, Map.of());
        final List<PlacedSection> placed = new ArrayList<>();
        for (int o = 0; o < objects.size(); o++)
        {
            for (final Section section : objects.get(o).sections())
            {
                final Placement placement = placements.get(o)[section.index()];
                if (placement != null)
                {
                    placed.add(new PlacedSection(o, section, placement.kind(), resolver.encodedAddress(key(o,
                        section.index()))));
                }
            }
        }
        return placed;
    }

    private void place(final Map<String, Map<String, Long>> loadedGroups)
    {
        final Map<String, int[]> keptBy = new HashMap<>();
        for (int o = 0; o < objects.size(); o++)
        {
            final ElfObject object = objects.get(o);
            final boolean[] discarded = new boolean[object.sections().size()];
            for (final Section section : object.sections())
            {
                if (section.type() != Elf.SHT_GROUP)
                {
                    continue;
                }
                final int[] words = object.group(section);
                if ((words[0] & Elf.GRP_COMDAT) == 0)
                {
                    continue;
                }
                if (section.info() <= 0 || section.info() >= object.symbols().size())
                {
                    throw new MalformedObjectException("group signature symbol out of range: sh_info=" + section.info(),
                        object.site().section(section.name()));
                }
                final String signature = object.symbols().get(section.info()).name();
                final Map<String, Long> loaded = loadedGroups.get(signature);
                final int[] kept = keptBy.get(signature);
                if (loaded != null || kept != null)
                {
                    for (int i = 1; i < words.length; i++)
                    {
                        discarded[words[i]] = true;
                        final String member = object.sections().get(words[i]).name();
                        if (loaded != null && loaded.containsKey(member))
                        {
                            discardedToKept.put(key(o, words[i]), new long[] {-1, loaded.get(member)});
                        }
                        else if (kept != null)
                        {
                            for (int k = 1; k < kept.length - 1; k++)
                            {
                                if (objects.get(kept[0]).sections().get(kept[k]).name().equals(member))
                                {
                                    discardedToKept.put(key(o, words[i]), new long[] {kept[0], kept[k]});
                                }
                            }
                        }
                    }
                }
                else
                {
                    final int[] members = new int[words.length + 1];
                    members[0] = o;
                    System.arraycopy(words, 1, members, 1, words.length - 1);
                    keptBy.put(signature, members);
                }
            }
            final Placement[] placed = new Placement[object.sections().size()];
            for (final Section section : object.sections())
            {
                if (discarded[section.index()] || !isKept(section))
                {
                    continue;
                }
                final LinkSite site = object.site().section(section.name());
                if (section.has(Elf.SHF_TLS))
                {
                    throw new UnsupportedObjectException("thread-local storage is not supported", site);
                }
                if (section.alignment() > pageSize)
                {
                    throw new UnsupportedObjectException("section alignment greater than the page size: alignment=" +
                        section.alignment() + " pageSize=" + pageSize, site);
                }
                if (section.size() > Integer.MAX_VALUE / 4)
                {
                    throw new MalformedObjectException("section too large: size=" + section.size(), site);
                }
                if (section.type() == Elf.SHT_NOBITS)
                {
                    bssAlignment = Math.max(bssAlignment, section.alignment());
                    bssSize = align(bssSize, section.alignment());
                    placed[section.index()] = new Placement(Kind.DATA, -1 - bssSize);
                    bssSize += section.size();
                    continue;
                }
                final Kind kind = kindOf(section);
                final int k = kind.ordinal();
                alignments[k] = Math.max(alignments[k], section.alignment());
                sizes[k] = align(sizes[k], section.alignment());
                placed[section.index()] = new Placement(kind, sizes[k]);
                if (section.name().equals(".eh_frame") && section.size() > 0)
                {
                    final FrameEdit edit = FrameEdit.of(object, section, discarded);
                    frameEdits.put(key(o, section.index()), edit);
                    ehFrames.add(new long[] {sizes[k]});
                    sizes[k] += edit.content().length + 4;
                }
                else
                {
                    sizes[k] += section.size();
                }
            }
            placements.add(placed);
        }
        keptBy.forEach((signature, members) ->
        {
            final Map<String, Long> offsets = new LinkedHashMap<>();
            for (int i = 1; i < members.length - 1; i++)
            {
                final Section section = objects.get(members[0]).sections().get(members[i]);
                offsets.put(section.name(), key(members[0], members[i]));
            }
            keptGroups.add(new KeptGroup(signature, offsets));
        });
    }

    private static boolean isKept(final Section section)
    {
        return section.has(Elf.SHF_ALLOC) && !section.has(Elf.SHF_EXCLUDE) && section.type() != SHT_NOTE &&
            section.type() != Elf.SHT_GROUP && (section.type() == Elf.SHT_PROGBITS ||
            section.type() == Elf.SHT_NOBITS || section.type() == Elf.SHT_INIT_ARRAY ||
            section.type() == Elf.SHT_FINI_ARRAY || section.type() == Elf.SHT_PREINIT_ARRAY ||
            section.type() == SHT_X86_64_UNWIND);
    }

    private static Kind kindOf(final Section section)
    {
        if (section.has(Elf.SHF_EXECINSTR))
        {
            return Kind.CODE;
        }
        final boolean relocatedOnly = section.name().startsWith(".data.rel.ro") ||
            section.type() == Elf.SHT_INIT_ARRAY || section.type() == Elf.SHT_FINI_ARRAY ||
            section.type() == Elf.SHT_PREINIT_ARRAY || section.name().startsWith(".ctors") ||
            section.name().startsWith(".dtors");
        return section.has(Elf.SHF_WRITE) && !relocatedOnly ? Kind.DATA : Kind.RODATA;
    }

    private void define()
    {
        final Map<String, long[]> commons = new HashMap<>();
        for (int o = 0; o < objects.size(); o++)
        {
            final ElfObject object = objects.get(o);
            for (final Symbol symbol : object.symbols())
            {
                if (symbol.isLocal() || symbol.index() == 0)
                {
                    continue;
                }
                if (symbol.type() == Elf.STT_TLS)
                {
                    throw new UnsupportedObjectException("thread-local storage is not supported",
                        object.site().symbol(symbol.name()));
                }
                if (symbol.type() == Elf.STT_GNU_IFUNC)
                {
                    throw new UnsupportedObjectException("indirect functions (STT_GNU_IFUNC) are not supported",
                        object.site().symbol(symbol.name()));
                }
                if (symbol.isUndefined() || isDiscarded(o, symbol))
                {
                    continue;
                }
                final Definition candidate = new Definition(o, symbol);
                final Definition existing = definitions.get(symbol.name());
                if (symbol.isCommon())
                {
                    final long[] common = commons.computeIfAbsent(symbol.name(), name -> new long[2]);
                    common[0] = Math.max(common[0], symbol.size());
                    common[1] = Math.max(common[1], Math.max(1, symbol.value()));
                    if (existing == null || existing.symbol().isWeak())
                    {
                        definitions.put(symbol.name(), candidate);
                    }
                }
                else if (existing == null || (!existing.isStrong() && candidate.isStrong()))
                {
                    definitions.put(symbol.name(), candidate);
                }
                else if (existing.isStrong() && candidate.isStrong())
                {
                    throw new DuplicateSymbolException("duplicate definition, also in object=" +
                        objects.get(existing.object()).name(), object.site().symbol(symbol.name()));
                }
            }
        }
        commons.forEach((name, common) ->
        {
            if (definitions.get(name).symbol().isCommon())
            {
                bssAlignment = Math.max(bssAlignment, common[1]);
                bssSize = align(bssSize, common[1]);
                commonOffsets.put(name, bssSize);
                bssSize += common[0];
            }
        });
    }

    private void reference()
    {
        for (int o = 0; o < objects.size(); o++)
        {
            final ElfObject object = objects.get(o);
            for (final Section rela : object.sections())
            {
                if (rela.type() != Elf.SHT_RELA || rela.info() <= 0 || rela.info() >= object.sections().size() ||
                    placements.get(o)[rela.info()] == null)
                {
                    continue;
                }
                final Section target = object.sections().get(rela.info());
                if (target.type() == Elf.SHT_NOBITS)
                {
                    throw new MalformedObjectException("relocations of a section without content",
                        object.site().section(target.name()));
                }
                for (final Relocation relocation : object.relocations(rela))
                {
                    final Architecture.Kind kind = architecture.kind(relocation.type());
                    final Symbol symbol = object.symbols().isEmpty() ? null : object.symbols().get(relocation.symbol());
                    final LinkSite site = object.site().section(target.name())
                        .symbol(symbol == null ? null : symbol.name())
                        .relocation(architecture.name(relocation.type()), relocation.offset());
                    if (kind == Architecture.Kind.TLS)
                    {
                        throw new UnsupportedObjectException("thread-local storage is not supported", site);
                    }
                    if (kind == Architecture.Kind.UNKNOWN)
                    {
                        throw new UnsupportedObjectException("unsupported relocation", site);
                    }
                    if (kind == Architecture.Kind.NONE || symbol == null || relocation.symbol() == 0)
                    {
                        continue;
                    }
                    final boolean external = isExternal(o, symbol);
                    if (external)
                    {
                        final List<String> users = externalNames.computeIfAbsent(symbol.name(), n -> new ArrayList<>());
                        if (!users.contains(object.name()))
                        {
                            users.add(object.name());
                        }
                        if (!symbol.isWeak())
                        {
                            strongExternals.add(symbol.name());
                        }
                    }
                    final Target targetKey = targetKey(o, symbol, relocation);
                    if (kind == Architecture.Kind.GOT)
                    {
                        gotSlots.putIfAbsent(targetKey, gotSlots.size());
                    }
                    if (kind == Architecture.Kind.BRANCH && external)
                    {
                        stubSlots.putIfAbsent(targetKey, stubSlots.size());
                        if (architecture.stubUsesGot())
                        {
                            gotSlots.putIfAbsent(targetKey, gotSlots.size());
                        }
                    }
                    if (symbol.name().equals(DSO_HANDLE) && symbol.isUndefined())
                    {
                        dsoHandleOffset = 0;
                    }
                }
            }
        }
    }

    private boolean isExternal(final int object, final Symbol symbol)
    {
        if (symbol.isLocal())
        {
            return false;
        }
        final String name = symbol.name();
        return !definitions.containsKey(name) && !name.equals(GLOBAL_OFFSET_TABLE) && !name.equals(DSO_HANDLE);
    }

    private Target targetKey(final int object, final Symbol symbol, final Relocation relocation)
    {
        final long addend = architecture.machine() == Elf.EM_AARCH64 &&
            architecture.kind(relocation.type()) == Architecture.Kind.GOT ? relocation.addend() : 0;
        return symbol.isLocal() ? new Target(null, object, symbol.index(), addend) :
            new Target(symbol.name(), -1, -1, addend);
    }

    private void finishLayout()
    {
        final int code = Kind.CODE.ordinal();
        final int rodata = Kind.RODATA.ordinal();
        sizes[code] = Math.max(sizes[code], 2 * TRAMPOLINE_SLOT);
        stubOffset = align(sizes[code], 16);
        sizes[code] = stubOffset + (long)stubSlots.size() * architecture.stubSize();
        gotOffset = align(sizes[rodata], 8);
        sizes[rodata] = gotOffset + 8L * Math.max(1, gotSlots.size());
        if (dsoHandleOffset >= 0)
        {
            dsoHandleOffset = sizes[rodata];
            sizes[rodata] += 8;
        }
        if (bssAlignment > pageSize)
        {
            throw new UnsupportedObjectException("common symbol alignment greater than the page size: alignment=" +
                bssAlignment, LinkSite.NONE);
        }
        final int data = Kind.DATA.ordinal();
        alignments[data] = Math.max(alignments[data], bssAlignment);
        sizes[data] = align(sizes[data], bssAlignment);
        bssSize = align(bssSize, 16);
    }

    private void copySections(final byte[][] contents)
    {
        for (int o = 0; o < objects.size(); o++)
        {
            final ElfObject object = objects.get(o);
            final Placement[] placed = placements.get(o);
            for (final Section section : object.sections())
            {
                final Placement placement = placed[section.index()];
                if (placement != null && placement.offset() >= 0 && section.type() != Elf.SHT_NOBITS)
                {
                    final FrameEdit edit = frameEdits.get(key(o, section.index()));
                    final byte[] content = edit != null ? edit.content() : object.content(section);
                    System.arraycopy(content, 0, contents[placement.kind().ordinal()], (int)placement.offset(),
                        content.length);
                }
            }
        }
    }

    private void relocate(final int o, final Section rela, final byte[][] contents, final long[] bases,
        final long gotBase, final long stubBase, final Resolver resolver)
    {
        final ElfObject object = objects.get(o);
        final Section target = object.sections().get(rela.info());
        final Placement placement = placements.get(o)[target.index()];
        final byte[] content = contents[placement.kind().ordinal()];
        final long sectionAddress = bases[placement.kind().ordinal()] + placement.offset();
        final FrameEdit edit = frameEdits.get(key(o, target.index()));
        final long sectionSize = edit != null ? edit.content().length : target.size();
        for (final Relocation relocation : object.relocations(rela))
        {
            final long offset = edit != null ? edit.map(relocation.offset()) : relocation.offset();
            if (offset < 0)
            {
                continue;
            }
            final Symbol symbol = relocation.symbol() == 0 || object.symbols().isEmpty() ? null :
                object.symbols().get(relocation.symbol());
            final LinkSite site = object.site().section(target.name()).symbol(symbol == null ? null : symbol.name())
                .relocation(architecture.name(relocation.type()), relocation.offset());
            final Target targetKey = symbol == null ? null : targetKey(o, symbol, relocation);
            final Integer gotSlot = targetKey == null ? null : gotSlots.get(targetKey);
            final Integer stubSlot = targetKey == null ? null : stubSlots.get(targetKey);
            final long value = symbol == null ? 0 : resolver.value(o, symbol, site);
            try
            {
                architecture.apply(relocation.type(), new Fixup(content, (int)(placement.offset() + offset),
                    (int)(placement.offset() + sectionSize), sectionAddress + offset, value, relocation.addend(),
                    symbol == null ? 0 : symbol.size(),
                    gotSlot == null ? 0 : gotBase + 8L * gotSlot, gotBase,
                    stubSlot == null ? 0 : stubBase + (long)stubSlot * architecture.stubSize(), site));
            }
            catch (final RelocationOverflowException ex)
            {
                if (symbol != null && externalNames.containsKey(symbol.name()) && stubSlot == null)
                {
                    throw new RelocationOverflowException(ex.reason() + " (data of the executor is out of reach " +
                        "of position-dependent code: compile with -fPIC to reach it through the GOT)", ex.site());
                }
                throw ex;
            }
        }
    }

    private List<Long> initializers(final byte[][] contents, final long[] bases, final boolean finalizers)
    {
        final TreeMap<Integer, List<Long>> byPriority = new TreeMap<>();
        for (int o = 0; o < objects.size(); o++)
        {
            final ElfObject object = objects.get(o);
            for (final Section section : object.sections())
            {
                final Placement placement = placements.get(o)[section.index()];
                final String name = section.name();
                final boolean array = name.startsWith(finalizers ? ".fini_array" : ".init_array") ||
                    (!finalizers && name.startsWith(".preinit_array"));
                final boolean legacy = name.startsWith(finalizers ? ".dtors" : ".ctors");
                if (placement == null || (!array && !legacy))
                {
                    continue;
                }
                final int priority = priority(name, array, legacy, name.startsWith(".preinit_array"));
                final List<Long> entries = new ArrayList<>();
                final byte[] content = contents[placement.kind().ordinal()];
                for (long at = 0; at + 8 <= section.size(); at += 8)
                {
                    final long entry = LittleEndian.getLong(content, (int)(placement.offset() + at));
                    if (entry != 0 && entry != -1)
                    {
                        entries.add(entry);
                    }
                }
                if (legacy)
                {
                    java.util.Collections.reverse(entries);
                }
                byPriority.computeIfAbsent(priority, p -> new ArrayList<>()).addAll(entries);
            }
        }
        final List<Long> ordered = new ArrayList<>();
        byPriority.values().forEach(ordered::addAll);
        return ordered;
    }

    private static int priority(final String name, final boolean array, final boolean legacy, final boolean preinit)
    {
        if (preinit)
        {
            return -1;
        }
        final int dot = name.indexOf('.', 1);
        if (dot < 0)
        {
            return 65536;
        }
        try
        {
            final int value = Integer.parseInt(name.substring(dot + 1));
            return legacy ? 65535 - value : value;
        }
        catch (final NumberFormatException ex)
        {
            return 65536;
        }
    }

    private boolean isDiscarded(final int object, final Symbol symbol)
    {
        return symbol.sectionIndex() > 0 && symbol.sectionIndex() < Elf.SHN_LORESERVE &&
            placements.get(object)[symbol.sectionIndex()] == null;
    }

    private static long key(final int object, final int section)
    {
        return (long)object << 32 | section;
    }

    /** Symbol values once the segment addresses are known. */
    private final class Resolver
    {
        private final long[] bases;
        private final Map<String, Long> externals;

        Resolver(final long[] bases, final Map<String, Long> externals)
        {
            this.bases = bases;
            this.externals = externals;
        }

        long value(final int object, final Symbol symbol, final LinkSite site)
        {
            return symbol.isLocal() ? sectionRelative(object, symbol, site) : named(symbol.name(), site);
        }

        long named(final String name, final LinkSite site)
        {
            final Definition definition = definitions.get(name);
            if (definition != null)
            {
                return defined(definition);
            }
            if (name.equals(GLOBAL_OFFSET_TABLE))
            {
                return bases[Kind.RODATA.ordinal()] + gotOffset;
            }
            if (name.equals(DSO_HANDLE) && dsoHandleOffset >= 0)
            {
                return bases[Kind.RODATA.ordinal()] + dsoHandleOffset;
            }
            final Long external = externals.get(name);
            if (external == null)
            {
                throw new UnresolvedSymbolsException(Map.of(name, List.of(site.object() == null ? "" : site.object())));
            }
            return external;
        }

        long defined(final Definition definition)
        {
            final Symbol symbol = definition.symbol();
            if (symbol.isCommon())
            {
                return bases[Kind.DATA.ordinal()] + sizes[Kind.DATA.ordinal()] + commonOffsets.get(symbol.name());
            }
            return sectionRelative(definition.object(), symbol, objects.get(definition.object()).site()
                .symbol(symbol.name()));
        }

        long gotValue(final Target target)
        {
            if (target.name() != null)
            {
                return named(target.name(), LinkSite.NONE.symbol(target.name())) + target.addend();
            }
            final Symbol symbol = objects.get(target.object()).symbols().get(target.symbol());
            return value(target.object(), symbol, objects.get(target.object()).site().symbol(symbol.name())) +
                target.addend();
        }

        long encodedAddress(final long encoded)
        {
            final int object = (int)(encoded >>> 32);
            final int section = (int)encoded;
            final Placement placement = placements.get(object)[section];
            return placement == null ? 0 : address(placement);
        }

        long sectionRelative(final int object, final Symbol symbol, final LinkSite site)
        {
            final int index = symbol.sectionIndex();
            if (index == Elf.SHN_ABS)
            {
                return symbol.value();
            }
            if (index == Elf.SHN_UNDEF)
            {
                return 0;
            }
            final Placement placement = placements.get(object)[index];
            if (placement != null)
            {
                return address(placement) + symbol.value();
            }
            final long[] kept = discardedToKept.get(key(object, index));
            if (kept != null)
            {
                return (kept[0] < 0 ? kept[1] : encodedAddress(key((int)kept[0], (int)kept[1]))) + symbol.value();
            }
            throw new MalformedObjectException("reference to a section that is not loaded: section=" +
                objects.get(object).sections().get(index).name(), site);
        }

        private long address(final Placement placement)
        {
            if (placement.offset() < 0)
            {
                return bases[Kind.DATA.ordinal()] + sizes[Kind.DATA.ordinal()] + (-1 - placement.offset());
            }
            return bases[placement.kind().ordinal()] + placement.offset();
        }
    }

    private static long align(final long value, final long alignment)
    {
        return (value + alignment - 1) & -alignment;
    }
}
