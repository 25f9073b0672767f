package io.diffusionbatch.faults;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.local.LocalKafka;
import io.diffusionbatch.local.LocalPostgres;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar started from another working directory, as a deployment does, with external
 * services named only by the environment ({@code SPRING_PROFILES_ACTIVE=external},
 * {@code SPRING_DATASOURCE_URL}, {@code DIFFUSION_KAFKA_BOOTSTRAP_SERVERS}): it reads the
 * distribution's own {@code config/} (the catalog's {@code shapes-lcm} and its relative model
 * folder), uses the given PostgreSQL and Kafka (its banner says external; no embedded PostgreSQL
 * appears in its data directory) and completes a request. It used to start embedded services and
 * an empty ledger instead.
 */
class AnyWorkingDirectoryIT {

    @Test
    void theJarFromAnotherDirectoryUsesItsCatalogAndTheGivenServices() throws Exception {
        Path tmp = Files.createTempDirectory("diffusion-elsewhere-");
        Path elsewhere = Files.createDirectories(tmp.resolve("cwd"));
        Path log = tmp.resolve("server.log");
        ServerProcess server = null;
        try (LocalPostgres pg = LocalPostgres.start(tmp.resolve("pg"), 0);
             LocalKafka kafka = LocalKafka.start(tmp.resolve("kafka"), 0)) {
            DiffusionProperties.Kafka settings = new DiffusionProperties.Kafka(kafka.bootstrapServers(), "requests",
                    "events", "requests.dlt", "diffusion-intake", null);
            TopicAdmin.ensureTopics(settings);
            // ServerProcess runs the jar of the repository root by its absolute path
            server = ServerProcess.serve("elsewhere", List.of(), List.of("--data-dir", tmp.resolve("data").toString(),
                    "--diffusion.web.port=-1", "--diffusion.energy.source=estimate"), Map.of(
                    "SPRING_PROFILES_ACTIVE", "external",
                    "SPRING_DATASOURCE_URL", pg.jdbcUrl(),
                    "SPRING_DATASOURCE_USERNAME", "postgres",
                    "SPRING_DATASOURCE_PASSWORD", "postgres",
                    "DIFFUSION_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                    "DIFFUSION_OUTPUT_ROOT", tmp.resolve("outputs").toString()), elsewhere, log);

            String id = "elsewhere-1";
            try (KafkaProducer<String, byte[]> p = KafkaClients.producer(settings, "test")) {
                p.send(new ProducerRecord<>("requests", id, ("{\"requestId\": \"" + id + "\", \"kind\": \"image\", "
                        + "\"model\": \"shapes-lcm\", \"prompts\": [\"a red circle\"], \"seeds\": {\"count\": 2}, "
                        + "\"output\": {\"location\": \"elsewhere\", \"format\": \"png\"}}")
                        .getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            String status = null;
            while (!"completed".equals(status)) {
                assertThat(server.isAlive()).as("server alive; log:\n" + server.tail(200)).isTrue();
                assertThat(System.nanoTime()).as("run completes; log:\n" + Files.readString(log)).isLessThan(deadline);
                Thread.sleep(300);
                status = statusOf(pg.jdbcUrl(), id);
            }
            String banner = Files.readAllLines(log).stream().filter(l -> l.startsWith("started in")).findFirst()
                    .orElseThrow();
            assertThat(banner).contains("Kafka " + kafka.bootstrapServers() + " (external)")
                    .contains("Postgres " + pg.jdbcUrl() + " (external)");
            assertThat(tmp.resolve("data").resolve("postgres")).as("no embedded PostgreSQL").doesNotExist();
            assertThat(elsewhere.resolve("data")).as("nothing written under the working directory").doesNotExist();
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private static String statusOf(String url, String clientId) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT status FROM requests WHERE client_request_id = '" + clientId + "'")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (Exception e) {
            return null; // not migrated yet
        }
    }
}
