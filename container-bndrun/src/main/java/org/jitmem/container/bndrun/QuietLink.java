package org.jitmem.container.bndrun;

import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Keeps the {@code link} mode quiet, so that standard output and error are the linked program's own: while the
 * launcher's arguments start with {@code link}, the Java log shows SEVERE records only. Its bundle starts before the
 * bundles that log (the bndrun's order), so nothing is written before it is active.
 */
@Component
public final class QuietLink
{
    private final Logger root = Logger.getLogger("");
    private final Level previous;

    /**
     * @param launcher the launcher's service, present when it was started for {@code link}
     */
    @Activate
    public QuietLink(@Reference(service = Object.class,
        target = "(" + ShellApplication.LAUNCHER_ARGUMENTS + "=link)") final Map<String, Object> launcher)
    {
        previous = root.getLevel();
        root.setLevel(Level.SEVERE);
    }

    /** Restores the log's level. */
    @Deactivate
    public void deactivate()
    {
        root.setLevel(previous);
    }
}
