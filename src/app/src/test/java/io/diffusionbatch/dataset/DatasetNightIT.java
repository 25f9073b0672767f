package io.diffusionbatch.dataset;

import io.diffusionbatch.local.LocalServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A nightly dataset end to end, as a user runs it, with the packaged jar: {@code serve} (embedded Kafka and
 * PostgreSQL, the bundled shapes-ldm and its evaluator), then {@code dataset run SPEC --date D --wait} (through
 * Kafka and the job). A spec of 204 items, 12 of them with an impossible caption (motion asked of an image
 * model). Checks: an independent Python reader ({@code tools/read_dataset.py}) reads the imagefolder and every
 * shard with every field; the gate excludes exactly what the evaluator rejected and the card's counts add up; a
 * night already run is not sent again; {@code dataset export} writes the same bytes again; a second night of the
 * same (fixed-seed) spec, interrupted by {@code kill -9} and resumed by a new start, exports data files identical
 * to the first night's; retention (keep 1) then deletes the first night's export and outputs and marks it pruned.
 */
class DatasetNightIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SPEC = """
            name: it-shapes
            description: the dataset IT's spec
            model: shapes-ldm
            templates:
              - template: "a {size} {colour} {shape} {position} on a white background"
                slots:
                  size: [small, large]
                  colour: [red, blue, green, yellow]
                  shape: [circle, square, triangle, star]
                  position: [in the centre, at the top left]
              - template: "a {colour} {shape} moving left on a white background"
                slots:
                  colour: [red, blue]
                  shape: [circle, square]
            seeds: {policy: fixed, count: 3, base: 100}
            params: {sampler: dpmpp-2m, steps: 8, guidance: 5.0}
            gate: {verdict: adherent, maxRejected: 0.5}
            export: {shardSize: 50}
            splits: {validation: 0.2}
            retention: {keep: 1}
            """;
    private static final int ITEMS = 204;

    private Process server;

    @AfterEach
    void stop() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    @Test
    void aNightRunsThroughKafkaExportsReadablyPassesItsGateAndComesOutByteIdenticalAfterKillMinus9() throws Exception {
        Path home = Files.createTempDirectory("diffusion-dataset-");
        Path data = home.resolve("data");
        Path specs = Files.createDirectories(home.resolve("specs"));
        Files.writeString(specs.resolve("it-shapes.yaml"), SPEC);
        Path log = home.resolve("server.log");
        server = serve(data, specs, log);
        LocalServices services = awaitServices(data, server, log);

        // night 1, followed to the end
        Cli first = cli(home, "dataset", "run", "it-shapes", "--date", "2026-01-01", "--wait", "--timeout", "600",
                "--data-dir", data.toString(), "--diffusion.datasets.dir=" + specs);
        assertThat(first.exit).as(first.output + "\nserver log:\n" + tail(log)).isZero();
        assertThat(first.output).contains("exported, ", "of " + ITEMS + " items exported");

        Path outputs = data.resolve("outputs");
        long run1;
        Path export1;
        try (Connection c = DriverManager.getConnection(services.jdbcUrl(), "postgres", "postgres")) {
            run1 = scalar(c, "SELECT id FROM requests WHERE labels ->> 'dataset.night' = '2026-01-01'");
            export1 = outputs.resolve(text(c, "SELECT export_dir FROM dataset_nights WHERE request_id = " + run1));
            long exported = scalar(c, "SELECT items_exported FROM dataset_nights WHERE request_id = " + run1);
            long rejected = scalar(c, "SELECT items_rejected FROM dataset_nights WHERE request_id = " + run1);
            long missing = scalar(c, "SELECT items_missing FROM dataset_nights WHERE request_id = " + run1);
            assertThat(exported + rejected + missing).isEqualTo(ITEMS);
            assertThat(missing).isZero();

            // the gate left out exactly what the evaluator judged not adherent, the impossible captions among them
            Set<Long> notAdherent = longs(c, "SELECT idx FROM item_quality WHERE adherent = false AND request_id = "
                    + run1);
            Set<Long> excluded = longs(c, "SELECT idx FROM dataset_exclusions WHERE request_id = " + run1);
            assertThat(excluded).isEqualTo(notAdherent);
            assertThat(rejected).isEqualTo(excluded.size());
            Set<Long> impossible = longs(c, "SELECT i.idx FROM items i JOIN prompts p ON p.id = i.prompt_id "
                    + "WHERE p.text LIKE '%moving left%' AND i.request_id = " + run1);
            assertThat(impossible).hasSize(12);
            assertThat(excluded).containsAll(impossible);
            assertThat(scalar(c, "SELECT count(*) FROM dataset_exclusions WHERE reason = 'gate-verdict' "
                    + "AND detail LIKE '%direction: read null, prompted left%' AND request_id = " + run1)).isEqualTo(12);
            assertThat(scalar(c, "SELECT count(*) FROM item_quality WHERE request_id = " + run1))
                    .as("every item of a dataset night is judged").isEqualTo(ITEMS);

            // an independent reader finds every expected sample, field and shard
            Python r = python("tools/read_dataset.py", export1.toString(), "--shard-size", "50", "--expect-count",
                    String.valueOf(exported));
            assertThat(r.exit).as(r.err).isZero();
            JsonNode summary = JSON.readTree(r.out);
            Set<String> keys = new TreeSet<>();
            summary.get("keys").forEach(k -> keys.add(k.asString()));
            Set<String> expectedKeys = new TreeSet<>();
            for (long i : longs(c, "SELECT idx FROM items WHERE request_id = " + run1)) {
                if (!excluded.contains(i)) {
                    expectedKeys.add(String.format("%010d", i));
                }
            }
            assertThat(keys).isEqualTo(expectedKeys);
            assertThat(summary.get("splits").get("train").asLong() + summary.get("splits").get("validation").asLong())
                    .isEqualTo(exported);
            List<String> fields = new ArrayList<>();
            summary.get("fields").forEach(f -> fields.add(f.asString()));
            assertThat(fields).contains("prompt", "negative_prompt", "seed", "labels", "params", "model_sha256",
                    "sha256", "quality");

            // the card's counts add up to the ledger's
            String card = Files.readString(export1.resolve("README.md"));
            assertThat(card).contains(exported + " of " + ITEMS + " items exported", "| gate-verdict | " + rejected
                    + " |", "| **total** | " + rejected + " |", "| **total** | " + exported + " | ");
        }

        // the same night again: not sent, nothing new in the ledger
        Cli again = cli(home, "dataset", "run", "it-shapes", "--date", "2026-01-01", "--data-dir", data.toString(),
                "--diffusion.datasets.dir=" + specs);
        assertThat(again.exit).as(again.output).isZero();
        assertThat(again.output).contains("already run " + run1, "not sent again");

        // written again from the ledger: every file byte for byte
        Map<String, String> night1 = hashes(export1);
        Cli export = cli(home, "dataset", "export", String.valueOf(run1), "--data-dir", data.toString());
        assertThat(export.exit).as(export.output).isZero();
        assertThat(hashes(export1)).isEqualTo(night1);

        // night 2 (fixed seeds: the same items), killed with -9 mid-run and resumed by a new start
        Cli send = cli(home, "dataset", "run", "it-shapes", "--date", "2026-01-02", "--data-dir", data.toString(),
                "--diffusion.datasets.dir=" + specs);
        assertThat(send.exit).as(send.output).isZero();
        long run2;
        try (Connection c = DriverManager.getConnection(services.jdbcUrl(), "postgres", "postgres")) {
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            long done = 0;
            while (done < 20) {
                assertThat(System.nanoTime()).as("items done before the kill").isLessThan(deadline);
                assertThat(server.isAlive()).as(tail(log)).isTrue();
                Thread.sleep(100);
                done = scalar(c, "SELECT count(*) FROM items i JOIN requests r ON r.id = i.request_id "
                        + "WHERE r.labels ->> 'dataset.night' = '2026-01-02' AND i.status = 'done'");
            }
            server.destroyForcibly().waitFor(); // SIGKILL mid-run
            run2 = scalar(c, "SELECT id FROM requests WHERE labels ->> 'dataset.night' = '2026-01-02'");
            assertThat(scalar(c, "SELECT count(*) FROM items WHERE status = 'done' AND request_id = " + run2))
                    .isLessThan(ITEMS);
        }
        server = serve(data, specs, log);
        LocalServices second = awaitServices(data, server, log);
        Path export2;
        Path runDir1;
        try (Connection c = DriverManager.getConnection(second.jdbcUrl(), "postgres", "postgres")) {
            runDir1 = outputs.resolve(text(c, "SELECT output_dir FROM requests WHERE id = " + run1));
            long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
            // the export step writes the night's row; the summarize step after it ends the run
            while (scalar(c, "SELECT count(*) FROM dataset_nights WHERE request_id = " + run2) == 0
                    || scalar(c, "SELECT count(*) FROM requests WHERE id = " + run2
                            + " AND status IN ('completed', 'failed', 'cancelled')") == 0) {
                assertThat(System.nanoTime()).as("night 2 exported after the restart; log:\n" + tail(log))
                        .isLessThan(deadline);
                Thread.sleep(250);
            }
            export2 = outputs.resolve(text(c, "SELECT export_dir FROM dataset_nights WHERE request_id = " + run2));
            assertThat(text(c, "SELECT status FROM requests WHERE id = " + run2)).isEqualTo("completed");
            assertThat(text(c, "SELECT status FROM dataset_nights WHERE request_id = " + run1)).isEqualTo("pruned");
            assertThat(scalar(c, "SELECT count(*) FROM items WHERE request_id = " + run1))
                    .as("a pruned night's rows stay").isEqualTo(ITEMS);
        }
        assertThat(export1).as("retention deleted night 1's export").doesNotExist();
        assertThat(runDir1).as("and its run's outputs").doesNotExist();
        Map<String, String> night2 = hashes(export2);
        night1.remove("README.md"); // the card names its night and its run's measured seconds
        night2.remove("README.md");
        assertThat(night2).as("every data file of the resumed night equals the first night's").isEqualTo(night1);
        assertThat(night1).hasSizeGreaterThan(ITEMS / 2);
    }

    private static Process serve(Path data, Path specs, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", "target/diffusion-batch.jar", "serve", "--data-dir",
                data.toString(), "--diffusion.datasets.dir=" + specs, "--diffusion.job.batch-size=4");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    private static LocalServices awaitServices(Path data, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<LocalServices> s = LocalServices.discover(data);
            if (s.isPresent() && s.get().pid() == p.pid()) {
                return s.get();
            }
            assertThat(p.isAlive()).as("server alive; log:\n" + tail(log)).isTrue();
            Thread.sleep(200);
        }
        throw new AssertionError("server did not start; log:\n" + tail(log));
    }

    private record Cli(int exit, String output) {
    }

    /** The jar's command line, stdout and stderr together. */
    private static Cli cli(Path home, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-jar", "target/diffusion-batch.jar"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(home, "cli", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(900, TimeUnit.SECONDS)).as(String.join(" ", args)).isTrue();
        return new Cli(p.exitValue(), Files.readString(out));
    }

    private record Python(int exit, String out, String err) {
    }

    private static Python python(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("python3"));
        command.addAll(List.of(args));
        Path dir = Files.createTempDirectory("reader");
        Process p = new ProcessBuilder(command).directory(repo().toFile())
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile()).start();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return new Python(p.exitValue(), Files.readString(dir.resolve("out")), Files.readString(dir.resolve("err")));
    }

    private static Path repo() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("tools/read_dataset.py"))) {
                return d;
            }
        }
        throw new AssertionError("no tools/read_dataset.py above " + Path.of("").toAbsolutePath());
    }

    private static Map<String, String> hashes(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(f).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(Files.readAllBytes(f))));
            }
        }
        return m;
    }

    private static long scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getLong(1);
        }
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }

    private static Set<Long> longs(Connection c, String sql) throws SQLException {
        Set<Long> out = new TreeSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
