package org.jitmem.container;

import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
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

    private static final String CONFIGURATION_FILE = "logback.configurationFile";
    /**
     * The bundles that carry the log, started first and in this order: SPI Fly weaves SLF4J's service loader and
     * offers SLF4J the providers of started bundles, so it and Logback start before SLF4J is first used.
     */
    private static final List<String> LOGGING_BUNDLES = List.of("org.apache.aries.spifly.dynamic.bundle",
        "ch.qos.logback.core", "ch.qos.logback.classic", "slf4j.api", "org.apache.felix.log",
        "org.apache.felix.logback");

    /**
     * SPI Fly logs through Java logging while it weaves SLF4J's first load; below WARNING that would reach SLF4J
     * before it is ready (a class-loading cycle). Held here so that Java logging keeps the level.
     */
    private static final Logger SPI_FLY = Logger.getLogger("org.apache.aries.spifly");

    private ContainerLogging()
    {
    }

    /**
     * @param stateDirectory the container's state directory, which holds {@code log/}
     */
    static void configure(final Path stateDirectory)
    {
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
        SPI_FLY.setLevel(Level.WARNING);
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
