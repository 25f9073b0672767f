package io.diffusionbatch.cli;

import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatsStore;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.web.Dashboard;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code serve}: starts local Postgres and Kafka (or connects to external ones), intake,
 * dispatcher and workers, and runs until stopped (Ctrl-C stops the running job cleanly; the next
 * start resumes it). {@code demo}: the same, plus one sample request sent through Kafka and
 * followed to the end, then a summary and where the images are. Not thread-safe.
 */
final class ServeCommand {

    static final Path DEMO_REQUEST = Path.of("config/requests/demo.json");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PrintStream out;
    private final PrintStream err;

    ServeCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int serve(String[] args) {
        SpringArgs split = SpringArgs.split(args);
        Options.parse(split.own(), Set.of(), Set.of());
        long t0 = System.nanoTime();
        ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("server", split.spring());
        CountDownLatch closed = new CountDownLatch(1);
        ctx.addApplicationListener(e -> {
            if (e instanceof ContextClosedEvent) {
                closed.countDown();
            }
        });
        banner(ctx, t0);
        err.println("serving; Ctrl-C stops (a running job stops after its micro-batch and resumes on the next start)");
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    int demo(String[] args) {
        SpringArgs split = SpringArgs.split(args);
        Options o = Options.parse(split.own(), Set.of("request"), Set.of());
        Path file = Path.of(o.string("request", DEMO_REQUEST.toString()));
        ObjectNode request;
        try {
            request = (ObjectNode) JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw new UsageException("--request: cannot read " + file + " as a JSON object: " + e.getMessage());
        }
        String requestId = request.path("requestId").asString("demo") + "-" + Instant.now().toEpochMilli();
        request.put("requestId", requestId);
        ((ObjectNode) request.path("output")).put("location", "demo/" + requestId);
        long t0 = System.nanoTime();
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("server", split.spring())) {
            banner(ctx, t0);
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            EventFollower.Outcome r;
            try (EventFollower follower = new EventFollower(props.kafka());
                 KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka())) {
                producer.send(new ProducerRecord<>(props.kafka().requestsTopic(), requestId,
                        JSON.writeValueAsBytes(request))).get();
                err.println("sent " + file + " to Kafka topic " + props.kafka().requestsTopic() + " as request " + requestId);
                r = follower.follow(requestId, false, Duration.ofHours(1), err);
            } catch (Exception e) {
                throw new IllegalStateException("demo: " + e.getMessage(), e);
            }
            if (r.type().equals("rejected")) {
                err.println("the demo request was rejected: " + r.event().path("reasons"));
                return 1;
            }
            RequestRow row = ctx.getBean(RequestStore.class).findByClientId(requestId).orElseThrow();
            out.println("run " + row.id() + " " + row.status() + ": " + row.itemCount() + " items in " + row.outputDir());
            ctx.getBean(RunStatsStore.class).find(row.id()).ifPresent(s -> RunReport.summary(s, out));
            out.println("see it again with: java -jar target/diffusion-batch.jar show " + row.id());
            return row.status().equals("completed") ? 0 : 1;
        }
    }

    private void banner(ConfigurableApplicationContext ctx, long t0) {
        DiffusionProperties p = ctx.getBean(DiffusionProperties.class);
        err.printf("started in %.1f s: Kafka %s, Postgres %s, outputs under %s%n", (System.nanoTime() - t0) / 1e9,
                p.kafka().bootstrapServers(), ctx.getEnvironment().getProperty("spring.datasource.url"),
                p.outputRoot().toAbsolutePath().normalize());
        ctx.getBeanProvider(Dashboard.class).ifAvailable(d -> d.url().ifPresent(u -> err.println("dashboard " + u)));
    }
}
