package org.jitmem.channel;

/**
 * The layout of a lane, the shared-memory fast path for short calls between a controller and its executor. Both
 * processes map the same memory file; every field is native-endian and naturally aligned, and the futex words are
 * 32-bit.
 * <pre>
 * header, {@link #HEADER_SIZE} bytes
 *   0   int  magic {@link #MAGIC}
 *   4   int  layout version {@link #VERSION}
 *   8   int  slot count
 *   12  int  slot size, header included
 *   64  int  request sequence: futex word the executor sleeps on; a controller bumps it after posting a call
 *            while the executor says it sleeps
 *   68  int  executor sleeps: 1 while the executor sleeps (or is about to) on the request sequence
 *   128 int  reply sequence: futex word the controller's collector sleeps on; the executor bumps it for replies
 *            nobody has taken within {@link #REPLY_NOTICE_NANOS}
 *   132 int  collector sleeps: 1 while the collector sleeps (or is about to) on the reply sequence
 * slot i at HEADER_SIZE + i * slot size
 *   0   int  state: {@link #FREE}, {@link #CALL}, {@link #RUNNING}, {@link #RESULT}, {@link #ERROR},
 *            {@link #DIVERTED}, {@link #TAKEN}
 *   4   int  function name length (CALL), in bytes of UTF-8
 *   8   int  payload length: the argument (CALL) or the result or encoded error (RESULT, ERROR)
 *   16  long request id, unique on the connection
 *   32  function name then argument (CALL), or the result or encoded error (RESULT, ERROR)
 * </pre>
 * A slot's life: the controller claims a {@code FREE} slot for itself, writes the call and publishes {@code CALL};
 * the executor marks it {@code RUNNING}, runs the function, writes the reply and publishes {@code RESULT} or
 * {@code ERROR}, or sends a reply too large for the slot as a socket frame with the same request id and publishes
 * {@code DIVERTED}; the controller thread that moves it to {@code TAKEN} reads the reply, then frees the slot.
 */
final class LaneLayout
{
    static final int MAGIC = 0x4A4D4C4E;
    static final int VERSION = 1;
    static final int HEADER_SIZE = 256;

    /** The name of a lane's memory file, as {@code /proc/<pid>/maps} shows it after {@code memfd:}. */
    static final String MEMFD_NAME = "jitmem-channel-lane";
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int SLOT_COUNT_OFFSET = 8;
    static final int SLOT_SIZE_OFFSET = 12;
    static final int REQUEST_SEQUENCE_OFFSET = 64;
    static final int EXECUTOR_SLEEPS_OFFSET = 68;
    static final int REPLY_SEQUENCE_OFFSET = 128;
    static final int COLLECTOR_SLEEPS_OFFSET = 132;

    static final int SLOT_STATE = 0;
    static final int SLOT_FUNCTION_LENGTH = 4;
    static final int SLOT_PAYLOAD_LENGTH = 8;
    static final int SLOT_REQUEST_ID = 16;
    static final int SLOT_DATA = 32;

    static final int FREE = 0;
    static final int CALL = 1;
    static final int RUNNING = 2;
    static final int RESULT = 3;
    static final int ERROR = 4;
    static final int DIVERTED = 5;
    static final int TAKEN = 6;

    /** Slots of a lane the controller asks for by default: calls in flight at once beyond these use the socket. */
    static final int DEFAULT_SLOT_COUNT = 16;
    /** Slot size by default, header included. */
    static final int DEFAULT_SLOT_SIZE = 4096;
    static final int MAX_SLOT_COUNT = 256;
    static final int MAX_SLOT_SIZE = 1 << 20;

    /** How long a reply may wait for a spinning caller before the executor wakes the controller's collector. */
    static final long REPLY_NOTICE_NANOS = 50_000;
    /** The system property that sets {@link #SLEEP_NANOS}. */
    static final String SLEEP_NANOS_PROPERTY = "jitmem.channel.laneSleepNanos";
    /**
     * Longest sleep on a futex word, 100 ms by default: closing wakes sleepers at once, so this bounds only what a
     * lost wake-up would cost.
     */
    static final long SLEEP_NANOS = Math.max(1_000_000, Long.getLong(SLEEP_NANOS_PROPERTY, 100_000_000));

    /** The system property that sets how long a waiting thread spins, in nanoseconds, on either end. */
    static final String SPIN_NANOS_PROPERTY = "jitmem.channel.laneSpinNanos";
    /**
     * How long the executor looks for the next call before it sleeps, and a controller thread waiting for a reply
     * looks for it before it parks: a round trip costs a few microseconds while both spin, and two thread wake-ups
     * (tens of microseconds on a small machine) once they sleep.
     */
    static final long SPIN_NANOS = Math.max(0, Long.getLong(SPIN_NANOS_PROPERTY, 100_000));

    /**
     * How long a spinning thread only spins; after that it yields the processor between looks, so that on a machine
     * with more busy threads than cores the thread it waits for gets to run.
     */
    static final long PURE_SPIN_NANOS = 20_000;

    private LaneLayout()
    {
    }

    /** Waits a moment in a spin that has lasted {@code spent} nanoseconds: a spin-wait hint, later a yield. */
    static void pause(final long spent)
    {
        if (spent < PURE_SPIN_NANOS)
        {
            Thread.onSpinWait();
        }
        else
        {
            Thread.yield();
        }
    }

    /**
     * @param slotCount slots
     * @param slotSize  bytes per slot
     * @return the lane's size in bytes
     */
    static long size(final int slotCount, final int slotSize)
    {
        return HEADER_SIZE + (long)slotCount * slotSize;
    }

    /**
     * @param slot     slot index
     * @param slotSize bytes per slot
     * @return the slot's offset in the lane
     */
    static int slotOffset(final int slot, final int slotSize)
    {
        return HEADER_SIZE + slot * slotSize;
    }
}
