package org.jitmem.executor.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace made for a test, joined to this one by a veth pair: the host end has
 * {@link #hostAddress()}, the namespace's end {@link #executorAddress()}; {@link #linkDown()} cuts the link and
 * {@link #linkUp()} mends it. Names are unique to this process and run, and {@link #close} removes namespace and
 * link whatever happened. While the link is down its subnet is unreachable (a route of last resort), never sent
 * towards the default gateway. Needs root ({@link #isRoot()}); traffic never leaves the machine.
 */
public final class NetworkNamespace implements AutoCloseable
{
    private static final long PID = ProcessHandle.current().pid();
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final long COMMAND_TIMEOUT_SECONDS = 30;

    private final String name;
    private final String hostLink;
    private final String hostAddress;
    private final String executorAddress;
    private final String subnet;

    private NetworkNamespace(final int run)
    {
        this.name = "jitmem-" + PID + "-" + run;
        this.hostLink = "jmh" + PID % 1_000_000 + run;
        final String prefix = "10." + (200 + run % 50) + "." + (PID % 250 + 1) + ".";
        this.hostAddress = prefix + "1";
        this.executorAddress = prefix + "2";
        this.subnet = prefix + "0/30";
    }

    /**
     * @return a new namespace with its link up, the namespace's loopback up too
     * @throws IOException when an {@code ip} command fails; what was made is removed
     */
    public static NetworkNamespace create() throws IOException
    {
        final NetworkNamespace namespace = new NetworkNamespace(RUNS.incrementAndGet());
        final String executorLink = "jmn" + namespace.hostLink.substring(3);
        try
        {
            ip("netns", "add", namespace.name);
            ip("link", "add", namespace.hostLink, "type", "veth", "peer", "name", executorLink);
            ip("link", "set", executorLink, "netns", namespace.name);
            ip("addr", "add", namespace.hostAddress + "/30", "dev", namespace.hostLink);
            ip(namespace.unreachableRoute("add"));
            ip("link", "set", namespace.hostLink, "up");
            ip("netns", "exec", namespace.name, "ip", "addr", "add", namespace.executorAddress + "/30", "dev",
                executorLink);
            ip("netns", "exec", namespace.name, "ip", "link", "set", executorLink, "up");
            ip("netns", "exec", namespace.name, "ip", "link", "set", "lo", "up");
            return namespace;
        }
        catch (final IOException | RuntimeException ex)
        {
            namespace.close();
            throw ex;
        }
    }

    /**
     * @return true when this process runs as root (uid 0), which namespaces and veth pairs need
     * @throws IOException when {@code /proc/self/status} cannot be read
     */
    public static boolean isRoot() throws IOException
    {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
            .filter(line -> line.startsWith("Uid:"))
            .map(line -> line.substring("Uid:".length()).trim().split("\\s+")[1])
            .anyMatch("0"::equals);
    }

    /** @return the words that run a command inside the namespace */
    public List<String> prefix()
    {
        return List.of("ip", "netns", "exec", name);
    }

    /** @return the namespace's address on the link */
    public String executorAddress()
    {
        return executorAddress;
    }

    /** @return this namespace's address on the link */
    public String hostAddress()
    {
        return hostAddress;
    }

    /**
     * Takes the host end of the link down: nothing passes until {@link #linkUp()}.
     *
     * @throws IOException when {@code ip} fails
     */
    public void linkDown() throws IOException
    {
        ip("link", "set", hostLink, "down");
    }

    /**
     * Brings the host end of the link up again.
     *
     * @throws IOException when {@code ip} fails
     */
    public void linkUp() throws IOException
    {
        ip("link", "set", hostLink, "up");
    }

    /** Removes the namespace and the link; quiet, since what remains is named after this process. */
    @Override
    public void close()
    {
        run("netns", "del", name);
        run("link", "del", hostLink);
        run(unreachableRoute("del"));
    }

    /** While the link is down the subnet is unreachable here, so nothing takes the default route off the machine. */
    private String[] unreachableRoute(final String verb)
    {
        return new String[] {"route", verb, "unreachable", subnet, "metric", "1000"};
    }

    private static void ip(final String... arguments) throws IOException
    {
        final String output = run(arguments);
        if (output != null)
        {
            throw new IOException("ip " + String.join(" ", arguments) + " failed: " + output);
        }
    }

    /** @return null when the command succeeded, else what went wrong */
    private static String run(final String... arguments)
    {
        final List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        Process process = null;
        try
        {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                return "timed out";
            }
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.exitValue() == 0 ? null : "exit=" + process.exitValue() + " " + output;
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        finally
        {
            if (process != null)
            {
                process.destroyForcibly();
            }
        }
    }
}
