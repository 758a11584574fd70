package org.jitmem.webconsole.internal;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.jitmem.api.MemoryUsage;
import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.slab.SlabMemoryManager;
import org.jitmem.runtime.slab.SlabStatistics;

/**
 * The page's HTML, inside the Web Console's frame: the backends, the slab statistics with a chart of the recent
 * samples drawn as inline SVG, the executor, and the forms of the actions. Every value is escaped; nothing is loaded
 * from elsewhere.
 */
final class JitmemPage
{
    /** The form field naming the action. */
    static final String ACTION = "action";
    /** The form field with the backend type to pin, empty for the best one. */
    static final String TYPE = "type";
    /** The query parameter with the outcome of the last action, shown once above the page. */
    static final String OUTCOME = "outcome";

    private static final int CHART_WIDTH = 360;
    private static final int CHART_HEIGHT = 120;
    private static final int CHART_LEFT = 70;
    private static final int CHART_TOP = 10;
    private static final long WINDOW_MILLIS = UsageSampler.PERIOD_SECONDS * 1_000L * UsageSampler.SAMPLES;
    private static final long SHORTEST_SPAN_MILLIS = 60_000;
    private static final String STYLE = """
        <style>
        .jitmem h2 { margin: 18px 0 6px; font-size: 15px; }
        .jitmem table.jm { border-collapse: collapse; margin-bottom: 6px; }
        .jitmem table.jm th, .jitmem table.jm td { border: 1px solid #c9ced6; padding: 4px 10px; text-align: left;
          font-size: 13px; }
        .jitmem table.jm th { background: #eef1f5; }
        .jitmem td.num { text-align: right; font-family: monospace; }
        .jitmem tr.selected td { background: #e6f4e6; font-weight: bold; }
        .jitmem .props { font-family: monospace; font-size: 12px; color: #444; }
        .jitmem p, .jitmem label { font-size: 13px; }
        .jitmem form { display: inline-block; margin: 6px 12px 6px 0; }
        .jitmem button, .jitmem select { font-size: 13px; padding: 3px 12px; }
        .jitmem .outcome { border: 1px solid #8bb38b; background: #eef8ee; padding: 6px 10px; margin: 8px 0; }
        .jitmem .charts { display: flex; flex-wrap: wrap; gap: 16px; }
        .jitmem .chart { border: 1px solid #c9ced6; padding: 6px; background: #fff; }
        .jitmem .chart .title { font-weight: bold; font-size: 13px; margin-bottom: 2px; }
        .jitmem .legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
        .jitmem .swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
        .jitmem .state-RUNNING { color: #1a7f1a; font-weight: bold; }
        .jitmem .state-STOPPED, .jitmem .state-DISABLED { color: #b02a2a; font-weight: bold; }
        </style>
        """;

    private final PrintWriter out;

    /**
     * @param out where the page is written
     */
    JitmemPage(final PrintWriter out)
    {
        this.out = out;
    }

    /**
     * Writes the whole page.
     *
     * @param backends   the backends present, best first
     * @param pinnedType the pinned type, empty for the best one
     * @param managers   every backend's slab memory manager
     * @param history    the recent samples of each backend type
     * @param executor   the executor's status, null without a supervisor
     * @param token      the token the forms carry
     * @param outcome    the outcome of the last action, null for none
     */
    void write(final List<BackendDescription> backends, final String pinnedType, final List<SlabMemoryManager> managers,
        final Map<String, List<UsageSampler.Sample>> history, final ExecutorStatus executor, final String token,
        final String outcome)
    {
        out.println(STYLE);
        out.println("<div class=\"jitmem\" id=\"jitmem\">");
        if (outcome != null && !outcome.isEmpty())
        {
            out.println("<div class=\"outcome\" id=\"outcome\">" + escape(outcome) + "</div>");
        }
        backends(backends, pinnedType, token);
        statistics(managers, history);
        executor(executor, token);
        out.println("</div>");
    }

    private void backends(final List<BackendDescription> backends, final String pinnedType, final String token)
    {
        out.println("<h2>Memory mappers</h2>");
        out.println("<p>Pinned: <b id=\"pinned\">" + (pinnedType.isEmpty() ? "none (best backend)" :
            escape(pinnedType)) + "</b>; selected: <b id=\"selected\">" + escape(backends.stream()
            .filter(BackendDescription::selected).map(BackendDescription::type).findFirst().orElse("none")) +
            "</b></p>");
        out.println("<table class=\"jm\" id=\"backends\"><tr><th>type</th><th>selected</th><th>service.id</th>" +
            "<th>ranking</th><th>page size</th><th>cross-process</th><th>executor pid</th><th>properties</th></tr>");
        for (final BackendDescription backend : backends)
        {
            out.println("<tr class=\"" + (backend.selected() ? "selected" : "") + "\" data-type=\"" +
                escape(backend.type()) + "\"><td>" + escape(backend.type()) + "</td><td>" +
                (backend.selected() ? "yes" : "") + "</td><td class=\"num\">" + backend.serviceId() +
                "</td><td class=\"num\">" + backend.ranking() + "</td><td class=\"num\">" + backend.pageSize() +
                "</td><td>" + backend.crossProcess() + "</td><td class=\"num\">" + backend.executorPid() +
                "</td><td class=\"props\">" + escape(properties(backend.properties())) + "</td></tr>");
        }
        if (backends.isEmpty())
        {
            out.println("<tr><td colspan=\"8\">no memory mapper present</td></tr>");
        }
        out.println("</table>");
        out.println("<form method=\"post\" id=\"pin-form\">" + hidden(ACTION, "pin") +
            hidden(ActionGuard.TOKEN, token) +
            "<label>Pin backend type <select name=\"" + TYPE + "\" id=\"pin-type\"><option value=\"\">none (best " +
            "backend)</option>");
        backends.stream().map(BackendDescription::type).distinct().forEach(type -> out.println("<option value=\"" +
            escape(type) + "\"" + (type.equals(pinnedType) ? " selected" : "") + ">" + escape(type) + "</option>"));
        out.println("</select></label> <button type=\"submit\" id=\"pin-submit\">Pin</button></form>");
    }

