package org.jitmem.container;

import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import org.osgi.framework.Bundle;

/**
 * The container's logging, set up before the framework starts: Logback, reached through Felix Log and Felix Logback,
 * writes {@code <state>/log/jitmem.log} and standard error as {@code logback.xml} beside this class says, unless
 * {@code logback.configurationFile} names another configuration. Java logging goes there too once Felix Logback has
 * installed its bridge; until then it goes nowhere, so nothing reaches the console in its two-line form.
 */
final class ContainerLogging
{
    /** System property: the folder of {@code jitmem.log}. */
    static final String LOG_DIRECTORY = "jitmem.log.directory";
    /** System property: the lowest level written to standard error, {@code WARN} by default, {@code OFF} for none. */
    static final String CONSOLE_LEVEL = "jitmem.log.console";

    /** System property: the lowest level written to the file, {@code INFO} by default. */
    static final String LEVEL = "jitmem.log.level";

    private static final String CONFIGURATION_FILE = "logback.configurationFile";
    /** Framework property: the level of OSGi loggers unless the Log Admin configures another (WARN by default). */
    private static final String OSGI_LOG_LEVEL = "org.osgi.service.log.admin.loglevel";
    /** The bundles that carry the log, started first, so that the other bundles' events reach it from the start. */
    private static final List<String> LOGGING_BUNDLES = List.of("ch.qos.logback.core", "ch.qos.logback.classic",
        "slf4j.api", "org.apache.felix.log", "org.apache.felix.logback");

    private ContainerLogging()
    {
    }

    /**
     * @param framework      the framework properties, which get the OSGi loggers' level
     * @param stateDirectory the container's state directory, which holds {@code log/}
     */
    static void configure(final Map<String, String> framework, final Path stateDirectory)
    {
        framework.putIfAbsent(OSGI_LOG_LEVEL, System.getProperty(LEVEL, "INFO"));
        if (System.getProperty(LOG_DIRECTORY) == null)
        {
            System.setProperty(LOG_DIRECTORY, stateDirectory.resolve("log").toString());
        }
        if (System.getProperty(CONFIGURATION_FILE) == null)
        {
            final URL configuration = ContainerLogging.class.getResource("logback.xml");
            if (configuration == null)
            {
                throw new IllegalStateException("logback.xml missing beside " + ContainerLogging.class.getName());
            }
            System.setProperty(CONFIGURATION_FILE, configuration.toString());
        }
        final Logger root = LogManager.getLogManager().getLogger("");
        for (final Handler handler : root.getHandlers())
        {
            root.removeHandler(handler);
        }
    }

    /**
     * @param bundles bundles in their start order
     * @return the same bundles, those that carry the log first
     */
    static List<Bundle> loggingFirst(final List<Bundle> bundles)
    {
        final List<Bundle> ordered = new ArrayList<>(bundles);
        ordered.sort(Comparator.comparingInt(ContainerLogging::startRank));
        return ordered;
    }

    private static int startRank(final Bundle bundle)
    {
        final int index = LOGGING_BUNDLES.indexOf(bundle.getSymbolicName());
        return index < 0 ? LOGGING_BUNDLES.size() : index;
    }
}
