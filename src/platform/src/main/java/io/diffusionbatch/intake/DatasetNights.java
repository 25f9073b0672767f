package io.diffusionbatch.intake;

import io.diffusionbatch.dataset.DatasetSpec;
import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.dataset.InvalidSpecException;
import io.diffusionbatch.dataset.NightExpansion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Reads dataset specs and sends a night's request to the requests topic: what {@code dataset run} and the schedule
 * share. The request travels like any other (intake validates it, the ledger accepts its id once). Stateless.
 */
public final class DatasetNights {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private DatasetNights() {
    }

    /**
     * The spec file an argument names: a path to a file, else a spec name in {@code dir} ({@code NAME.yaml}, then
     * {@code NAME.yml}).
     *
     * @throws IOException naming what was looked for when there is no such file
     */
    public static Path locate(String spec, Path dir) throws IOException {
        Path file = Path.of(spec);
        if (Files.isRegularFile(file)) {
            return file;
        }
        if (NAME.matcher(spec).matches()) {
            for (String ext : new String[]{".yaml", ".yml"}) {
                Path named = dir.resolve(spec + ext);
                if (Files.isRegularFile(named)) {
                    return named;
                }
            }
        }
        throw new IOException("no spec file " + spec + (NAME.matcher(spec).matches() ? " and no " + dir.resolve(spec
                + ".yaml") : ""));
    }

    /** Reads and checks a spec file; the spec's name must be the file's name (NAME.yaml). */
    public static DatasetSpec read(Path file, DatasetSpecParser parser) throws IOException, InvalidSpecException {
        DatasetSpec spec = parser.parse(Files.readAllBytes(file));
        String base = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        if (!base.equals(spec.name())) {
            throw new InvalidSpecException(java.util.List.of(new io.diffusionbatch.request.Violation("name",
                    io.diffusionbatch.request.Violation.Rules.PATTERN, "must be the file's name '" + base
                    + "' (a spec NAME lives in NAME.yaml), was '" + spec.name() + "'")));
        }
        return spec;
    }

    /** Sends the night's request, keyed by its request id, and waits for the broker's acknowledgement. */
    public static RecordMetadata send(KafkaProducer<String, byte[]> producer, String topic, DatasetSpec spec,
                                      LocalDate night) throws IOException {
        byte[] payload = NightExpansion.requestJson(spec, night).getBytes(StandardCharsets.UTF_8);
        try {
            return producer.send(new ProducerRecord<>(topic, spec.requestId(night), payload)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending " + spec.requestId(night), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("Kafka: cannot send " + spec.requestId(night) + ": "
                    + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
        }
    }
}