    private void statistics(final List<SlabMemoryManager> managers,
        final Map<String, List<UsageSampler.Sample>> history)
    {
        out.println("<h2>Slab statistics</h2>");
        out.println("<table class=\"jm\" id=\"statistics\"><tr><th>backend</th><th>reserved bytes</th>" +
            "<th>reservations</th><th>used bytes</th><th>allocations</th><th>free bytes</th><th>withheld bytes</th>" +
            "<th>executor reserved / limit</th><th>executor committed / limit</th></tr>");
        for (final SlabMemoryManager manager : managers)
        {
            final SlabStatistics stats = manager.statistics();
            final MemoryUsage usage = manager.mapper().memoryUsage().orElse(null);
            out.println("<tr data-type=\"" + escape(stats.mapperType()) + "\"><td>" + escape(stats.mapperType()) +
                "</td><td class=\"num reserved\" data-bytes=\"" + stats.reservedBytes() + "\">" +
                bytes(stats.reservedBytes()) + "</td><td class=\"num\">" +
                stats.reservations() + "</td><td class=\"num used\" data-bytes=\"" + stats.usedBytes() + "\">" +
                bytes(stats.usedBytes()) +
                "</td><td class=\"num\">" + stats.allocations() + "</td><td class=\"num\">" + bytes(stats.freeBytes()) +
                "</td><td class=\"num\">" + bytes(stats.burnedBytes()) + "</td><td class=\"num\">" +
                (usage == null ? "-" : bytes(usage.reservedBytes()) + " / " + bytes(usage.reservedLimit())) +
                "</td><td class=\"num\">" + (usage == null ? "-" : bytes(usage.committedBytes()) + " / " +
                bytes(usage.committedLimit())) + "</td></tr>");
        }
        out.println("</table>");
        out.println("<div class=\"charts\">");
        managers.stream().map(manager -> manager.statistics().mapperType()).distinct()
            .forEach(type -> chart(type, history.getOrDefault(type, List.of())));
        out.println("</div>");
    }

