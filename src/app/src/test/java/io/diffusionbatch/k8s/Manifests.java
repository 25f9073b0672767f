package io.diffusionbatch.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.deser.BeanDeserializerBuilder;
import tools.jackson.databind.deser.ValueDeserializerModifier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Builds the Kustomize trees under {@code k8s/} with {@code kubectl kustomize} and decodes what they
 * give strictly against the Kubernetes API's types (fabric8's kubernetes-model): an unknown field
 * anywhere, a misspelled kind of a built-in API group, a value of the wrong type is refused.
 * Custom resources (KEDA, Strimzi, CloudNativePG) are decoded as {@link GenericKubernetesResource}
 * (their metadata strictly) and checked by the test against the fields this project relies on.
 */
final class Manifests {

    /** API groups of the custom resources used here (not part of the Kubernetes API). */
    static final Set<String> CUSTOM_GROUPS = Set.of("keda.sh", "kafka.strimzi.io", "postgresql.cnpg.io");

    /**
     * The mapper used for decoding: unknown properties fail. fabric8's model classes collect unknown
     * fields in an {@code additionalProperties} map through {@code @JsonAnySetter}, which would
     * accept any misspelling silently; the modifier removes that any-setter from every bean, so
     * FAIL_ON_UNKNOWN_PROPERTIES applies to them too ({@link GenericKubernetesResource} keeps its
     * own: a custom resource's spec is free-form until the test checks it).
     */
    static final ObjectMapper STRICT = strictMapper();

    private static final YAMLMapper YAML = new YAMLMapper();

    private Manifests() {
    }

