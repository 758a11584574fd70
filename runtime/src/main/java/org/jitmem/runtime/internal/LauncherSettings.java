package org.jitmem.runtime.internal;

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
 * @param maxRestarts      restarts in a row before giving up
 * @param restartDelay     pause before a restart
 */
record LauncherSettings(boolean enabled, String javaCommand, List<String> jvmOptions, Path directory,
    Duration startTimeout, Duration stopTimeout, boolean restartOnFailure, int maxRestarts, Duration restartDelay)
{
    /**
     * @param enabled          enabled
     * @param javaCommand      java launcher
     * @param jvmOptions       JVM options, copied
     * @param directory        parent directory
     * @param startTimeout     start bound
     * @param stopTimeout      stop bound
     * @param restartOnFailure restart policy
     * @param maxRestarts      restarts in a row
     * @param restartDelay     restart pause
     */
    LauncherSettings
    {
        jvmOptions = List.copyOf(jvmOptions);
        if (startTimeout.isNegative() || startTimeout.isZero() || stopTimeout.isNegative() || stopTimeout.isZero() ||
            maxRestarts < 0 || restartDelay.isNegative())
        {
            throw new IllegalArgumentException("launcher setting out of range: startTimeout=" + startTimeout +
                " stopTimeout=" + stopTimeout + " maxRestarts=" + maxRestarts + " restartDelay=" + restartDelay);
        }
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
            Duration.ofMillis(configuration.restartDelayMillis()));
    }

    /** @return the java launcher of the running JVM */
    static String runningJava()
    {
        return ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * @param osName an operating system name, as in {@code os.name} or {@code org.osgi.framework.os.name}
     * @return true on the platforms the executor program supports: Linux, macOS and FreeBSD
     */
    static boolean supportedPlatform(final String osName)
    {
        final String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        return os.contains("linux") || os.contains("mac") || os.contains("freebsd");
    }
}
