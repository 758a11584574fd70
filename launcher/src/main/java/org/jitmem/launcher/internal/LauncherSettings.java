package org.jitmem.launcher.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What the executor launcher does, resolved from its configuration.
 *
 * @param enabled          whether to launch an executor at all
 * @param javaCommand      the java launcher
 * @param jvmOptions       options for the executor's JVM
 * @param directory        parent of the executor's private directory
 * @param startTimeout     bound on the wait for the ready line and the handshake
 * @param stopTimeout      bound on the wait for the executor to exit, before and after it is killed
 * @param restartOnFailure whether an executor that fails or ends unexpectedly is started again
 * @param maxRestarts      restarts within {@code restartWindow} before giving up
 * @param restartDelay     pause before the first restart in the window; each further one waits twice as long
 * @param restartWindow    how far back restarts count against {@code maxRestarts}
 */
record LauncherSettings(boolean enabled, String javaCommand, List<String> jvmOptions, Path directory,
    Duration startTimeout, Duration stopTimeout, boolean restartOnFailure, int maxRestarts, Duration restartDelay,
    Duration restartWindow)
{
    /** The longest pause before a restart, however many came before it. */
    static final Duration MAX_RESTART_DELAY = Duration.ofSeconds(30);

    /**
     * @param enabled          enabled
     * @param javaCommand      java launcher
     * @param jvmOptions       JVM options, copied
     * @param directory        parent directory
     * @param startTimeout     start bound
     * @param stopTimeout      stop bound
     * @param restartOnFailure restart policy
     * @param maxRestarts      restarts within the window
     * @param restartDelay     first restart pause
     * @param restartWindow    restart window
     */
    LauncherSettings
    {
        jvmOptions = List.copyOf(jvmOptions);
        if (startTimeout.isNegative() || startTimeout.isZero() || stopTimeout.isNegative() || stopTimeout.isZero() ||
            maxRestarts < 0 || restartDelay.isNegative() || restartWindow.isNegative())
        {
            throw new IllegalArgumentException("launcher setting out of range: startTimeout=" + startTimeout +
                " stopTimeout=" + stopTimeout + " maxRestarts=" + maxRestarts + " restartDelay=" + restartDelay +
                " restartWindow=" + restartWindow);
        }
    }

    /**
     * @param recentRestarts restarts already made within the window
     * @return the pause before the next one: the restart delay doubled for each recent restart, at most
     *     {@link #MAX_RESTART_DELAY}
     */
    Duration restartDelayAfter(final int recentRestarts)
    {
        final long millis = restartDelay.toMillis() << Math.min(recentRestarts, 20);
        return Duration.ofMillis(Math.min(millis, Math.max(restartDelay.toMillis(), MAX_RESTART_DELAY.toMillis())));
    }

    /**
     * @param configuration the component configuration
     * @return the settings, defaults filled in
     */
    static LauncherSettings from(final LauncherConfiguration configuration)
    {
        final String java = configuration.javaCommand();
        final String directory = configuration.directory();
        return new LauncherSettings(configuration.enabled(),
            java == null || java.isBlank() ? runningJava() : java.trim(),
            configuration.jvmOptions() == null ? List.of() : List.of(configuration.jvmOptions()),
            directory == null || directory.isBlank() ? Path.of(System.getProperty("java.io.tmpdir")) :
                Path.of(directory.trim()),
            Duration.ofSeconds(configuration.startTimeoutSeconds()),
            Duration.ofSeconds(configuration.stopTimeoutSeconds()),
            configuration.restartOnFailure(), configuration.maxRestarts(),
            Duration.ofMillis(configuration.restartDelayMillis()),
            Duration.ofSeconds(configuration.restartWindowSeconds()));
    }

    /** @return the java launcher of the running JVM */
    static String runningJava()
    {
        return ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * @param osName an operating system name, as in {@code os.name} or {@code org.osgi.framework.os.name}
     * @return true on the platforms the executor program supports: Linux and macOS
     */
    static boolean supportedPlatform(final String osName)
    {
        final String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        return os.contains("linux") || os.contains("mac");
    }
}
