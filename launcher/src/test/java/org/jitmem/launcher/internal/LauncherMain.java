package org.jitmem.launcher.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.jitmem.runtime.testing.SystemLoggers;

/**
 * A controller for tests: launches the real executor under {@code args[0]}, prints
 * {@code launcher ready executorPid=<pid> directory=<path>} and waits to be killed.
 */
public final class LauncherMain
{
    private LauncherMain()
    {
    }

    /**
     * @param args the parent of the executor's private directory
     * @throws InterruptedException when interrupted while waiting to be killed
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final LauncherSettings settings = new LauncherSettings(true, LauncherSettings.runningJava(),
            List.of("-Xmx64m", "-XX:TieredStopAtLevel=1"), Path.of(args[0]), Duration.ofSeconds(60),
            Duration.ofSeconds(10), false, 0, Duration.ZERO, Duration.ZERO);
        final LaunchedExecutor executor = LaunchedExecutor.launch(settings, detail -> { },
            SystemLoggers.of(LauncherMain.class));
        System.out.println("launcher ready executorPid=" + executor.pid() + " directory=" + executor.directory());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
