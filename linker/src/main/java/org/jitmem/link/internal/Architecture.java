package org.jitmem.link.internal;

/** What the linker needs to know of a machine: its relocations, its call stubs and its call trampolines. */
interface Architecture
{
    /** How the linker must prepare for a relocation type. */
    enum Kind
    {
        /** Nothing to do. */
        NONE,
        /** Computed from the symbol and the place. */
        DIRECT,
        /** Needs a GOT entry for the symbol. */
        GOT,
        /** A branch that needs a call stub when its target is out of range. */
        BRANCH,
        /** Thread-local storage: not supported. */
        TLS,
        /** A type this linker does not know. */
        UNKNOWN
    }

    /** @return the ELF machine */
    int machine();

    /**
     * @param type a relocation type
     * @return its name, such as {@code R_X86_64_PC32}
     */
    String name(int type);

    /**
     * @param type a relocation type
     * @return how to prepare for it
     */
    Kind kind(int type);

    /**
     * Applies a relocation of a type whose kind is neither {@link Kind#TLS} nor {@link Kind#UNKNOWN}.
     *
     * @param type   the type
     * @param fixup  the field and the values
     */
    void apply(int type, Fixup fixup);

    /** @return bytes of one call stub */
    int stubSize();

    /** @return true when a stub jumps through the target's GOT entry rather than holding the target itself */
    boolean stubUsesGot();

    /**
     * @param code     code segment content
     * @param at       the stub's offset in it
     * @param stub     the stub's address
     * @param gotEntry the target's GOT entry address (when {@link #stubUsesGot})
     * @param target   the target address
     */
    void writeStub(byte[] code, int at, long stub, long gotEntry, long target);

    /**
     * A function {@code int64_t t(const void *arg, size_t len)} that calls {@code arg[0](arg[1], arg[2], arg[3])}
     * (four 64-bit words) and returns 0 when {@code returnsInt} is false, otherwise the callee's {@code int}
     * sign-extended.
     *
     * @param returnsInt which of the two trampolines
     * @return its machine code
     */
    byte[] trampoline(boolean returnsInt);

    /**
     * @param machine an ELF machine
     * @return its architecture
     */
    static Architecture of(final int machine)
    {
        return machine == Elf.EM_AARCH64 ? new AArch64() : new X86_64();
    }
}
