package io.diffusionbatch.web;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A headless Chromium driven over the Chrome DevTools Protocol with the JDK's WebSocket client:
 * one page target, attached with a flat session. Events are kept (see {@link #events}); JavaScript
 * dialogs are dismissed as they open, so they are recorded but never block the page. Closing kills
 * the browser and its children and removes its profile. Not thread-safe (one caller at a time).
 */
final class Chromium implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");

    private final Process process;
    private final Path profile;
    private final Path log;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Queue<JsonNode> events = new ConcurrentLinkedQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private WebSocket socket;
    private String session;

    private Chromium(Process process, Path profile, Path log) {
        this.process = process;
        this.profile = profile;
        this.log = log;
    }

    /** The first Chromium/Chrome binary found: {@code $CHROMIUM}, then the usual Debian and Ubuntu paths. */
    static Optional<Path> binary() {
        String env = System.getenv("CHROMIUM");
        Stream<String> candidates = Stream.concat(env == null ? Stream.empty() : Stream.of(env),
                Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"));
        return candidates.map(Path::of).filter(Files::isExecutable).findFirst();
    }

    /** Starts the browser and opens a blank page target. */
    static Chromium launch(Path binary) throws Exception {
        Path profile = Files.createTempDirectory("dash-chromium-");
        Path log = Files.createTempFile("dash-chromium-", ".log");
        Process p = new ProcessBuilder(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-port=0", "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
                "--window-size=1280,2000", "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(log.toFile()).start();
        Chromium c = new Chromium(p, profile, log);
        try {
            c.connect(c.devToolsUrl(Duration.ofSeconds(20)));
            String target = c.call("Target.createTarget", Map.of("url", "about:blank"), false).get("targetId").asString();
            c.session = c.call("Target.attachToTarget", Map.of("targetId", target, "flatten", true), false)
                    .get("sessionId").asString();
            c.call("Page.enable", Map.of(), true);
            c.call("Runtime.enable", Map.of(), true);
            return c;
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
    }

    private URI devToolsUrl(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = DEVTOOLS.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (m.find()) {
                return URI.create(m.group(1));
            }
            if (!process.isAlive()) {
                throw new AssertionError("chromium exited with " + process.exitValue() + ": " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("chromium printed no DevTools URL within " + timeout + ": " + Files.readString(log));
    }

    private void connect(URI url) throws Exception {
        socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(url, new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            JsonNode msg = JSON.readTree(text.toString());
                            text.setLength(0);
                            if (msg.has("id")) {
                                CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asLong());
                                if (f != null) {
                                    f.complete(msg);
                                }
                            } else if (msg.has("method")) {
                                events.add(msg);
                                if (msg.get("method").asString().equals("Page.javascriptDialogOpening")) {
                                    dismissDialog(ws);
                                }
                            }
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                        pending.values().forEach(f -> f.completeExceptionally(error));
                    }
                }).get(10, TimeUnit.SECONDS);
    }

    /**
     * A JavaScript dialog (alert, confirm, prompt) blocks the page until answered: dismiss it at
     * once, without waiting for the reply (this runs on the socket's listener thread).
     */
    private void dismissDialog(WebSocket ws) {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", ids.incrementAndGet());
        msg.put("method", "Page.handleJavaScriptDialog");
        msg.set("params", JSON.valueToTree(Map.of("accept", false)));
        msg.put("sessionId", session);
        ws.sendText(JSON.writeValueAsString(msg), true);
    }

    /** The events received so far with this method (e.g. {@code Page.javascriptDialogOpening}), oldest first. */
    List<JsonNode> events(String method) {
        return events.stream().filter(e -> e.path("method").asString("").equals(method)).toList();
    }

    /** Sends a command (to the page session when {@code toPage}) and returns its result. */
    JsonNode call(String method, Map<String, ?> params, boolean toPage) throws Exception {
        long id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", JSON.valueToTree(params));
        if (toPage) {
            msg.put("sessionId", session);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        socket.sendText(JSON.writeValueAsString(msg), true).get(10, TimeUnit.SECONDS);
        JsonNode reply = f.get(30, TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IllegalStateException(method + ": " + reply.get("error"));
        }
        return reply.get("result");
    }

    /** Navigates the page and waits until it has loaded. */
    void navigate(String url) throws Exception {
        call("Page.navigate", Map.of("url", url), true);
        waitFor("document.readyState === 'complete' && location.href === " + JSON.writeValueAsString(url),
                Duration.ofSeconds(15));
    }

    /** Evaluates a JavaScript expression in the page (promises awaited) and returns its value. */
    JsonNode eval(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true), true);
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("page threw on " + expression + ": " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Polls a boolean expression until it is true (errors during a navigation are retried). */
    void waitFor(String expression, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (eval(expression).asBoolean(false)) {
                    return;
                }
            } catch (IllegalStateException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not true within " + timeout + ": " + expression + (last == null ? "" : " (" + last + ")"));
    }

    /** Saves a PNG of the whole page. */
    void screenshot(Path file) throws Exception {
        JsonNode r = call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true), true);
        Files.write(file, java.util.Base64.getDecoder().decode(r.get("data").asString()));
    }

    /** Pids of the browser and its children (for the test's check that all are gone). */
    List<ProcessHandle> processes() {
        return Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
    }

    @Override
    public void close() {
        List<ProcessHandle> all = processes();
        try {
            if (socket != null) {
                socket.abort();
            }
        } finally {
            all.forEach(ProcessHandle::destroyForcibly);
            try {
                process.waitFor(10, TimeUnit.SECONDS);
                for (ProcessHandle h : all) {
                    h.onExit().get(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                // reported by the caller's check of processes()
            }
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp folder left behind
            }
            log.toFile().delete();
        }
    }
}
