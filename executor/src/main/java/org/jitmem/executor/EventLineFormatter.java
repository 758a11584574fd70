package org.jitmem.executor;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The executor program's log format: one line per event, {@code <ISO time> <LEVEL> <logger> <message>}, an exception
 * as its one-line summary. The launcher reads these lines from the executor's standard error into the controller's
 * log, keeping their level.
 */
final class EventLineFormatter extends Formatter
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME.withZone(ZoneOffset.UTC);

    /**
     * Replaces the root logger's handlers with one that writes this format to {@link System#err} as it is at each
     * event, so that the log follows the process's own standard error when loaded code takes over descriptor 2.
     */
    static void install()
    {
        final Logger root = Logger.getLogger("");
        for (final Handler handler : root.getHandlers())
        {
            root.removeHandler(handler);
        }
        final Handler standardError = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                if (isLoggable(record))
                {
                    System.err.print(getFormatter().format(record));
                    System.err.flush();
                }
            }

            @Override
            public void flush()
            {
                System.err.flush();
            }

            @Override
            public void close()
            {
                flush();
            }
        };
        standardError.setFormatter(new EventLineFormatter());
        standardError.setLevel(Level.INFO);
        root.addHandler(standardError);
    }

    @Override
    public String format(final LogRecord record)
    {
        final StringBuilder line = new StringBuilder(128)
            .append(TIME.format(Instant.ofEpochMilli(record.getMillis()))).append(' ')
            .append(record.getLevel().getName()).append(' ')
            .append(record.getLoggerName()).append(' ')
            .append(formatMessage(record));
        if (record.getThrown() != null)
        {
            line.append(": ").append(record.getThrown());
        }
        return oneLine(line) + System.lineSeparator();
    }

    private static String oneLine(final CharSequence text)
    {
        return text.toString().replace('\n', ' ').replace('\r', ' ');
    }
}
