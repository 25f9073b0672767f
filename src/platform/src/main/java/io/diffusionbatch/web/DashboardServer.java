package io.diffusionbatch.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.diffusionbatch.audit.ItemAudit;
import io.diffusionbatch.audit.ItemRecord;
import io.diffusionbatch.audit.ItemRef;
import io.diffusionbatch.audit.Reproducer;
import io.diffusionbatch.audit.RunFigures;
import io.diffusionbatch.audit.RunFiguresReader;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.ledger.RunSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The dashboard's HTTP server, started and stopped with the server role's context. Listens on the
 * loopback address only, on {@code diffusion.web.port} (default 8470; 0 picks a free port; -1
 * turns it off; a port in use is logged and the server runs on without it), logs its URL and
 * records it in local mode's {@code services.json}. Pages:
 * {@code /}, {@code /runs/ID}, {@code /items/RUN/INDEX} (POST {@code .../reproduce}),
 * {@code /quality}, {@code /rejected}; files at {@code /files/RUN/INDEX} (only outputs the ledger
 * records for that item); JSON at {@code /api/runs} and {@code /api/runs/ID}. Bad input gets a
 * 400 or 404 page with a message, never a stack trace. Thread-safe.
 */
@Component
@ConditionalOnProperty(name = "diffusion.role", havingValue = "server")
public class DashboardServer implements SmartLifecycle {

    /** The port used when {@code diffusion.web.port} is not set. */
    public static final int DEFAULT_PORT = 8470;
    /** Runs shown on the runs list and returned by {@code /api/runs}. */
    public static final int RUN_LIMIT = 200;

    private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern RUN = Pattern.compile("/runs/([^/]+)");
    private static final Pattern API_RUN = Pattern.compile("/api/runs/([^/]+)");
    private static final Pattern ITEM = Pattern.compile("/items/([^/]+)/([^/]+)");
    private static final Pattern REPRODUCE = Pattern.compile("/items/([^/]+)/([^/]+)/reproduce");
    private static final Pattern FILE = Pattern.compile("/files/([^/]+)/([^/]+)");
    private static final String CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
            + "script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'";

    private final DashboardStore queries;
    private final ItemAudit audit;
    private final Reproducer reproducer;
    private final RunFiguresReader figures;
    private final RejectionStore rejections;
    private final int configuredPort;
    private final String progressScript;
    private volatile HttpServer server;
    private volatile ExecutorService executor;

