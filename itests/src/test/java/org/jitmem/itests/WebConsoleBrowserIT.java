package org.jitmem.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The jitmem Web Console page in a real headless Chromium (Debian's, driven through Debian's chromedriver), served by
 * the runnable container started as a person starts it, with its Gogo shell on standard input to compare against.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
final class WebConsoleBrowserIT
{
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final long START_TIMEOUT_SECONDS = 120;
    private static final Pattern ADDRESS =
        Pattern.compile("jitmem: Web Console at (http://127\\.0\\.0\\.1:(\\d+)/\\S+)");
    private static final Pattern CREDENTIALS =
        Pattern.compile("Web Console credentials generated: user (\\S+), password (\\S+) ");
    private static final Pattern SHELL_SELECTED = Pattern.compile("(?m)^\\* (\\S+)\\s+service\\.id=");
    private static final Pattern SHELL_EXECUTOR_PID = Pattern.compile("(?m)^\\s+pid\\s+(\\d+)$");

    @TempDir
    static Path tmp;

    private static Process container;
    private static OutputStream shell;
    private static Path output;
    private static String page;
    private static String user;
    private static String password;
    private static ChromeDriverService driverService;
    private static WebDriver browser;
    /** Selenium warns that it has no DevTools binding for this Chromium; the test uses WebDriver only. */
    private static final Logger DEVTOOLS = Logger.getLogger("org.openqa.selenium.devtools");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void startContainerAndBrowser() throws IOException, InterruptedException
    {
        output = tmp.resolve("container.out");
        final Path javaTmp = Files.createDirectory(tmp.resolve("java-tmp"));
        container = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Djava.io.tmpdir=" + javaTmp, "-Djitmem.state=" + tmp.resolve("state"), "-Djitmem.webconsole.port=0",
            "-jar", ContainerDemoIT.containerJar().toString())
            .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        shell = container.getOutputStream();
        final String started = awaitOutput(ADDRESS, 0);
        final Matcher address = ADDRESS.matcher(started);
        assertTrue(address.find());
        page = address.group(1);
        final Matcher credentials = CREDENTIALS.matcher(started);
        assertTrue(credentials.find(), "generated credentials printed at the first start:\n" + started);
        user = credentials.group(1);
        password = credentials.group(2);
        assertTrue(Files.readString(tmp.resolve("state").resolve("webconsole.properties")).contains("{sha-256}"),
            "the password is stored hashed");
        assertFalse(Files.readString(tmp.resolve("state").resolve("webconsole.properties")).contains(password));
        awaitShell("jitmem:executor", "RUNNING");

