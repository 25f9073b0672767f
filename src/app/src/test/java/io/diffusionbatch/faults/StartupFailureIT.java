package io.diffusionbatch.faults;

import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.local.LocalKafka;
import io.diffusionbatch.local.LocalPostgres;
import io.diffusionbatch.platform.DiffusionProperties;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar in external mode against a PostgreSQL and a Kafka this test owns, with one thing
 * wrong at a time: a start-up failure is one line on stderr naming the service, its address and the
 * cause, with the service's exit code, well before the minute a consumer used to wait; a replica with
 * a wrong Kafka address touches no run; {@code submit} sends nothing when no server is alive;
 * {@code doctor} says ok to every check of working services and FAIL to the broken one.
 */
class StartupFailureIT {

    /** Far below the 63 s a start with an unreachable Kafka took; room for a loaded CI machine. */
    private static final long MAX_SECONDS = 40;
    private static final String NO_KAFKA = "127.0.0.1:1";

    private static Path tmp;
    private static LocalPostgres pg;
    private static LocalKafka kafka;
    /** The ledger's address without the embedded server's {@code ?user=postgres}, so a wrong user counts. */
    private static String url;

    @BeforeAll
    static void services() throws Exception {
        tmp = Files.createTempDirectory("diffusion-startup-");
        pg = LocalPostgres.start(tmp.resolve("pg"), 0);
        kafka = LocalKafka.start(tmp.resolve("kafka"), 0);
        url = "jdbc:postgresql://localhost:" + pg.port() + "/postgres";
        TopicAdmin.ensureTopics(new DiffusionProperties.Kafka(kafka.bootstrapServers(), "requests", "events",
                "requests.dlt", "diffusion-intake", null));
        Flyway.configure().dataSource(url, "postgres", "postgres").locations("classpath:db/migration").load().migrate();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aReplicaWithAWrongKafkaAddressFailsInSecondsAndTouchesNoRun() throws Exception {
        // a run another replica holds, one whose owner died (its lease ran out), one waiting: a
        // dispatcher that started would resume the second and start the third
        sql("DELETE FROM requests");
        sql("INSERT INTO requests (client_request_id, kind, model, spec, item_count, status, output_dir, source, owner,"
                + " lease_until) VALUES"
                + " ('held', 'image', 'm', '{}', 1, 'running', '/o/1', 'test', 'other:1:live', now() + interval '1 hour'),"
                + " ('orphan', 'image', 'm', '{}', 1, 'running', '/o/2', 'test', 'other:2:dead', now() - interval '1 hour'),"
                + " ('waiting', 'image', 'm', '{}', 1, 'accepted', '/o/3', 'test', NULL, NULL)");
        List<String> before = rows();

        Run r = run(Map.of("DIFFUSION_KAFKA_BOOTSTRAP_SERVERS", NO_KAFKA), "serve", "--diffusion.web.port=-1");

        assertThat(r.exit).as(r.toString()).isEqualTo(11);
        assertThat(r.stderr).as(r.toString()).hasSize(1);
        assertThat(r.stderr.get(0)).startsWith("diffusion-batch: cannot reach Kafka at " + NO_KAFKA + ": ");
        assertThat(r.seconds).as(r.toString()).isLessThan(MAX_SECONDS);
        assertThat(rows()).as("no run touched").isEqualTo(before);
        assertThat(query("SELECT count(*) FROM servers WHERE pid = " + r.pid)).as("not registered").containsExactly("0");
    }

    @Test
    void aRefusedDatabaseLoginIsOneLine() throws Exception {
        Run r = run(Map.of("SPRING_DATASOURCE_USERNAME", "nobody"), "serve", "--diffusion.web.port=-1");

        assertThat(r.exit).as(r.toString()).isEqualTo(10);
        assertThat(r.stderr).as(r.toString()).containsExactly("diffusion-batch: cannot log in to PostgreSQL at " + url
                + " as nobody: FATAL: role \"nobody\" does not exist");
        assertThat(r.seconds).as(r.toString()).isLessThan(MAX_SECONDS);
    }

    @Test
    void submitSendsNothingWhenNoServerIsAlive() throws Exception {
        sql("DELETE FROM servers");
        sql("INSERT INTO servers (id, host, pid, version, heartbeat_at) VALUES ('gone:1:x', 'gone', 1, 'v', "
                + "now() - interval '1 hour')");
        Path request = Files.writeString(tmp.resolve("request.json"), "{\"requestId\": \"nobody-reads-it\"}");

        Run r = run(Map.of(), "submit", request.toString(), "--timeout", "5");

        assertThat(r.exit).as(r.toString()).isEqualTo(13);
        assertThat(r.stderr).as(r.toString()).hasSize(1);
        assertThat(r.stderr.get(0)).startsWith("diffusion-batch: no live server uses the ledger at " + url + " ")
                .endsWith("start one with 'serve', or pass --no-server-check to queue it");
    }

    @Test
    void doctorChecksEveryServiceAndNamesTheBrokenOne() throws Exception {
        sql("DELETE FROM servers");
        sql("INSERT INTO servers (id, host, pid, version) VALUES ('live:1:x', 'live', 1, 'v')");

        Run ok = run(Map.of(), "doctor");

        assertThat(ok.exit).as(ok.toString()).isZero();
        assertThat(ok.stdout).as(ok.toString()).hasSize(10).allMatch(l -> l.startsWith("ok "));
        assertThat(String.join("\n", ok.stdout)).contains("PostgreSQL", "schema", "servers", "live:1:x", "events outbox", "Kafka",
                "topic requests", "topic events", "topic requests.dlt", "intake lag", "output root");

        Run broken = run(Map.of("DIFFUSION_KAFKA_BOOTSTRAP_SERVERS", NO_KAFKA), "doctor");

        assertThat(broken.exit).as(broken.toString()).isEqualTo(1);
        assertThat(broken.stdout).as(broken.toString()).anyMatch(l -> l.matches("ok +PostgreSQL .*"))
                .anyMatch(l -> l.matches("FAIL +Kafka +cannot reach Kafka at " + NO_KAFKA + ": .*"));
    }

    /** What one command of the jar did. */
    private record Run(int exit, double seconds, long pid, List<String> stdout, List<String> stderr) {
    }

    private static Run run(Map<String, String> env, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data-dir", tmp.resolve("data").toString()));
        Path out = Files.createTempFile(tmp, "out-", ".txt");
        Path err = Files.createTempFile(tmp, "err-", ".txt");
        ProcessBuilder pb = ExternalJar.command(tmp, url, kafka.bootstrapServers(), env, all.toArray(String[]::new))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), (System.nanoTime() - t0) / 1e9, p.pid(), Files.readAllLines(out),
                Files.readAllLines(err));
    }

    private static List<String> rows() throws SQLException {
        return query("SELECT client_request_id || ' ' || status || ' ' || coalesce(owner, '-') || ' ' "
                + "|| coalesce(lease_until::text, '-') FROM requests ORDER BY id");
    }

    private static List<String> query(String select) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(select)) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            return rows;
        }
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres"); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
