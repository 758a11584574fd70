package org.jitmem.channel;

/**
 * One frame as read from the wire; see {@link Protocol} for the layout.
 *
 * @param type      frame type
 * @param requestId request id
 * @param payload   payload bytes
 */
record Frame(byte type, long requestId, byte[] payload)
{
}