        DEVTOOLS.setLevel(Level.SEVERE);
        driverService = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
            .usingAnyFreePort().build();
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--user-data-dir=" + Files.createDirectory(tmp.resolve("chromium")),
            "--window-size=1280,1500");
        browser = new ChromeDriver(driverService, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopBrowserAndContainer() throws InterruptedException
    {
        try
        {
            if (browser != null)
            {
                browser.quit();
            }
            if (driverService != null)
            {
                driverService.stop();
            }
        }
        finally
        {
            final long executorPid = container != null && container.isAlive() ? currentExecutorPid() : 0;
            if (container != null)
            {
                container.destroy();
                if (!container.waitFor(30, TimeUnit.SECONDS))
                {
                    container.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (executorPid > 0 && ProcessHandle.of(executorPid).map(ProcessHandle::isAlive).orElse(false) &&
                System.nanoTime() < deadline)
            {
                Thread.sleep(50);
            }
            assertFalse(executorPid > 0 && ProcessHandle.of(executorPid).map(ProcessHandle::isAlive).orElse(false),
                "executor still running after the container ended: pid=" + executorPid);
        }
    }

    /** Without credentials the Web Console and the page answer 401, to GET and POST alike. */
    @Test
    @Order(1)
    void requestWithoutCredentialsIsRefused() throws IOException, InterruptedException
    {
        assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(page)).GET().build(),
            HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(page))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("action=stop")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(401, HTTP.send(authorized(URI.create(page), "jitmem", "wrong").GET().build(),
            HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    /** The page shows the backends, the selected one, the slab figures and the executor as the shell reports them. */
    @Test
    @Order(2)
    void pageRendersTheLiveFigures() throws IOException, InterruptedException
    {
        final Path source = tmp.resolve("answer.c");
        Files.writeString(source, "long answer(const void *arg, unsigned long len) { return 42 + (long)len; }\n" +
            "char table[100000] = {1};\n");
        final Path object = tmp.resolve("answer.o");
        final Process cc = new ProcessBuilder("cc", "-fPIC", "-c", source.toString(), "-o", object.toString())
            .redirectErrorStream(true).start();
        cc.getOutputStream().close();
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0,
            new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        awaitShell("jitmem:load " + object, "loaded answer");

        final String backends = shellCommand("jitmem:backends");
        final Matcher selected = SHELL_SELECTED.matcher(backends);
        assertTrue(selected.find(), backends);
        final String stats = shellCommand("jitmem:stats");
        final String executor = shellCommand("jitmem:executor");
        final Matcher executorPid = SHELL_EXECUTOR_PID.matcher(executor);
        assertTrue(executorPid.find(), executor);

        open(page);
        assertEquals(selected.group(1), text("selected"));
        assertEquals("RUNNING", text("executor-phase"));
        assertEquals(executorPid.group(1), text("executor-pid"));
        final long used = Long.parseLong(browser.findElement(By.cssSelector(
            "#statistics tr[data-type='" + selected.group(1) + "'] td.used")).getDomAttribute("data-bytes"));
        final long reserved = Long.parseLong(browser.findElement(By.cssSelector(
            "#statistics tr[data-type='" + selected.group(1) + "'] td.reserved")).getDomAttribute("data-bytes"));
        assertTrue(used >= 100_000, "the loaded object's table is in use: used=" + used);
        assertTrue(stats.contains(String.format("%s (page", selected.group(1))), stats);
        assertTrue(stats.contains(String.format("used     %,d bytes", used)), "page used=" + used + "\n" + stats);
        assertTrue(stats.contains(String.format("reserved %,d bytes", reserved)), "page reserved=" + reserved +
            "\n" + stats);
        for (final String type : List.of("inprocess", "posix-shm"))
        {
            assertTrue(backends.contains(type), backends);
            assertEquals(1, browser.findElements(By.cssSelector("#backends tr[data-type='" + type + "']")).size());
            assertEquals(1, browser.findElements(By.cssSelector(".chart[data-type='" + type + "'] svg")).size());
        }
        assertTrue(browser.findElements(By.cssSelector(".chart polyline.used")).size() >= 1, "the chart is drawn");
    }

    /** Pinning from the page changes the selection, on the page after the reload and in the shell. */
    @Test
    @Order(3)
    void pinningFromThePageChangesTheSelection() throws IOException, InterruptedException
    {
        open(page);
        new Select(browser.findElement(By.id("pin-type"))).selectByValue("inprocess");
        browser.findElement(By.id("pin-submit")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(driver -> driver.findElements(By.id("outcome"))
            .size() == 1);
        assertEquals("pinned inprocess", text("outcome"));
        open(page);
        assertEquals("inprocess", text("selected"));
        assertEquals("inprocess", text("pinned"));
        assertTrue(SHELL_SELECTED.matcher(shellCommand("jitmem:backends")).results()
            .anyMatch(match -> match.group(1).equals("inprocess")), "the shell sees the pin");
        assertTrue(fetch("system/console/healthcheck?tags=jitmem").contains("selected: type=inprocess"),
            "the health check sees the pin");

        new Select(browser.findElement(By.id("pin-type"))).selectByValue("");
        browser.findElement(By.id("pin-submit")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(driver -> driver.findElements(By.id("outcome"))
            .size() == 1);
        open(page);
        assertEquals("posix-shm", text("selected"));
    }

    /** A GET of the action URL, even with the page's own token, changes nothing; a POST without it is refused. */
    @Test
    @Order(4)
    void getOfTheActionUrlChangesNothing() throws IOException, InterruptedException
    {
        open(page);
        final String token = browser.findElement(By.cssSelector("#executor-stop input[name='token']"))
            .getDomAttribute("value");
        final String pid = text("executor-pid");
        assertEquals(200, HTTP.send(authorized(URI.create(page + "?action=stop&token=" + token), user, password)
            .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(200, HTTP.send(authorized(URI.create(page + "?action=pin&type=inprocess&token=" + token), user,
            password).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(403, post("action=stop", null));
        assertEquals(403, post("action=stop&token=" + token, "http://attacker.example"));
        open(page);
        assertEquals("RUNNING", text("executor-phase"));
        assertEquals(pid, text("executor-pid"));
        assertEquals("posix-shm", text("selected"));
        assertTrue(shellCommand("jitmem:executor").contains("pid       " + pid), "the shell sees the same executor");
    }

    /** Stop and start from the page: the executor ends, the health check says so, and a new one runs. */
    @Test
    @Order(6)
    void executorStopsAndStartsFromThePage() throws IOException, InterruptedException
    {
        open(page);
        final long pid = Long.parseLong(text("executor-pid"));
        browser.findElement(By.cssSelector("#executor-stop button")).click();
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(driver -> driver.findElements(By.id("outcome"))
            .size() == 1);
        assertEquals("STOPPED", text("executor-phase"));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "executor ended: pid=" + pid);
        assertTrue(fetch("system/console/healthcheck?tags=jitmem").contains("executor not running"));
        browser.findElement(By.cssSelector("#executor-start button")).click();
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(driver -> driver.findElements(By.id("outcome"))
            .size() == 1);
        assertEquals("RUNNING", text("executor-phase"));
        awaitShell("jitmem:executor", "RUNNING");
    }

    /** Writes target/screenshots/jitmem-webconsole.png, the whole page, for people to look at. */
    @Test
    @Order(5)
    void screenshot() throws IOException, InterruptedException
    {
        Thread.sleep(TimeUnit.SECONDS.toMillis(6));
        open(page);
        final long height = (Long)((JavascriptExecutor)browser).executeScript(
            "return document.documentElement.scrollHeight");
        browser.manage().window().setSize(new Dimension(1280, (int)Math.min(4000, height + 40)));
        final byte[] png = ((TakesScreenshot)browser).getScreenshotAs(OutputType.BYTES);
        final Path file = Paths.get("target", "screenshots", "jitmem-webconsole.png");
        Files.createDirectories(file.getParent());
        Files.write(file, png);
        assertTrue(png.length > 10_000, "a real picture: bytes=" + png.length);
    }

    private static void open(final String url)
    {
        final URI uri = URI.create(url);
        browser.get(uri.getScheme() + "://" + user + ":" + password + "@" + uri.getAuthority() + uri.getPath());
        assertNotNull(browser.findElement(By.id("jitmem")));
    }

    private static String text(final String id)
    {
        return browser.findElement(By.id(id)).getText().trim();
    }

    private static String fetch(final String path) throws IOException, InterruptedException
    {
        final URI uri = URI.create(page).resolve("/" + path);
        final HttpResponse<String> response = HTTP.send(authorized(uri, user, password).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), uri.toString());
        return response.body();
    }

    private static int post(final String form, final String origin) throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = authorized(URI.create(page), user, password)
            .header("Content-Type", "application/x-www-form-urlencoded");
        if (origin != null)
        {
            request.header("Origin", origin);
        }
        return HTTP.send(request.POST(HttpRequest.BodyPublishers.ofString(form)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpRequest.Builder authorized(final URI uri, final String name, final String secret)
    {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Authorization", "Basic " +
            Base64.getEncoder().encodeToString((name + ":" + secret).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Runs a shell command and returns what the container printed after it, once {@code expected} appears there.
     */
    private static String awaitShell(final String command, final String expected)
        throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (true)
        {
            final String printed = shellCommand(command);
            if (printed.contains(expected) || System.nanoTime() > deadline)
            {
                assertTrue(printed.contains(expected), command + " never printed " + expected + ":\n" + printed);
                return printed;
            }
            Thread.sleep(500);
        }
    }

    /** Runs a shell command, then an echo of a marker, and returns what was printed between the two. */
    private static String shellCommand(final String command) throws IOException, InterruptedException
    {
        final String marker = "end-of-" + System.nanoTime();
        final int from = Files.readString(output, StandardCharsets.UTF_8).length();
        shell.write((command + "\necho " + marker + "\n").getBytes(StandardCharsets.UTF_8));
        shell.flush();
        final String printed = awaitOutput(Pattern.compile(Pattern.quote(marker) + "\\R"), from);
        return printed.substring(from, printed.lastIndexOf(marker));
    }

    private static String awaitOutput(final Pattern pattern, final int from) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (true)
        {
            final String text = Files.readString(output, StandardCharsets.UTF_8);
            if (pattern.matcher(text).region(Math.min(from, text.length()), text.length()).find())
            {
                return text;
            }
            assertTrue(container.isAlive(), "container ended:\n" + text);
            assertTrue(System.nanoTime() < deadline, "not printed within " + START_TIMEOUT_SECONDS + " s: " +
                pattern + "\n" + text);
            Thread.sleep(100);
        }
    }

    private static long currentExecutorPid()
    {
        try
        {
            final Matcher pid = SHELL_EXECUTOR_PID.matcher(shellCommand("jitmem:executor"));
            return pid.find() ? Long.parseLong(pid.group(1)) : 0;
        }
        catch (final IOException | AssertionError ex)
        {
            return 0;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
