package io.diffusionbatch.intake;

import io.diffusionbatch.dataset.DatasetSpec;
import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.dataset.InvalidSpecException;
import io.diffusionbatch.dataset.NightExpansion;
import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.ledger.NewRequest;
import io.diffusionbatch.ledger.RejectionStore;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.request.GenerationRequest;
import io.diffusionbatch.request.InvalidRequestException;
import io.diffusionbatch.request.ModelCatalog;
import io.diffusionbatch.request.OutputLocation;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.request.RequestParser;
import io.diffusionbatch.request.Violation;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates one raw input and stores it: a valid request becomes a run (or reports the run its
 * request id already has), an invalid one is recorded with its reasons and raw bytes. Database
 * failures propagate (the caller must not acknowledge the input then). Thread-safe.
 */
@Service
public class RequestIntake {

    private static final JsonMapper JSON = Json.MAPPER;

    private final RequestStore requests;
    private final RejectionStore rejections;
    private final ModelCatalog catalog;
    private final RequestLimits limits;
    private final Path outputRoot;
    private final DatasetSpecParser specs;

    public RequestIntake(RequestStore requests, RejectionStore rejections, ModelCatalog catalog, RequestLimits limits,
                         OutputRoot outputRoot, DatasetSpecParser specs) {
        this.requests = requests;
        this.rejections = rejections;
        this.catalog = catalog;
        this.limits = limits;
        this.outputRoot = outputRoot.path();
        this.specs = specs;
    }

    /**
     * A dataset night must be its spec's night: the embedded spec meets the spec's rules, and the request is,
     * field for field, what {@link NightExpansion} makes of it for that night (id, prompts, seeds, params, output
     * location, labels). So the export step never meets a spec it cannot read, and a hand-made request cannot
     * pass other prompts or another folder off as a dataset's night (retention deletes a night's folders).
     */
    private void checkDataset(GenerationRequest r) throws InvalidRequestException {
        DatasetSpec spec;
        try {
            spec = specs.parse(JSON.readTree(r.dataset().specJson()));
        } catch (JacksonException e) {
            throw new InvalidRequestException(List.of(new Violation("dataset.spec", Violation.Rules.JSON,
                    "is not the spec's JSON: " + e.getOriginalMessage())), r.requestId());
        } catch (InvalidSpecException e) {
            throw new InvalidRequestException(e.violations().stream().map(v -> new Violation(
                    "dataset.spec" + (v.field().equals("$") ? "" : "." + v.field()), v.rule(), v.message())).toList(),
                    r.requestId());
        }
        if (!spec.name().equals(r.dataset().name())) {
            throw new InvalidRequestException(List.of(new Violation("dataset.name", Violation.Rules.PATTERN,
                    "must be the spec's name '" + spec.name() + "', was '" + r.dataset().name() + "'")), r.requestId());
        }
        JsonNode made = JSON.readTree(RequestParser.parse(NightExpansion.requestJson(spec, r.dataset().night())
                .getBytes(StandardCharsets.UTF_8), limits, catalog).toJson());
        JsonNode given = JSON.readTree(r.toJson());
        java.util.Set<String> fields = new java.util.LinkedHashSet<>(made.propertyNames());
        fields.addAll(given.propertyNames());
        for (String field : fields) {
            if (!made.get(field).equals(given.get(field))) {
                throw new InvalidRequestException(List.of(new Violation(field, Violation.Rules.DATASET_MISMATCH,
                        "is not what the dataset spec '" + spec.name() + "' makes for night " + r.dataset().night()
                                + " (send nights with 'dataset run', which makes them)")), r.requestId());
            }
        }
    }

    /**
     * @param payload the raw bytes as received, never null
     * @param source  where they came from, e.g. {@code kafka:requests/0@42}
     */
    public IntakeResult accept(byte[] payload, String source) {
        GenerationRequest r;
        try {
            r = RequestParser.parse(payload, limits, catalog);
            if (r.dataset() != null) {
                checkDataset(r);
            }
            Files.createDirectories(outputRoot);
            OutputLocation.resolve(outputRoot, r.output().location());
        } catch (InvalidRequestException e) {
            return reject(payload, source, e.requestId(), e.violations());
        } catch (IOException e) {
            return reject(payload, source, null, List.of(new Violation("output.location", "io",
                    "output.location: cannot be checked under the output root: " + e.getMessage())));
        }
        // the ledger keeps the folder relative to the output root (the location: checked above, it has no '.', '..'
        // or empty segment), so that every instance finds it under its own mount of the shared root
        RequestStore.Inserted in = requests.insert(new NewRequest(r.requestId(), r.kind(), r.model(), r.toJson(),
                r.itemCount(), r.priority(), r.output().location(), source, JSON.writeValueAsString(r.labels())));
        if (in.created()) {
            return new IntakeResult(IntakeResult.Outcome.ACCEPTED, in.row(), List.of(), 0);
        }
        Violation dup = new Violation("requestId", Violation.Rules.DUPLICATE_REQUEST_ID, "'" + r.requestId()
                + "' was already accepted as run " + in.row().id() + "; a request id is accepted once");
        long id = rejections.record(source, r.requestId(), reasonsJson(List.of(dup)), payload);
        return new IntakeResult(IntakeResult.Outcome.DUPLICATE, in.row(), List.of(dup), id);
    }

    /**
     * Records the refusal of a record whose value is null (a Kafka tombstone): rule {@code null-value}, field
     * {@code $}, and an empty stored payload, which the reason marks as "no value" rather than an empty one.
     *
     * @param source where it came from, e.g. {@code kafka:requests/0@42}; never null
     */
    public IntakeResult refuseNullValue(String source) {
        return reject(new byte[0], source, null, List.of(new Violation("$", Violation.Rules.NULL_VALUE,
                "the record's value is null (a tombstone), not a request; nothing was stored as its payload (an empty"
                        + " value would be refused as empty JSON instead)")));
    }

    /**
     * Records the refusal of an input whose intake failed in a way that would fail again (not a
     * rule of the contract: a defect or a database constraint the parser does not know).
     */
    public IntakeResult refuseUnexpected(byte[] payload, String source, Exception cause) {
        return reject(payload, source, null, List.of(new Violation("$", "internal-error",
                "the request could not be stored (" + cause.getClass().getSimpleName() + ": " + cause.getMessage()
                        + "); it was refused, not lost: the raw bytes are kept")));
    }

    private IntakeResult reject(byte[] payload, String source, String requestId, List<Violation> violations) {
        long id = rejections.record(source, requestId, reasonsJson(violations), payload);
        return new IntakeResult(IntakeResult.Outcome.REJECTED, null, violations, id);
    }

    static String reasonsJson(List<Violation> violations) {
        List<Map<String, String>> list = new ArrayList<>();
        for (Violation v : violations) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("field", v.field());
            m.put("rule", v.rule());
            m.put("message", v.message());
            list.add(m);
        }
        return JSON.writeValueAsString(list);
    }
}
