package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * {@code submit FILE [--wait]}: sends a request document to the requests topic of a running
 * server and reports whether it was accepted (with its run id) or refused (with the reasons);
 * with {@code --wait} it follows the run's events with a progress bar until it ends. The bytes are
 * sent exactly as they are in the file: validation is the server's. Before sending it checks that
 * Kafka answers and that a live server uses the ledger (a heartbeat row, unless
 * {@code --no-server-check}): a request nobody reads is not sent silently. One instance per command
 * line; not thread-safe.
 */
@Command(name = "submit", sortOptions = false,
        description = {"Send a request document to a running server; with --wait, follow its run.",
                "Sends the file through Kafka to the running server (serve), exactly as the file "
                + "holds it, and prints the run id once accepted, or the reasons it was refused. With --wait, follows "
                + "the run with a progress bar to its end and prints its figures."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:accepted (with --wait: the run completed)",
                "1:no answer within --timeout; with --wait: the run failed or was cancelled",
                "2:the server refused the request (reasons on stderr), or bad usage",
                "10, 11:PostgreSQL, Kafka unreachable or refused the login (nothing was sent)",
                "13:no live server uses the ledger: nothing was sent (see --no-server-check)"})
final class SubmitCommand extends PlatformCommand {

    private static final JsonMapper JSON = Json.MAPPER;

    @Parameters(paramLabel = "FILE", description = "The request, a JSON document (see docs/REQUESTS.md).")
    private Path file;

    @Mixin
    private SendOptions send;

    private final PrintStream out;
    private final PrintStream err;

    SubmitCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        byte[] payload;
        try {
            payload = Files.readAllBytes(file);
        } catch (IOException e) {
            throw usage("FILE: cannot read " + file + ": " + e.getMessage());
        }
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            requireRunningServer(ctx);
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            send.checkReader(ctx, props);
            String key = requestIdOf(payload);
            try (EventFollower follower = EventFollower.open(ctx);
                 KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka(), "cli-submit")) {
                RecordMetadata md = producer.send(new ProducerRecord<>(props.kafka().requestsTopic(), key, payload)).get();
                err.println("sent " + file + " (" + payload.length + " bytes) to " + md.topic() + "/" + md.partition()
                        + "@" + md.offset() + " as request " + key);
                EventFollower.Outcome r = follower.follow(key, !send.wait, send.timeout(), err);
                return report(r, ctx);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("Kafka: cannot send: " + e.getCause().getMessage(), e);
            }
        }
    }

    private int report(EventFollower.Outcome r, ConfigurableApplicationContext ctx) {
        JsonNode ev = r.event();
        if (r.timedOut()) {
            err.println("no outcome within the timeout; see 'runs'");
            return 1;
        }
        switch (r.type()) {
            case REJECTED -> {
                err.println("rejected (rejected-inputs row " + ev.path("rejectionId").asLong() + "):");
                ev.path("reasons").forEach(m -> err.println("  " + m.asString()));
                return 2;
            }
            case ACCEPTED, DUPLICATE -> {
                out.println("run " + ev.path("runId").asLong());
                return 0;
            }
            default -> {
                long run = ev.path("runId").asLong();
                out.println("run " + run + " " + r.type());
                ctx.getBean(RunStatsStore.class).find(run).ifPresent(s -> RunReport.summary(s, out));
                return r.type() == EventType.COMPLETED ? 0 : 1;
            }
        }
    }

    /** The document's requestId when it has a readable one, else a fresh key to follow it by. */
    static String requestIdOf(byte[] payload) {
        try {
            JsonNode n = JSON.readTree(payload);
            JsonNode id = n.path("requestId");
            if (id.isString() && !id.asString().isBlank()) {
                return id.asString();
            }
        } catch (RuntimeException e) {
            // not JSON: the server refuses it; follow it by a generated key
        }
        return "unreadable-" + UUID.randomUUID();
    }
}
