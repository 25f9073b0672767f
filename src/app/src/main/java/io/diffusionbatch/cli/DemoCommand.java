package io.diffusionbatch.cli;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code demo}: what {@code serve} starts, plus one sample request sent through Kafka under a
 * fresh request id and followed to the end, then a summary and where the images are. One
 * instance per command line; not thread-safe.
 */
@Command(name = "demo", sortOptions = false,
        description = {"Start everything, send the demo request through Kafka, follow it to the end.",
                "Starts everything serve starts, sends a request (by default config/requests/demo.json: 64 "
                + "prompts for the bundled model) through Kafka under a fresh request id, follows it to the end, "
                + "prints the summary and where the images are, and stops. Exit 0 only when the run completed."})
final class DemoCommand extends PlatformCommand {

    /** The request that demo and platform-bench send unless told otherwise. */
    static final String DEMO_REQUEST = "config/requests/demo.json";
    private static final JsonMapper JSON = Json.MAPPER;

    @Option(names = "--request", paramLabel = "FILE", defaultValue = DEMO_REQUEST,
            description = "Request document to send (default: ${DEFAULT-VALUE}).")
    private Path file;

    private final PrintStream out;
    private final PrintStream err;

    DemoCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        ObjectNode request;
        try {
            request = (ObjectNode) JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw usage("--request: cannot read " + file + " as a JSON object: " + e.getMessage());
        }
        String requestId = request.path("requestId").asString("demo") + "-" + Instant.now().toEpochMilli();
        request.put("requestId", requestId);
        ((ObjectNode) request.path("output")).put("location", "demo/" + requestId);
        long t0 = System.nanoTime();
        // the demo runs its own request only, not the dataset specs' schedules
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("server",
                withDefault(spring, "diffusion.datasets.schedule", "false"))) {
            ServeCommand.banner(ctx, t0, err);
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            EventFollower.Outcome r;
            try (EventFollower follower = EventFollower.open(ctx);
                 KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka(), "cli-demo")) {
                producer.send(new ProducerRecord<>(props.kafka().requestsTopic(), requestId,
                        JSON.writeValueAsBytes(request))).get();
                err.println("sent " + file + " to Kafka topic " + props.kafka().requestsTopic() + " as request " + requestId);
                r = follower.follow(requestId, false, Duration.ofHours(1), err);
            } catch (Exception e) {
                throw new IllegalStateException("demo: " + e.getMessage(), e);
            }
            if (r.type() == EventType.REJECTED) {
                err.println("the demo request was rejected: " + r.event().path("reasons"));
                return 1;
            }
            RequestRow row = ctx.getBean(RequestStore.class).findByClientId(requestId).orElseThrow();
            out.println("run " + row.id() + " " + row.status() + ": " + row.itemCount() + " items in "
                    + ctx.getBean(OutputRoot.class).shown(row.id(), row.outputDir()));
            ctx.getBean(RunStatsStore.class).find(row.id()).ifPresent(s -> RunReport.summary(s, out));
            out.println("see it again with: java -jar target/diffusion-batch.jar show " + row.id());
            return row.status() == RunStatus.COMPLETED ? 0 : 1;
        }
    }
}
