package org.jitmem.api;

/**
 * Page protection of a segment: any combination of read, write and execute, none included.
 *
 * @param bits {@link #READ_BIT} | {@link #WRITE_BIT} | {@link #EXEC_BIT}
 */
public record MemoryProtection(int bits)
{
    /** Readable. */
    public static final int READ_BIT = 1;
    /** Writable. */
    public static final int WRITE_BIT = 2;
    /** Executable. */
    public static final int EXEC_BIT = 4;

    /** No access. */
    public static final MemoryProtection NONE = new MemoryProtection(0);
    /** Read only. */
    public static final MemoryProtection READ = new MemoryProtection(READ_BIT);
    /** Read and write. */
    public static final MemoryProtection READ_WRITE = new MemoryProtection(READ_BIT | WRITE_BIT);
    /** Read and execute: code. */
    public static final MemoryProtection READ_EXEC = new MemoryProtection(READ_BIT | EXEC_BIT);
    /** Read, write and execute: refused by W^X policy unless allowed. */
    public static final MemoryProtection READ_WRITE_EXEC = new MemoryProtection(READ_BIT | WRITE_BIT | EXEC_BIT);

    /**
     * @param bits protection bits
     */
    public MemoryProtection
    {
        if ((bits & ~(READ_BIT | WRITE_BIT | EXEC_BIT)) != 0)
        {
            throw new IllegalArgumentException("unknown protection bits: bits=" + bits);
        }
    }

    /**
     * @param text three characters as in {@code /proc/self/maps}, for example {@code "r-x"} or {@code "---"}
     * @return the protection
     */
    public static MemoryProtection parse(final String text)
    {
        if (text.length() != 3 ||
            "r-".indexOf(text.charAt(0)) < 0 || "w-".indexOf(text.charAt(1)) < 0 || "x-".indexOf(text.charAt(2)) < 0)
        {
            throw new IllegalArgumentException("protection must look like rwx, r-x or ---: text=" + text);
        }
        return new MemoryProtection(
            (text.charAt(0) == 'r' ? READ_BIT : 0) |
            (text.charAt(1) == 'w' ? WRITE_BIT : 0) |
            (text.charAt(2) == 'x' ? EXEC_BIT : 0));
    }

    /** @return true when readable */
    public boolean readable()
    {
        return (bits & READ_BIT) != 0;
    }

    /** @return true when writable */
    public boolean writable()
    {
        return (bits & WRITE_BIT) != 0;
    }

    /** @return true when executable */
    public boolean executable()
    {
        return (bits & EXEC_BIT) != 0;
    }

    /** @return true when both writable and executable */
    public boolean writableAndExecutable()
    {
        return writable() && executable();
    }

    @Override
    public String toString()
    {
        return (readable() ? "r" : "-") + (writable() ? "w" : "-") + (executable() ? "x" : "-");
    }
}
