package io.diffusionbatch.cli;

import io.diffusionbatch.intake.KafkaProbe;
import io.diffusionbatch.intake.KafkaStatus;
import io.diffusionbatch.intake.TopicAdmin;
import io.diffusionbatch.ledger.DatabaseProbe;
import io.diffusionbatch.ledger.EventOutbox;
import io.diffusionbatch.ledger.LedgerCheck;
import io.diffusionbatch.ledger.ServerRow;
import io.diffusionbatch.platform.DependencyFailure;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.startup.OutputRootCheck;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code doctor}: checks what a server needs, one line per check ({@code ok} or {@code FAIL}, the
 * check, the detail): PostgreSQL, the schema's version, Kafka, the three topics, the intake's lag,
 * the output root and the live servers. It reads the configuration as every command does, but starts
 * nothing: no embedded services (in local mode it checks a running server's), no pool, no migration,
 * no consumer; every question has a timeout of a few seconds. One instance per command line; not
 * thread-safe.
 */
@Command(name = "doctor", sortOptions = false,
        description = {"Check PostgreSQL, the schema, Kafka, the topics, the intake's lag, the output root and the "
                + "live servers; one line per check.",
                "Starts nothing: in local mode it checks the services of a running server (serve), otherwise the "
                        + "configured ones (--spring.profiles.active=external, SPRING_DATASOURCE_URL, ...)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check is ok", "1:a check failed (its line says FAIL and why)"})
final class DoctorCommand extends PlatformCommand {

    /** Events older than this in the outbox mean the broker or the relay has been stuck. */
    static final Duration OUTBOX_STUCK = Duration.ofMinutes(1);

    private final PrintStream out;
    private boolean failed;

    DoctorCommand(PrintStream out) {
        this.out = out;
    }

    /** The configuration alone: properties bound, no platform beans. */
    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(DiffusionProperties.class)
    static class Settings {
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.application("doctor", Settings.class)
                .run(spring)) {
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            Environment env = ctx.getEnvironment();
            checkLedger(env, props.job().lease());
            checkKafka(props.kafka());
            check("output root", () -> props.outputRoot().toAbsolutePath().normalize() + ": "
                    + OutputRootCheck.check(props.outputRoot()));
        }
        return failed ? ErrorReporter.FAILURE : ErrorReporter.OK;
    }

    private void checkLedger(Environment env, Duration lease) {
        String url = env.getProperty("spring.datasource.url");
        String user = env.getProperty("spring.datasource.username");
        String password = env.getProperty("spring.datasource.password");
        boolean up = check("PostgreSQL", () -> {
            if (url == null) {
                throw new IllegalStateException("spring.datasource.url is not set");
            }
            return DatabaseProbe.address(url) + ": " + DatabaseProbe.check(url, user, password);
        });
        if (!up) {
            skip("schema", "PostgreSQL");
            skip("servers", "PostgreSQL");
            skip("events outbox", "PostgreSQL");
            return;
        }
        LedgerCheck ledger = new LedgerCheck(url, user, password);
        check("schema", () -> {
            LedgerCheck.Schema s = ledger.schema(env.getProperty("spring.flyway.locations", "classpath:db/migration")
                    .split(","));
            String detail = "applied V" + s.applied() + ", this version's latest V" + s.latest();
            if (!s.current()) {
                throw new IllegalStateException(detail + (s.applied() == null ? ": no schema (a server's first "
                        + "start makes it)" : ": the schema is not this version's (a server of this version "
                        + "migrates it at start)"));
            }
            return detail;
        });
        check("servers", () -> {
            List<ServerRow> live = ledger.liveServers(lease);
            if (live.stream().noneMatch(ServerRow::readsRequests)) {
                throw new IllegalStateException((live.isEmpty() ? "none alive" : "only workers alive")
                        + " (no server or manager heartbeat in the last " + lease.toSeconds()
                        + " s): requests would wait unread");
            }
            Instant now = Instant.now();
            return live.size() + " alive: " + live.stream().map(s -> s.role() + " " + s.id() + " " + s.version()
                    + " (heartbeat " + Math.max(0, Duration.between(s.heartbeatAt(), now).toSeconds()) + " s ago)")
                    .collect(Collectors.joining(", "));
        });
        check("events outbox", () -> {
            EventOutbox.Backlog b = ledger.outbox();
            String relay = ledger.relay().map(r -> "relayed by " + r).orElse("no relay (no live server)");
            String detail = b.records() + (b.records() == 1 ? " event" : " events") + " waiting for the broker"
                    + (b.records() > 0 ? ", the oldest for " + b.oldest().toSeconds() + " s" : "") + "; " + relay;
            if (b.oldest().compareTo(OUTBOX_STUCK) > 0) {
                throw new IllegalStateException(detail + " (the broker or the relay is stuck)");
            }
            if (b.refused() > 0) {
                throw new IllegalStateException(detail + "; " + b.refused() + " refused by Kafka for what they are"
                        + " (too large, say): see event_outbox.refused");
            }
            return detail;
        });
    }

    private void checkKafka(DiffusionProperties.Kafka kafka) {
        boolean up = check("Kafka", () -> kafka.bootstrapServers() + ": " + KafkaProbe.check(kafka));
        List<String> topics = TopicAdmin.topicNames(kafka);
        if (!up) {
            topics.forEach(t -> skip("topic " + t, "Kafka"));
            skip("intake lag", "Kafka");
            return;
        }
        try (KafkaStatus status = new KafkaStatus(kafka)) {
            topics.forEach(t -> check("topic " + t, () -> status.topic(t)));
            check("intake lag", () -> {
                long lag = status.intakeLag();
                return "group " + kafka.groupId() + ": " + lag + (lag == 1 ? " request" : " requests") + " not read yet on "
                        + kafka.requestsTopic();
            });
        }
    }

    /** Runs one check and prints its line; returns whether it passed. */
    private boolean check(String name, Supplier<String> detail) {
        try {
            line("ok", name, detail.get());
            return true;
        } catch (RuntimeException e) {
            line("FAIL", name, e instanceof DependencyFailure || e.getCause() == null ? e.getMessage()
                    : DependencyFailure.rootMessage(e));
            failed = true;
            return false;
        }
    }

    private void skip(String name, String because) {
        line("FAIL", name, "not checked: " + because + " does not answer");
        failed = true;
    }

    private void line(String result, String name, String detail) {
        out.printf("%-4s  %-22s %s%n", result, name, detail);
    }
}
