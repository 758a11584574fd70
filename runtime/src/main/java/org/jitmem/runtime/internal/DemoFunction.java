package org.jitmem.runtime.internal;

/**
 * The native function the demo JITs, with the argument it is called with and the result it must return.
 *
 * @param architecture the CPU architecture of the code
 * @param description  what the function does
 * @param code         the machine code
 * @param argument     the argument block passed to it
 * @param callText     the call as a person reads it
 * @param expected     the result the call must return
 */
record DemoFunction(String architecture, String description, byte[] code, byte[] argument, String callText,
    long expected)
{
    /** @return the function for the CPU this JVM runs on */
    static DemoFunction assemble()
    {
        throw new UnsupportedOperationException("no machine-code assembler for this CPU: os.arch=" +
            System.getProperty("os.arch"));
    }
}
