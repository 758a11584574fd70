package org.jitmem.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Web Console's address and credentials: generated once, stored hashed and private, read back after. */
final class WebConsoleAccessTest
{
    private static final Pattern GENERATED = Pattern.compile("user (\\S+), password (\\S+) ");

    @TempDir
    Path state;

    @Test
    void credentialsAreGeneratedOnceStoredHashedAndReadBack() throws IOException
    {
        final ByteArrayOutputStream first = new ByteArrayOutputStream();
        final Map<String, String> generated = WebConsoleAccess.settings(state, print(first));
        final Matcher printed = GENERATED.matcher(first.toString(StandardCharsets.UTF_8));
        assertTrue(printed.find(), first.toString(StandardCharsets.UTF_8));
        final String password = printed.group(2);
        assertEquals(printed.group(1), generated.get("felix.webconsole.username"));
        final String hashed = generated.get("felix.webconsole.password");
        assertTrue(hashed.matches("\\{sha-256\\}[0-9a-f]{16}-1000-[A-Za-z0-9+/=]{44}"), hashed);
        assertNotEquals("admin", password);
        assertEquals("127.0.0.1", generated.get("org.apache.felix.http.host"));
        assertEquals(String.valueOf(WebConsoleAccess.DEFAULT_PORT), generated.get("org.osgi.service.http.port"));

        final Path file = state.resolve(WebConsoleAccess.CREDENTIALS_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(Files.readString(file).contains(password), "the password is stored hashed only");

        final ByteArrayOutputStream second = new ByteArrayOutputStream();
        final Map<String, String> again = WebConsoleAccess.settings(state, print(second));
        assertEquals("", second.toString(StandardCharsets.UTF_8), "printed at the first start only");
        assertEquals(generated.get("felix.webconsole.password"), again.get("felix.webconsole.password"));
    }

    @Test
    void hashesDifferBySalt()
    {
        assertNotEquals(WebConsoleAccess.hash("secret"), WebConsoleAccess.hash("secret"));
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