    private void chart(final String type, final List<UsageSampler.Sample> samples)
    {
        final long now = System.currentTimeMillis();
        final long span = samples.isEmpty() ? WINDOW_MILLIS :
            Math.min(WINDOW_MILLIS, Math.max(SHORTEST_SPAN_MILLIS, now - samples.get(0).epochMillis()));
        final long top = scale(samples.stream().mapToLong(UsageSampler.Sample::reservedBytes).max().orElse(0));
        out.println("<div class=\"chart\" data-type=\"" + escape(type) + "\"><div class=\"title\">" + escape(type) +
            ": reserved and used bytes</div>");
        final int width = CHART_LEFT + CHART_WIDTH + 10;
        final int height = CHART_TOP + CHART_HEIGHT + 22;
        out.println("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" + height +
            "\" role=\"img\" aria-label=\"reserved and used bytes of " + escape(type) + "\">");
        out.println("<rect x=\"" + CHART_LEFT + "\" y=\"" + CHART_TOP + "\" width=\"" + CHART_WIDTH + "\" height=\"" +
            CHART_HEIGHT + "\" fill=\"#fafbfc\" stroke=\"#c9ced6\"/>");
        for (int i = 0; i <= 4; i++)
        {
            final int y = CHART_TOP + CHART_HEIGHT - i * CHART_HEIGHT / 4;
            out.println("<line x1=\"" + CHART_LEFT + "\" y1=\"" + y + "\" x2=\"" + (CHART_LEFT + CHART_WIDTH) +
                "\" y2=\"" + y + "\" stroke=\"#e3e6ea\"/><text x=\"" + (CHART_LEFT - 6) + "\" y=\"" + (y + 4) +
                "\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">" + bytes(top * i / 4) + "</text>");
        }
        final String since = span < 2 * SHORTEST_SPAN_MILLIS ? span / 1_000 + " s" : span / 60_000 + " min";
        out.println("<text x=\"" + CHART_LEFT + "\" y=\"" + (height - 4) + "\" font-size=\"11\" fill=\"#555\">-" +
            since + "</text><text x=\"" + (CHART_LEFT + CHART_WIDTH) + "\" y=\"" + (height - 4) +
            "\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">now</text>");
        out.println(polyline(samples, now, span, top, true, "#4a90d9", "#4a90d933"));
        out.println(polyline(samples, now, span, top, false, "#e07b24", "#e07b2440"));
        out.println("</svg>");
        final UsageSampler.Sample latest = samples.isEmpty() ? new UsageSampler.Sample(now, 0, 0) :
            samples.get(samples.size() - 1);
        out.println("<div class=\"legend\"><span><i class=\"swatch\" style=\"background:#4a90d9\"></i>reserved " +
            bytes(latest.reservedBytes()) + "</span><span><i class=\"swatch\" style=\"background:#e07b24\"></i>used " +
            bytes(latest.usedBytes()) + "</span><span>" + samples.size() + " samples, one every " +
            UsageSampler.PERIOD_SECONDS + " s, kept " + WINDOW_MILLIS / 60_000 + " min</span></div></div>");
    }

    private static String polyline(final List<UsageSampler.Sample> samples, final long now, final long span,
        final long top, final boolean reserved, final String stroke, final String fill)
    {
        final StringBuilder points = new StringBuilder();
        double firstX = -1;
        double lastX = 0;
        for (final UsageSampler.Sample sample : samples)
        {
            final double x = CHART_LEFT + CHART_WIDTH * Math.max(0.0,
                1.0 - (now - sample.epochMillis()) / (double)span);
            final long value = reserved ? sample.reservedBytes() : sample.usedBytes();
            final double y = CHART_TOP + CHART_HEIGHT - (top == 0 ? 0 : CHART_HEIGHT * (double)value / top);
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            firstX = firstX < 0 ? x : firstX;
            lastX = x;
        }
        if (samples.isEmpty())
        {
            return "";
        }
        final int base = CHART_TOP + CHART_HEIGHT;
        return String.format(Locale.ROOT, "<polygon points=\"%.1f,%d %s%.1f,%d\" fill=\"%s\" stroke=\"none\"/>" +
            "<polyline class=\"%s\" points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>", firstX, base,
            points, lastX, base, fill, reserved ? "reserved" : "used", points.toString().trim(), stroke);
    }

    private void executor(final ExecutorStatus status, final String token)
    {
        out.println("<h2>Executor</h2>");
        if (status == null)
        {
            out.println("<p id=\"executor\">no executor supervisor present</p>");
            return;
        }
        out.println("<table class=\"jm\" id=\"executor\">");
        row("state", "<span id=\"executor-phase\" class=\"state-" + status.phase() + "\">" + status.phase() +
            "</span>");
        row("pid", "<span id=\"executor-pid\">" + (status.pid() > 0 ? String.valueOf(status.pid()) : "-") + "</span>");
        row("alive", String.valueOf(status.alive()));
        row("uptime", status.startedAt() == null ? "-" : duration(status.uptime()));
        row("restarts", "<span id=\"executor-restarts\">" + status.restarts() + "</span>");
        row("last exit", escape(status.lastExit().isEmpty() ? "none" : status.lastExit()));
        row("detail", escape(status.detail()));
        out.println("</table>");
        out.println("<form method=\"post\" id=\"executor-start\">" + hidden(ACTION, "start") +
            hidden(ActionGuard.TOKEN, token) + "<button type=\"submit\">Start executor</button></form>");
        out.println("<form method=\"post\" id=\"executor-stop\">" + hidden(ACTION, "stop") +
            hidden(ActionGuard.TOKEN, token) + "<button type=\"submit\">Stop executor</button></form>");
    }

    private void row(final String name, final String html)
    {
        out.println("<tr><th>" + name + "</th><td>" + html + "</td></tr>");
    }

    private static String hidden(final String name, final String value)
    {
        return "<input type=\"hidden\" name=\"" + name + "\" value=\"" + escape(value) + "\"/>";
    }

    private static String properties(final Map<String, Object> properties)
    {
        final StringBuilder text = new StringBuilder();
        new TreeMap<>(properties).forEach((key, value) -> text.append(key).append('=').append(value instanceof
            Object[] array ? List.of(array).toString() : String.valueOf(value)).append(' '));
        return text.toString().trim();
    }

    /**
     * @param bytes a byte count
     * @return it in binary units for people
     */
    static String bytes(final long bytes)
    {
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value >= 100 || value == Math.rint(value) ? "%.0f %s" : "%.1f %s", value,
            units[unit]);
    }

    /** @return the axis' top: the smallest power of two times a binary unit at or above the value */
    private static long scale(final long max)
    {
        long unit = 1024;
        while (unit * 1024 <= max)
        {
            unit *= 1024;
        }
        for (final long step : new long[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})
        {
            if (unit * step >= max)
            {
                return unit * step;
            }
        }
        return max;
    }

    private static String duration(final Duration duration)
    {
        final long seconds = duration.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    /**
     * @param text any text
     * @return it safe inside HTML text and attribute values
     */
    static String escape(final String text)
    {
        final StringBuilder escaped = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '&' -> escaped.append("&amp;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
