package org.jitmem.webconsole.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.runtime.BackendDescription;
import org.junit.jupiter.api.Test;

/** The page's HTML: figures for people, values escaped, every action a POST form with the token. */
final class JitmemPageTest
{
    @Test
    void bytesReadInBinaryUnits()
    {
        assertEquals("0 B", JitmemPage.bytes(0));
        assertEquals("1023 B", JitmemPage.bytes(1023));
        assertEquals("1.5 KiB", JitmemPage.bytes(1536));
        assertEquals("64 MiB", JitmemPage.bytes(64L << 20));
        assertEquals("1 TiB", JitmemPage.bytes(1L << 40));
    }

    @Test
    void everyValueIsEscapedAndEveryActionIsAPostWithTheToken()
    {
        final StringWriter html = new StringWriter();
        final BackendDescription backend = new BackendDescription("<script>x</script>", 7, 100, true, 42, 4096, true,
            Map.of("note", "a \"quoted\" & <tagged> value"));
        final ExecutorStatus status = new ExecutorStatus(ExecutorStatus.Phase.RUNNING, 42, Path.of("/run/x.sock"),
            Instant.now(), "channel <registered>", "", 1);
        new JitmemPage(new PrintWriter(html)).write(List.of(backend), "", List.of(),
            Map.of(), status, "t0k3n", "pinned <b>x</b>");
        final String page = html.toString();
        assertFalse(page.contains("<script>"), page);
        assertFalse(page.contains("<tagged>"), page);
        assertFalse(page.contains("<b>x</b>"), page);
        assertTrue(page.contains("&lt;script&gt;x&lt;/script&gt;"), page);
        assertTrue(page.contains("channel &lt;registered&gt;"), page);
        final long forms = Pattern.compile("<form ").matcher(page).results().count();
        assertEquals(3, forms, page);
        assertEquals(forms, Pattern.compile("<form method=\"post\"").matcher(page).results().count(), page);
        assertEquals(forms, Pattern.compile("name=\"token\" value=\"t0k3n\"").matcher(page).results().count(), page);
        assertTrue(page.contains("id=\"executor-pid\">42<"), page);
        assertFalse(page.contains("src=") || page.contains("href="), "nothing is loaded from elsewhere");
    }
}