    /**
     * @throws IllegalArgumentException when {@code diffusion.web.port} is not -1, 0 or 1..65535
     */
    public DashboardServer(DashboardStore store, ItemAudit audit, Reproducer reproducer, RunFiguresReader figures,
                           RejectionStore rejections, Environment env) {
        this.queries = store;
        this.audit = audit;
        this.reproducer = reproducer;
        this.figures = figures;
        this.rejections = rejections;
        String port = env.getProperty("diffusion.web.port", Integer.toString(DEFAULT_PORT)).trim();
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = Integer.MIN_VALUE;
        }
        if (p < -1 || p > 65535) {
            throw new IllegalArgumentException("diffusion.web.port: must be -1 (off), 0 (a free port) or 1..65535, was '"
                    + port + "'");
        }
        this.configuredPort = p;
        this.progressScript = resource("progress.js");
    }

    @Override
    public synchronized void start() {
        if (configuredPort == -1) {
            LOG.info("dashboard off (diffusion.web.port=-1)");
            return;
        }
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), configuredPort), 50);
            AtomicInteger n = new AtomicInteger();
            executor = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "dashboard-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            s.setExecutor(executor);
            s.createContext("/", this::handle);
            s.start();
            server = s;
        } catch (BindException e) {
            // a busy port must not stop the batch server: it runs on without its dashboard
            LOG.warn("dashboard not started: localhost port {} is in use ({}); set diffusion.web.port to a free port, "
                    + "0 for any, -1 for off", configuredPort, e.getMessage());
            if (executor != null) {
                executor.shutdownNow();
            }
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("dashboard: cannot listen on localhost port " + configuredPort
                    + " (set diffusion.web.port to a free port, 0 for any, -1 for off): " + e.getMessage(), e);
        }
        String url = url().orElseThrow().toString();
        LOG.info("dashboard at {}", url);
    }

    @Override
    public synchronized void stop() {
        HttpServer s = server;
        if (s != null) {
            s.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    /** The bound port, or -1 when the dashboard is off or stopped. */
    public int port() {
        HttpServer s = server;
        return s == null ? -1 : s.getAddress().getPort();
    }

    /** The dashboard's base URL ({@code http://127.0.0.1:PORT/}), empty when off or stopped. */
    public Optional<URI> url() {
        int p = port();
        return p < 0 ? Optional.empty() : Optional.of(URI.create("http://127.0.0.1:" + p + "/"));
    }

    private void handle(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        boolean api = path.startsWith("/api/");
        try (ex) {
            try {
                drain(ex);
                route(ex, path);
            } catch (HttpError e) {
                sendError(ex, api, e.status(), e.getMessage());
            } catch (RuntimeException | IOException e) {
                LOG.warn("dashboard: {} {} failed", ex.getRequestMethod(), path, e);
                sendError(ex, api, 500, "internal error: " + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage()));
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("dashboard: cannot answer {} {}", ex.getRequestMethod(), path, e);
        }
    }

    private void route(HttpExchange ex, String path) throws IOException {
        String method = ex.getRequestMethod();
        Matcher m;
        if ((m = REPRODUCE.matcher(path)).matches()) {
            require(method, "POST");
            ItemRef ref = itemRef(m.group(1), m.group(2));
            ItemRecord record = item(ref);
            if (record.output().isEmpty()) {
                throw HttpError.badRequest("item " + ref + " has no output to reproduce (status " + record.status() + ")");
            }
            Path scratch = Files.createTempDirectory("dashboard-reproduce-");
            try {
                Reproducer.Result r = reproducer.reproduce(ref, scratch);
                sendHtml(ex, 200, Pages.item(record, r));
            } finally {
                deleteTree(scratch);
            }
            return;
        }
        require(method, "GET", "HEAD");
        if (path.equals("/")) {
            sendHtml(ex, 200, Pages.runs(queries.latestRuns(RUN_LIMIT)));
        } else if ((m = RUN.matcher(path)).matches()) {
            long id = runId(m.group(1));
            RunSummary run = queries.run(id).orElseThrow(() -> HttpError.notFound("no run " + id));
            int page = page(ex.getRequestURI().getRawQuery());
            long pages = Math.max(1, (run.total() + Pages.SHEET_PAGE - 1) / Pages.SHEET_PAGE);
            if (page > pages) {
                throw HttpError.notFound("page: run " + id + " has " + pages + " page(s) of items, asked for page " + page);
            }
            long from = (long) (page - 1) * Pages.SHEET_PAGE;
            sendHtml(ex, 200, Pages.run(run, figures.read(id), queries.stageTimes(id),
                    queries.cells(id, from, from + Pages.SHEET_PAGE), page));
        } else if ((m = ITEM.matcher(path)).matches()) {
            sendHtml(ex, 200, Pages.item(item(itemRef(m.group(1), m.group(2))), null));
        } else if ((m = FILE.matcher(path)).matches()) {
            ItemRef ref = itemRef(m.group(1), m.group(2));
            item(ref);
            OutputFile f = queries.output(ref.run(), ref.index()).flatMap(DashboardServer::insideRunDir)
                    .orElseThrow(() -> HttpError.notFound("item " + ref + " has no output file"));
            sendFile(ex, f);
        } else if (path.equals("/quality")) {
            List<RunFigures> measured = new ArrayList<>();
            for (DashboardStore.QualityPoint q : queries.measuredRuns(RUN_LIMIT)) {
                figures.read(q.run()).ifPresent(measured::add);
            }
            sendHtml(ex, 200, Pages.quality(measured));
        } else if (path.equals("/rejected")) {
            sendHtml(ex, 200, Pages.rejected(rejections.latest(RUN_LIMIT)));
        } else if (path.equals("/api/runs")) {
            List<Map<String, Object>> runs = queries.latestRuns(RUN_LIMIT).stream().map(DashboardServer::json).toList();
            sendJson(ex, 200, Map.of("runs", runs));
        } else if ((m = API_RUN.matcher(path)).matches()) {
            long id = runId(m.group(1));
            RunSummary run = queries.run(id).orElseThrow(() -> HttpError.notFound("no run " + id));
            Map<String, Object> j = json(run);
            Map<String, Object> fig = new LinkedHashMap<>();
            figures.read(id).ifPresent(f -> f.columns().forEach((k, v) -> fig.put(k, finiteOrNull(v))));
            j.put("figures", fig.isEmpty() ? null : fig);
            sendJson(ex, 200, j);
        } else if (path.equals("/static/progress.js")) {
            send(ex, 200, "text/javascript; charset=utf-8", progressScript.getBytes(StandardCharsets.UTF_8));
        } else if (path.equals("/favicon.ico")) {
            ex.sendResponseHeaders(204, -1);
        } else {
            throw HttpError.notFound("no page " + path);
        }
    }

    private ItemRecord item(ItemRef ref) {
        queries.run(ref.run()).orElseThrow(() -> HttpError.notFound("no run " + ref.run()));
        return audit.find(ref).orElseThrow(() -> {
            long n = queries.run(ref.run()).map(RunSummary::total).orElse(0L);
            return HttpError.notFound("run " + ref.run() + " has no item " + ref.index() + " (it has " + n + " items"
                    + (n > 0 ? ", 0.." + (n - 1) : "") + ")");
        });
    }

    static long runId(String text) {
        return number(text, "run id", 1);
    }

    static ItemRef itemRef(String run, String index) {
        return new ItemRef(runId(run), number(index, "item index", 0));
    }

    private static long number(String text, String name, long min) {
        if (!text.matches("[0-9]{1,18}") || Long.parseLong(text) < min) {
            throw HttpError.badRequest(name + ": must be a whole number " + (min == 0 ? ">= 0" : ">= " + min)
                    + ", was '" + text + "'");
        }
        return Long.parseLong(text);
    }

    static int page(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return 1;
        }
        for (String kv : rawQuery.split("&")) {
            if (kv.startsWith("page=")) {
                String v = kv.substring(5);
                if (!v.matches("[0-9]{1,9}") || Integer.parseInt(v) < 1) {
                    throw HttpError.badRequest("page: must be a whole number >= 1, was '" + v + "'");
                }
                return Integer.parseInt(v);
            }
        }
        return 1;
    }

    private static void require(String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        throw new HttpError(405, "method " + method + " not allowed here; use " + String.join(" or ", allowed));
    }

    private static Map<String, Object> json(RunSummary r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("requestId", r.clientRequestId());
        m.put("status", r.status());
        m.put("finished", r.finished());
        m.put("model", r.model());
        m.put("sampler", r.sampler());
        m.put("steps", r.steps());
        m.put("total", r.total());
        m.put("done", r.done());
        m.put("failed", r.failed());
        m.put("cancelled", r.cancelled());
        m.put("pending", r.pending());
        m.put("acceptedAt", r.acceptedAt() == null ? null : r.acceptedAt().toString());
        m.put("startedAt", r.startedAt() == null ? null : r.startedAt().toString());
        m.put("finishedAt", r.finishedAt() == null ? null : r.finishedAt().toString());
        return m;
    }

    private static Object finiteOrNull(Object v) {
        return v instanceof Double d && !Double.isFinite(d) ? null : v;
    }

    private static void drain(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private void sendError(HttpExchange ex, boolean api, int status, String message) throws IOException {
        if (api) {
            sendJson(ex, status, Map.of("error", message, "status", status));
        } else {
            sendHtml(ex, status, Pages.error(status, message));
        }
    }

    private static void sendHtml(HttpExchange ex, int status, String html) throws IOException {
        ex.getResponseHeaders().set("Content-Security-Policy", CSP);
        send(ex, status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
    }

    private static void sendJson(HttpExchange ex, int status, Object value) throws IOException {
        send(ex, status, "application/json", JSON.writeValueAsBytes(value));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private record OutputFile(Path path, String mediaType) {
    }

    /** The recorded output resolved inside its run's folder; empty when the recorded path would leave it. */
    private static Optional<OutputFile> insideRunDir(DashboardStore.StoredOutput o) {
        Path dir = Path.of(o.runDir()).toAbsolutePath().normalize();
        Path file = dir.resolve(o.path()).normalize();
        return file.startsWith(dir) ? Optional.of(new OutputFile(file, o.mediaType())) : Optional.empty();
    }

    private static void sendFile(HttpExchange ex, OutputFile f) throws IOException {
        long size;
        try {
            size = Files.size(f.path());
        } catch (NoSuchFileException e) {
            throw HttpError.notFound("the output file of this item is missing on disk: " + f.path());
        }
        ex.getResponseHeaders().set("Content-Type", f.mediaType());
        ex.getResponseHeaders().set("Cache-Control", "private, max-age=60");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, size == 0 ? -1 : size);
        try (OutputStream out = ex.getResponseBody()) {
            Files.copy(f.path(), out);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("dashboard: cannot remove {}", dir, e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard resource " + name + " missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
