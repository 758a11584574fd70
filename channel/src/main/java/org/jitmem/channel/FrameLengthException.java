package org.jitmem.channel;

import java.io.IOException;

/** A frame announced a length outside the allowed range; the stream cannot be resynchronised. */
final class FrameLengthException extends IOException
{
    private static final long serialVersionUID = 1L;

    FrameLengthException(final String message)
    {
        super(message);
    }
}
