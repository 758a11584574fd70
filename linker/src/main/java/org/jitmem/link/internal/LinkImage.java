package org.jitmem.link.internal;

import java.util.List;
import java.util.Map;

/**
 * What a load writes and runs, for the addresses chosen.
 *
 * @param contents        content of each segment, by {@link LinkPlan.Kind} ordinal
 * @param symbols         every global definition (hidden ones included) and its address
 * @param exports         the definitions other modules may resolve against
 * @param initializers    constructors, in the order they run
 * @param finalizers      destructors, in reverse of the order they run
 * @param ehFrames        the start of each object's unwind tables, each followed by a zero terminator
 * @param voidTrampoline  calls {@code arg[0](arg[1], arg[2], arg[3])} and returns 0
 * @param intTrampoline   the same, returning the callee's {@code int}
 * @param dsoHandle       the address of {@code __dso_handle}, 0 when nothing references it
 * @param groups          the COMDAT groups kept: signature to member section addresses
 * @param functions       every function defined (locals included) with its {start, size}, for profilers
 */
record LinkImage(byte[][] contents, Map<String, Long> symbols, Map<String, Long> exports, List<Long> initializers,
    List<Long> finalizers, List<Long> ehFrames, long voidTrampoline, long intTrampoline, long dsoHandle,
    Map<String, Map<String, Long>> groups, Map<String, long[]> functions)
{
}
