package io.diffusionbatch.cli;

import io.diffusionbatch.dataset.DatasetSpec;
import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.dataset.InvalidSpecException;
import io.diffusionbatch.intake.DatasetNights;
import io.diffusionbatch.intake.KafkaClients;
import io.diffusionbatch.job.EventType;
import io.diffusionbatch.ledger.DatasetStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.platform.DiffusionBatchApplication;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.request.Violation;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * {@code dataset run SPEC [--date D] [--wait]}: expands a dataset spec for one night and sends the night's request
 * through Kafka to the running server, like {@code submit}. The request id is derived from (spec, its content hash,
 * night): a night already in the ledger is not sent again (with {@code --wait} it is followed instead), and one
 * that was interrupted resumes on the server. Without {@code --date}, tonight is not sent when any version of the
 * spec already ran it (the schedule of a server and a CronJob may both fire). With {@code --wait} it follows the run and its export to the end and
 * prints the night. One instance per command line; not thread-safe.
 */
@Command(name = "run", sortOptions = false,
        description = {"Send one night of a dataset spec to the running server; with --wait, follow it and its export.",
                "SPEC is a spec file or a spec name in diffusion.datasets.dir (config/datasets/NAME.yaml). The night's "
                + "request id is dataset:NAME:DATE:HASH, so a night already sent is never sent twice."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:sent or already in the ledger (with --wait: exported, gate passed)",
                "1:no answer within --timeout; with --wait: the run failed or was cancelled, or the night failed "
                + "its quality gate",
                "2:the spec breaks a rule (each on stderr: field, message, rule), the server refused the night, "
                + "or bad usage",
                "10, 11:PostgreSQL, Kafka unreachable or refused the login (nothing was sent)",
                "13:no live server uses the ledger: nothing was sent (see --no-server-check)"})
final class DatasetRunCommand extends PlatformCommand {

    @Parameters(paramLabel = "SPEC", description = "A spec file, or the name of one in diffusion.datasets.dir.")
    private String specArg;

    @Option(names = "--date", paramLabel = "YYYY-MM-DD",
            description = "The night (default: today in the spec's schedule zone, else UTC).")
    private String date;

    @Mixin
    private SendOptions send;

    private final PrintStream out;
    private final PrintStream err;

    DatasetRunCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        String[] spring = springArgs();
        try (ConfigurableApplicationContext ctx = DiffusionBatchApplication.start("client", spring)) {
            requireRunningServer(ctx);
            DiffusionProperties props = ctx.getBean(DiffusionProperties.class);
            DatasetSpec spec;
            Path file;
            try {
                file = DatasetNights.locate(specArg,
                        props.datasets().resolvedDir(ctx.getEnvironment().getProperty("diffusion.home")));
                spec = DatasetNights.read(file, ctx.getBean(DatasetSpecParser.class));
            } catch (IOException e) {
                throw usage("SPEC: " + e.getMessage());
            } catch (InvalidSpecException e) {
                err.println(specArg + ": the spec breaks " + e.violations().size() + " rule(s); nothing was sent:");
                for (Violation v : e.violations()) {
                    err.println("  " + v);
                }
                return 2;
            }
            LocalDate night = night(spec);
            String requestId = spec.requestId(night);
            Optional<RequestRow> known = ctx.getBean(RequestStore.class).findByClientId(requestId);
            if (known.isEmpty() && date == null && ctx.getBean(DatasetStore.class).nightRequested(spec.name(), night)) {
                // tonight already ran from another version of the spec (a schedule and a CronJob both firing)
                err.println("night " + night + " of " + spec.name() + " is already in the ledger from another version "
                        + "of the spec; not sent again (name the night with --date to send this version too)");
                return 0;
            }
            try (EventFollower follower = EventFollower.open(ctx)) {
                if (known.isPresent()) {
                    err.println("night " + night + " of " + spec.name() + " is already run " + known.get().id() + " ("
                            + known.get().status() + "); not sent again");
                    if (!send.wait) {
                        out.println("run " + known.get().id());
                        return 0;
                    }
                } else {
                    send.checkReader(ctx, props);
                    try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(props.kafka(), "cli-dataset")) {
                        RecordMetadata md = DatasetNights.send(producer, props.kafka().requestsTopic(), spec, night);
                        err.println("sent " + spec.name() + " night " + night + " (" + spec.itemCount() + " items) to "
                                + md.topic() + "/" + md.partition() + "@" + md.offset() + " as " + requestId);
                    } catch (IOException e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                }
                EventFollower.Outcome r = follower.follow(requestId, !send.wait, send.timeout(), err);
                return report(r, ctx);
            }
        }
    }

    private LocalDate night(DatasetSpec spec) {
        if (date != null) {
            try {
                return LocalDate.parse(date);
            } catch (DateTimeParseException e) {
                throw usage("--date: must be YYYY-MM-DD, was '" + date + "'");
            }
        }
        return LocalDate.now(spec.schedule() == null ? ZoneId.of("UTC") : ZoneId.of(spec.schedule().zone()));
    }

    private int report(EventFollower.Outcome r, ConfigurableApplicationContext ctx) {
        if (r.timedOut()) {
            err.println("no outcome within the timeout; see 'dataset list'");
            return 1;
        }
        long run = r.event().path("runId").asLong();
        switch (r.type()) {
            case REJECTED -> {
                err.println("the server refused the night (rejected-inputs row " + r.event().path("rejectionId").asLong()
                        + "):");
                r.event().path("reasons").forEach(m -> err.println("  " + m.asString()));
                return 2;
            }
            case ACCEPTED, DUPLICATE -> {
                out.println("run " + run);
                return 0;
            }
            default -> {
                out.println("run " + run + " " + r.type());
                Optional<DatasetStore.Night> night = ctx.getBean(DatasetStore.class).find(run);
                if (night.isEmpty()) {
                    err.println("no export was recorded for run " + run);
                    return 1;
                }
                DatasetStore.Night n = night.get();
                out.println("dataset " + n.dataset() + " night " + n.night() + ": " + n.status() + ", "
                        + n.itemsExported() + " of " + n.itemsTotal() + " items exported " + n.splitsJson() + ", "
                        + n.itemsRejected() + " rejected by the gate, " + n.itemsMissing() + " missing");
                out.println("export " + n.exportDir() + " (" + n.files() + " files, " + n.bytes() + " bytes)");
                if (n.message() != null) {
                    err.println(n.message());
                }
                return r.type() == EventType.COMPLETED && n.gatePassed() ? 0 : 1;
            }
        }
    }
}