    private static ObjectMapper strictMapper() {
        SimpleModule strict = new SimpleModule("strict-kubernetes-model");
        // fabric8 8 (on Jackson 3) picks a kind's class by apiVersion + kind with this deserializer
        strict.addDeserializer(KubernetesResource.class, new KubernetesDeserializer());
        strict.setDeserializerModifier(new ValueDeserializerModifier() {
            @Override
            public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription.Supplier bean,
                                                         BeanDeserializerBuilder builder) {
                if (bean.getBeanClass() != GenericKubernetesResource.class
                        && bean.getBeanClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
                    builder.setAnySetter(null);
                }
                return builder;
            }
        });
        return JsonMapper.builder()
                .addModule(strict)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .build();
    }

    /**
     * {@code kubectl kustomize DIR}: the built YAML.
     *
     * @throws AssertionError with kubectl's stderr when the build fails, or when kubectl is missing
     */
    static String kustomize(Path dir) {
        List<String> command = List.of("kubectl", "kustomize", dir.toString());
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run kubectl (" + e.getMessage() + "): .ci/run installs it; "
                    + "kubectl 1.27 or newer (kustomize v5) is needed to build k8s/", e);
        }
        try {
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within 120 s");
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n"
                        + err.join() + "\n(k8s/ needs kustomize v5: kubectl 1.27 or newer)");
            }
            return out.join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The documents of a YAML stream, as trees (empty documents skipped). */
    static List<ObjectNode> documents(String yaml) {
        List<ObjectNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n == null || n.isNull() || n.isMissingNode()) {
                    continue;
                }
                if (!(n instanceof ObjectNode o)) {
                    throw new AssertionError("a document is not an object: " + n);
                }
                docs.add(o);
            }
        } catch (JacksonException e) {
            throw new AssertionError("not YAML: " + e.getMessage(), e);
        }
        return docs;
    }

    /**
     * Decodes one object strictly: a kind of the Kubernetes API into its fabric8 class, a custom
     * resource of {@link #CUSTOM_GROUPS} into a {@link GenericKubernetesResource}.
     *
     * @throws AssertionError naming the object and the field when it does not decode
     */
    static HasMetadata decode(ObjectNode doc) {
        String apiVersion = doc.path("apiVersion").asText("");
        String kind = doc.path("kind").asText("");
        String what = kind + " " + doc.path("metadata").path("name").asText("?") + " (" + apiVersion + ")";
        if (apiVersion.isEmpty() || kind.isEmpty()) {
            throw new AssertionError(what + ": apiVersion and kind are required");
        }
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        try {
            if (apiVersion.equals("batch/v1") && kind.equals("CronJob")) {
                return cronJob(doc, what);
            }
            if (CUSTOM_GROUPS.contains(group)) {
                GenericKubernetesResource r = STRICT.treeToValue(doc, GenericKubernetesResource.class);
                // the metadata of a custom resource is the API's ObjectMeta: strictly too
                STRICT.treeToValue(doc.path("metadata"), ObjectMeta.class);
                return r;
            }
            KubernetesResource r = STRICT.treeToValue(doc, KubernetesResource.class);
            if (r instanceof GenericKubernetesResource || !(r instanceof HasMetadata)) {
                throw new AssertionError(what + ": not a kind of the Kubernetes API (nor of " + CUSTOM_GROUPS + ")");
            }
            return (HasMetadata) r;
        } catch (JacksonException e) {
            throw new AssertionError(what + " does not decode strictly: " + e.getOriginalMessage() + " at "
                    + e.getPathReference(), e);
        }
    }

    /** The fields of batch/v1 CronJobSpec and JobSpec (the API reference of Kubernetes 1.32). */
    static final Set<String> CRON_JOB_SPEC = Set.of("concurrencyPolicy", "failedJobsHistoryLimit", "jobTemplate",
            "schedule", "startingDeadlineSeconds", "successfulJobsHistoryLimit", "suspend", "timeZone");
    static final Set<String> JOB_SPEC = Set.of("activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex",
            "completionMode", "completions", "managedBy", "manualSelector", "maxFailedIndexes", "parallelism",
            "podFailurePolicy", "podReplacementPolicy", "selector", "successPolicy", "suspend", "template",
            "ttlSecondsAfterFinished");

    /**
     * A CronJob, as a {@link GenericKubernetesResource}: fabric8's batch model is not among the test's dependencies,
     * so its own fields and its Job's are checked against {@link #CRON_JOB_SPEC} and {@link #JOB_SPEC} (numbers
     * where the API has integers), and its metadata and pod template are decoded strictly with the core model.
     */
    private static HasMetadata cronJob(ObjectNode doc, String what) {
        JsonNode spec = doc.path("spec");
        JsonNode job = spec.path("jobTemplate").path("spec");
        unknown(what + " spec", spec, CRON_JOB_SPEC);
        unknown(what + " spec.jobTemplate", spec.path("jobTemplate"), Set.of("metadata", "spec"));
        unknown(what + " spec.jobTemplate.spec", job, JOB_SPEC);
        for (String f : List.of("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")) {
            if (spec.has(f) && !spec.get(f).isInt()) {
                throw new AssertionError(what + ": spec." + f + " must be an integer");
            }
        }
        if (job.has("backoffLimit") && !job.get("backoffLimit").isInt()) {
            throw new AssertionError(what + ": spec.jobTemplate.spec.backoffLimit must be an integer");
        }
        STRICT.treeToValue(doc.path("metadata"), ObjectMeta.class);
        STRICT.treeToValue(job.path("template"), PodTemplateSpec.class);
        return STRICT.treeToValue(doc, GenericKubernetesResource.class);
    }

    private static void unknown(String where, JsonNode node, Set<String> known) {
        for (String f : node.propertyNames()) {
            if (!known.contains(f)) {
                throw new AssertionError(where + ": unknown field '" + f + "'");
            }
        }
    }

    /** The pod template's spec of a CronJob decoded by {@link #decode} (a copy: changes to it are not kept). */
    static PodSpec cronJobPod(HasMetadata cronJob) {
        return STRICT.treeToValue(tree(cronJob).path("spec").path("jobTemplate").path("spec").path("template")
                .path("spec"), PodSpec.class);
    }

    /** Decodes every document of a built YAML stream. */
    static List<HasMetadata> decodeAll(String yaml) {
        return documents(yaml).stream().map(Manifests::decode).toList();
    }

    /** A deep copy of a decoded object (to mutate in negative cases). */
    @SuppressWarnings("unchecked")
    static <T> T copy(T object) {
        return (T) STRICT.treeToValue((JsonNode) STRICT.valueToTree(object), object.getClass());
    }

    /** A custom resource's content as a tree ({@code spec}, {@code metadata}, ...). */
    static JsonNode tree(HasMetadata r) {
        return STRICT.valueToTree(r);
    }
}
