package io.diffusionbatch.k8s;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Validates k8s/ without a cluster: every overlay and k8s/infra is built with {@code kubectl kustomize}
 * and every object decoded strictly against the Kubernetes API's types (fabric8's model; unknown
 * fields fail); then the rules of {@link ManifestChecks} are checked on what the builds give, and
 * each rule is shown failing on a mutated copy. Starts nothing but kubectl (about a second a build).
 */
class KubernetesManifestTest {

    static final Path K8S = Path.of("k8s");
    static final List<String> OVERLAYS = List.of("overlays/cpu", "overlays/gpu");
    static final Path PLATFORM_YAML = Path.of("src/platform/src/main/resources/application.yaml");

    static final Map<String, List<HasMetadata>> BUILT = new LinkedHashMap<>();
    static ManifestChecks.Served served;
    static JsonNode platform;
    static ConfigKeys keys;

    @BeforeAll
    static void build() throws IOException {
        for (String dir : List.of("overlays/cpu", "overlays/gpu", "infra")) {
            BUILT.put(dir, Manifests.decodeAll(Manifests.kustomize(K8S.resolve(dir))));
        }
        platform = new YAMLMapper().readTree(PLATFORM_YAML.toFile());
        served = ManifestChecks.served(platform);
        keys = new ConfigKeys();
    }

    static List<Deployment> deployments(String build) {
        return BUILT.get(build).stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
    }

    static Deployment deployment(String build, String role) {
        return deployments(build).stream().filter(d -> d.getSpec().getTemplate().getSpec().getContainers().stream()
                .anyMatch(c -> ManifestChecks.role(c).equals(role))).findFirst().orElseThrow();
    }

    static <T extends HasMetadata> List<T> ofKind(String build, String kind, Class<T> type) {
        return BUILT.get(build).stream().filter(o -> o.getKind().equals(kind)).map(type::cast).toList();
    }

    static Container container(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    // ------------------------------------------------------------------ builds and strict decoding

    @Test
    void everyBuildHasTheObjectsItShould() {
        for (String o : OVERLAYS) {
            Map<String, Long> kinds = BUILT.get(o).stream().collect(Collectors.groupingBy(HasMetadata::getKind,
                    Collectors.counting()));
            assertThat(kinds).as(o).containsEntry("Deployment", 2L).containsEntry("Service", 2L)
                    .containsEntry("PodDisruptionBudget", 2L).containsEntry("ConfigMap", 2L).containsEntry("CronJob", 1L)
                    .containsEntry("PersistentVolumeClaim", 2L).containsEntry("ScaledObject", 1L);
            assertThat(BUILT.get(o)).as(o + ": one namespace")
                    .allSatisfy(x -> assertThat(x.getMetadata().getNamespace()).isEqualTo("diffusion-batch"));
        }
        Map<String, Long> infra = BUILT.get("infra").stream().collect(Collectors.groupingBy(HasMetadata::getKind,
                Collectors.counting()));
        assertThat(infra).containsEntry("Kafka", 1L).containsEntry("KafkaNodePool", 1L)
                .containsEntry("KafkaTopic", 4L).containsEntry("Cluster", 1L).containsEntry("Namespace", 1L);
    }

    @Test
    void aFailedBuildFailsWithKubectlsMessage(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("kustomization.yaml"), "resources:\n  - missing.yaml\n");
        assertThatThrownBy(() -> Manifests.kustomize(dir)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("kubectl kustomize").hasMessageContaining("missing.yaml");
    }

    @Test
    void misspelledFieldsAreRefused() {
        String container = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          %s
                """;
        assertThat(Manifests.decodeAll(container.formatted("imagePullPolicy: IfNotPresent"))).hasSize(1);
        assertThatThrownBy(() -> Manifests.decodeAll(container.formatted("imagePullPolicyy: IfNotPresent")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("imagePullPolicyy");
        assertThatThrownBy(() -> Manifests.decodeAll(container.formatted("resource: {limits: {cpu: 1}}")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("resource");
        assertThatThrownBy(() -> Manifests.decodeAll(container.formatted("ports: [{containerPort: http}]")))
                .as("a value of the wrong type").isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> Manifests.decodeAll(container.formatted("imagePullPolicy: IfNotPresent")
                .replace("kind: Deployment", "kind: Deploymnet")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("not a kind of the Kubernetes API");
        assertThatThrownBy(() -> Manifests.decodeAll("""
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: x, labelz: {a: b}}
                spec: {}
                """)).as("a custom resource's metadata is decoded strictly too")
                .isInstanceOf(AssertionError.class).hasMessageContaining("labelz");
    }

    // ------------------------------------------------------------------ probes

    @Test
    void probesAskHealthGroupsTheApplicationServesOnItsPort() {
        assertThat(served.healthPaths()).contains("/actuator/health/liveness", "/actuator/health/readiness");
        JsonNode groups = platform.path("management").path("endpoint").path("health").path("group");
        assertThat(groups.path("liveness").path("include").asText()).contains("livenessState");
        assertThat(groups.path("readiness").path("include").asText()).contains("readinessState", "db", "kafka");
        assertThat(served.prometheusPath()).isEqualTo("/actuator/prometheus");
        for (String o : OVERLAYS) {
            for (Deployment d : deployments(o)) {
                assertThat(ManifestChecks.probes(d, served)).as(o + " " + d.getMetadata().getName()).isEmpty();
            }
        }
    }

    @Test
    void aProbeOnAPathOrPortNotServedFails() {
        Deployment d = Manifests.copy(deployment("overlays/cpu", "manager"));
        container(d).getLivenessProbe().getHttpGet().setPath("/actuator/health/live");
        assertThat(ManifestChecks.probes(d, served)).anyMatch(s -> s.contains("/actuator/health/live is not served"));

        d = Manifests.copy(deployment("overlays/cpu", "manager"));
        container(d).getReadinessProbe().getHttpGet().setPath("/actuator/health/liveness");
        assertThat(ManifestChecks.probes(d, served)).anyMatch(s -> s.contains("must ask /actuator/health/readiness"));

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        container(d).getStartupProbe().getHttpGet().setPort(new IntOrString(8080));
        assertThat(ManifestChecks.probes(d, served)).anyMatch(s -> s.contains("startupProbe port"));

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        setEnv(container(d), "DIFFUSION_WEB_PORT", "9000");
        assertThat(ManifestChecks.probes(d, served)).as("the port named http is no longer the web port").isNotEmpty();

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        container(d).getEnv().removeIf(e -> e.getName().equals("DIFFUSION_WEB_ADDRESS"));
        assertThat(ManifestChecks.probes(d, served)).anyMatch(s -> s.contains("127.0.0.1, not 0.0.0.0"));

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        d.getSpec().getTemplate().getMetadata().getAnnotations().put("prometheus.io/path", "/metrics");
        assertThat(ManifestChecks.probes(d, served)).anyMatch(s -> s.contains("prometheus.io/path"));

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        container(d).setReadinessProbe(null);
        assertThat(ManifestChecks.probes(d, served)).anyMatch(s -> s.contains("needs startupProbe"));
    }

    @Test
    void servedPathsFollowTheManagementConfiguration() throws IOException {
        JsonNode noProbes = new YAMLMapper().readTree("""
                management:
                  endpoints: {web: {exposure: {include: health}}}
                  endpoint: {health: {probes: {enabled: false}}}
                """);
        assertThat(ManifestChecks.served(noProbes).healthPaths()).containsExactly("/actuator/health");
        assertThat(ManifestChecks.probes(deployment("overlays/cpu", "manager"), ManifestChecks.served(noProbes)))
                .isNotEmpty();
    }

    // ------------------------------------------------------------------ environment

    @Test
    void everyEnvVarBindsToARealConfigurationKey() {
        for (String o : OVERLAYS) {
            for (Deployment d : deployments(o)) {
                assertThat(ManifestChecks.env(d, keys)).as(o + " " + d.getMetadata().getName()).isEmpty();
            }
        }
        assertThat(keys.leafKeys()).contains("diffusion.output-root", "diffusion.job.threads", "diffusion.job.lease",
                "diffusion.web.allowed-hosts", "spring.datasource.url", "spring.profiles.active");
    }

    @Test
    void aMisspelledEnvVarFails() {
        assertThat(keys.knows("DIFFUSION_JOB_THREADS")).isTrue();
        assertThat(keys.knows("DIFFUSION_OUTPUT_ROOT")).isTrue();
        assertThat(keys.knows("DIFFUSION_KAFKA_PROPERTIES_SECURITY_PROTOCOL")).as("a map takes any sub-key").isTrue();
        assertThat(keys.knows("DIFFUSION_MODELS_MYMODEL_PATH")).as("the catalog is a map").isTrue();
        assertThat(keys.knows("SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE")).isTrue();
        assertThat(keys.knows("DIFFUSION_JOB_THREDS")).isFalse();
        assertThat(keys.knows("DIFFUSION_JOB_THREDSS")).isFalse();
        assertThat(keys.knows("SPRING_DATASOURCE_URLL")).isFalse();
        assertThat(keys.knows("DIFFUSION_CLUSTER_SLOT")).isFalse();

        Deployment d = Manifests.copy(deployment("overlays/cpu", "worker"));
        container(d).getEnv().add(new EnvVar("DIFFUSION_JOB_THREDS", "4", null));
        assertThat(ManifestChecks.env(d, keys)).singleElement().asString().contains("DIFFUSION_JOB_THREDS");

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        d.getSpec().getTemplate().getSpec().setInitContainers(new ArrayList<>(List.of(new ContainerBuilder()
                .withName("init").withImage("x").addNewEnv().withName("DIFFUSION_JOB_LEES").withValue("1m").endEnv()
                .build())));
        assertThat(ManifestChecks.env(d, keys)).anyMatch(s -> s.contains("init") && s.contains("DIFFUSION_JOB_LEES"));
    }

    @Test
    void theClusterSettingsAreKeysOfTheRecord() {
        // the walk of DiffusionProperties.Cluster gives the keys the manifests set (and a misspelling none)
        assertThat(keys.leafKeys()).contains("diffusion.cluster.partition-topic", "diffusion.cluster.slots",
                "diffusion.cluster.runs", "diffusion.cluster.max-attempts", "diffusion.cluster.poll-interval",
                "diffusion.cluster.topic-partitions").doesNotContain("diffusion.cluster.slot");
    }

    // ------------------------------------------------------------------ resources, pods, grace

    @Test
    void everyContainerRequestsAndLimitsCpuAndMemory() {
        for (String o : OVERLAYS) {
            for (Deployment d : deployments(o)) {
                assertThat(ManifestChecks.resources(d)).as(o + " " + d.getMetadata().getName()).isEmpty();
            }
        }
        Deployment d = Manifests.copy(deployment("overlays/cpu", "worker"));
        container(d).getResources().getLimits().remove("memory");
        assertThat(ManifestChecks.resources(d)).singleElement().asString().contains("limits.memory missing");

        d = Manifests.copy(deployment("overlays/cpu", "manager"));
        container(d).getResources().getRequests().put("cpu", new Quantity("8"));
        assertThat(ManifestChecks.resources(d)).singleElement().asString().contains("requests.cpu above limits.cpu");

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        d.getSpec().getTemplate().getSpec().setInitContainers(new ArrayList<>(List.of(new ContainerBuilder()
                .withName("init").withImage("x").build())));
        assertThat(ManifestChecks.resources(d)).hasSize(4).allMatch(s -> s.contains("container init"));
    }

    @Test
    void podsAreNonRootReadOnlyAndGetNoServiceVariables() {
        for (String o : OVERLAYS) {
            for (Deployment d : deployments(o)) {
                assertThat(ManifestChecks.pod(d)).as(o + " " + d.getMetadata().getName()).isEmpty();
            }
        }
        Deployment d = Manifests.copy(deployment("overlays/cpu", "worker"));
        d.getSpec().getTemplate().getSpec().setEnableServiceLinks(null);
        assertThat(ManifestChecks.pod(d)).singleElement().asString().contains("enableServiceLinks");

        d = Manifests.copy(deployment("overlays/gpu", "worker"));
        container(d).getSecurityContext().setReadOnlyRootFilesystem(false);
        container(d).getVolumeMounts().removeIf(m -> m.getMountPath().equals("/tmp"));
        assertThat(ManifestChecks.pod(d)).hasSize(2);

        d = Manifests.copy(deployment("overlays/cpu", "manager"));
        setEnv(container(d), "DIFFUSION_OUTPUT_ROOT", "/data/elsewhere");
        assertThat(ManifestChecks.pod(d)).singleElement().asString().contains("DIFFUSION_OUTPUT_ROOT");
    }

    @Test
    void terminationGraceCoversAMicroBatchAndALease() {
        assertThat(ManifestChecks.defaultLease()).as("diffusion.job.lease's default").hasSeconds(30);
        for (String o : OVERLAYS) {
            for (Deployment d : deployments(o)) {
                assertThat(ManifestChecks.grace(d)).as(o + " " + d.getMetadata().getName()).isEmpty();
                assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
                        .isGreaterThanOrEqualTo(ManifestChecks.MICRO_BATCH_SECONDS);
            }
        }
        Deployment d = Manifests.copy(deployment("overlays/cpu", "worker"));
        d.getSpec().getTemplate().getSpec().setTerminationGracePeriodSeconds(60L);
        assertThat(ManifestChecks.grace(d)).singleElement().asString().contains("60 < 90");

        d = Manifests.copy(deployment("overlays/cpu", "worker"));
        setEnv(container(d), "DIFFUSION_JOB_LEASE", "2m");
        assertThat(ManifestChecks.grace(d)).as("a longer lease needs more time").singleElement().asString()
                .contains("< 180");

        d = Manifests.copy(deployment("overlays/cpu", "manager"));
        d.getSpec().getTemplate().getSpec().setTerminationGracePeriodSeconds(null);
        assertThat(ManifestChecks.grace(d)).as("Kubernetes' default 30 s").singleElement().asString().contains("30 < 65");

        d = Manifests.copy(deployment("overlays/cpu", "manager"));
        container(d).getLifecycle().getPreStop().getExec().setCommand(List.of("sleep", "40"));
        assertThat(ManifestChecks.grace(d)).as("a long preStop eats the stop's time").singleElement().asString()
                .contains("90 < 100");
    }

    @Test
    void disruptionBudgetsSelectTheirPods() {
        for (String o : OVERLAYS) {
            for (PodDisruptionBudget pdb : ofKind(o, "PodDisruptionBudget", PodDisruptionBudget.class)) {
                Map<String, String> sel = pdb.getSpec().getSelector().getMatchLabels();
                assertThat(deployments(o)).as(pdb.getMetadata().getName()).filteredOn(d -> d.getSpec().getTemplate()
                        .getMetadata().getLabels().entrySet().containsAll(sel.entrySet())).hasSize(1);
            }
        }
    }

    // ------------------------------------------------------------------ GPU overlay

    @Test
    void theGpuWorkerGetsAGpu() {
        assertThat(ManifestChecks.gpu(deployment("overlays/gpu", "worker"))).isEmpty();
        assertThat(ManifestChecks.gpu(deployment("overlays/cpu", "worker"))).as("the cpu worker is not one").hasSize(5);
        Deployment d = Manifests.copy(deployment("overlays/gpu", "worker"));
        container(d).getResources().getLimits().remove("nvidia.com/gpu");
        assertThat(ManifestChecks.gpu(d)).singleElement().asString().contains("nvidia.com/gpu missing");
        assertThat(container(deployment("overlays/gpu", "manager")).getImage()).doesNotContain("gpu");
    }

    // ------------------------------------------------------------------ KEDA

    @Test
    void theScaledObjectScalesTheWorkerDeploymentOnThePartitionTopic() {
        for (String o : OVERLAYS) {
            assertThat(ManifestChecks.scaledObject(BUILT.get(o))).as(o).isEmpty();
        }
    }

    @Test
    void aScaledObjectThatMissesTheWorkerFails() {
        List<HasMetadata> objects = mutateScaledObject(so -> {
            ((ObjectNode) so.path("spec").path("scaleTargetRef")).put("name", "worker");
            return so;
        });
        assertThat(ManifestChecks.scaledObject(objects)).singleElement().asString().contains("targets 'worker'");

        objects = mutateScaledObject(so -> {
            ((ObjectNode) so.path("spec").path("triggers").get(0).path("metadata")).put("lagThreshold", 1);
            return so;
        });
        assertThat(ManifestChecks.scaledObject(objects)).singleElement().asString().contains("must be a string");

        objects = mutateScaledObject(so -> {
            ((ObjectNode) so.path("spec").path("triggers").get(0).path("metadata")).put("topic", "requests");
            return so;
        });
        assertThat(ManifestChecks.scaledObject(objects)).singleElement().asString().contains("metadata.topic");

        objects = mutateScaledObject(so -> {
            ((ObjectNode) so.path("spec").path("advanced").path("horizontalPodAutoscalerConfig").path("behavior")
                    .path("scaleDown")).put("stabilizationWindowSeconds", 0);
            return so;
        });
        assertThat(ManifestChecks.scaledObject(objects)).singleElement().asString().contains("scaleDown");

        List<HasMetadata> fixed = new ArrayList<>(BUILT.get("overlays/cpu"));
        Deployment w = Manifests.copy(ManifestChecks.worker(fixed));
        w.getSpec().setReplicas(2);
        fixed.replaceAll(o -> o.getKind().equals("Deployment") && o.getMetadata().getName().equals(w.getMetadata()
                .getName()) ? w : o);
        assertThat(ManifestChecks.scaledObject(fixed)).singleElement().asString().contains("spec.replicas");
    }

    @Test
    void theScaledObjectFollowsTheWorkerThroughKustomizeRenames(@TempDir Path dir) throws IOException {
        Path overlay = K8S.resolve("overlays/gpu").toAbsolutePath();
        Files.writeString(dir.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namePrefix: team-a-
                resources:
                  - %s
                """.formatted(dir.toAbsolutePath().relativize(overlay)));  // kustomize takes no absolute paths
        List<HasMetadata> renamed = Manifests.decodeAll(Manifests.kustomize(dir));
        assertThat(ManifestChecks.worker(renamed).getMetadata().getName()).isEqualTo("team-a-diffusion-worker");
        assertThat(ManifestChecks.scaledObject(renamed)).isEmpty();
    }

    // ------------------------------------------------------------------ infra and its addresses

    @Test
    void theTopicsExistWithEnoughPartitionsForTheWorkers() {
        Map<String, JsonNode> topics = new LinkedHashMap<>();
        Set<String> kafkas = BUILT.get("infra").stream().filter(o -> o.getKind().equals("Kafka"))
                .map(o -> o.getMetadata().getName()).collect(Collectors.toSet());
        for (HasMetadata t : BUILT.get("infra")) {
            if (t.getKind().equals("KafkaTopic")) {
                assertThat(t.getApiVersion()).isEqualTo("kafka.strimzi.io/v1beta2");
                assertThat(kafkas).as("strimzi.io/cluster of " + t.getMetadata().getName())
                        .contains(t.getMetadata().getLabels().get("strimzi.io/cluster"));
                JsonNode spec = Manifests.tree(t).path("spec");
                assertThat(spec.path("partitions").isInt() && spec.path("replicas").isInt()).isTrue();
                topics.put(spec.path("topicName").asText(t.getMetadata().getName()), spec);
            }
        }
        JsonNode k = platform.path("diffusion").path("kafka");
        Container worker = container(deployment("overlays/cpu", "worker"));
        String partitionTopic = ManifestChecks.env(worker, "DIFFUSION_CLUSTER_PARTITION_TOPIC").orElseThrow();
        assertThat(topics).containsKeys(k.path("requests-topic").asText(), k.path("events-topic").asText(),
                k.path("dead-letter-topic").asText(), partitionTopic);
        for (String o : OVERLAYS) {
            int max = Manifests.tree(ofKind(o, "ScaledObject", GenericKubernetesResource.class).get(0))
                    .path("spec").path("maxReplicaCount").asInt();
            assertThat(topics.get(partitionTopic).path("partitions").asInt()).as("partitions of " + partitionTopic
                    + " >= the most workers KEDA makes").isGreaterThanOrEqualTo(max);
        }
        for (HasMetadata d : deployments("overlays/cpu")) {
            assertThat(ManifestChecks.env(container((Deployment) d), "DIFFUSION_KAFKA_TOPICS_CREATE"))
                    .as("the topics are KafkaTopics").contains("false");
        }
    }

    @Test
    void thePodsAddressTheInfraServicesAndSecret() {
        HasMetadata kafka = ofKind("infra", "Kafka", GenericKubernetesResource.class).get(0);
        JsonNode kafkaSpec = Manifests.tree(kafka).path("spec").path("kafka");
        assertThat(Manifests.tree(kafka).path("metadata").path("annotations").path("strimzi.io/kraft").asText())
                .isEqualTo("enabled");
        assertThat(Manifests.tree(kafka).path("spec").path("entityOperator").has("topicOperator")).isTrue();
        JsonNode plain = null;
        for (JsonNode l : kafkaSpec.path("listeners")) {
            if (!l.path("tls").asBoolean(true) && l.path("type").asText().equals("internal")) {
                plain = l;
            }
        }
        assertThat(plain).as("a plain internal listener").isNotNull();
        String bootstrap = kafka.getMetadata().getName() + "-kafka-bootstrap:" + plain.path("port").asInt();
        HasMetadata pool = ofKind("infra", "KafkaNodePool", GenericKubernetesResource.class).get(0);
        assertThat(pool.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", kafka.getMetadata().getName());
        assertThat(Manifests.tree(pool).path("spec").path("roles").toString()).contains("controller", "broker");

        HasMetadata db = ofKind("infra", "Cluster", GenericKubernetesResource.class).get(0);
        assertThat(db.getApiVersion()).isEqualTo("postgresql.cnpg.io/v1");
        JsonNode initdb = Manifests.tree(db).path("spec").path("bootstrap").path("initdb");
        String url = "jdbc:postgresql://" + db.getMetadata().getName() + "-rw:5432/" + initdb.path("database").asText();
        String secret = db.getMetadata().getName() + "-app";   // CloudNativePG's secret of the owner

        for (String o : OVERLAYS) {
            for (Deployment d : deployments(o)) {
                Container c = container(d);
                assertThat(ManifestChecks.env(c, "DIFFUSION_KAFKA_BOOTSTRAP_SERVERS")).as(o).contains(bootstrap);
                assertThat(ManifestChecks.env(c, "SPRING_DATASOURCE_URL")).as(o).contains(url);
                for (String v : List.of("SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD")) {
                    EnvVar e = c.getEnv().stream().filter(x -> x.getName().equals(v)).findFirst().orElseThrow();
                    assertThat(e.getValue()).as(v + " comes from the Secret, never a value").isNull();
                    assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret);
                    assertThat(e.getValueFrom().getSecretKeyRef().getKey())
                            .isEqualTo(v.endsWith("USERNAME") ? "username" : "password");
                }
            }
        }
        assertThat(BUILT.get("overlays/cpu")).noneMatch(o -> o.getKind().equals("Secret"));
        // the example Secret for another PostgreSQL decodes and has the keys the pods read
        List<HasMetadata> example = Manifests.decodeAll(read(K8S.resolve("infra/db-secret.example.yaml")));
        assertThat(example).singleElement().satisfies(s -> {
            assertThat(s.getMetadata().getName()).isEqualTo(secret);
            assertThat(((io.fabric8.kubernetes.api.model.Secret) s).getStringData()).containsKeys("username", "password");
        });
    }

    // ------------------------------------------------------------------ the configuration copy

    @Test
    void theConfigMapIsTheRepositorysConfiguration() {
        String repo = read(Path.of("config/application.yaml"));
        assertThat(read(K8S.resolve("base/config/application.yaml")))
                .as("k8s/base/config/application.yaml must equal config/application.yaml: copy it again").isEqualTo(repo);
        for (String o : OVERLAYS) {
            var cm = configMap(o, "diffusion-config");
            assertThat(cm.getData()).as(o).containsOnlyKeys("application.yaml");
            assertThat(cm.getData().get("application.yaml")).as(o).isEqualTo(repo);
            assertThat(cm.getData().get("application.yaml")).as("a changed copy is seen").isNotEqualTo(repo + "#\n");
            for (Deployment d : deployments(o)) {
                assertThat(d.getSpec().getTemplate().getSpec().getVolumes())
                        .anyMatch(v -> v.getConfigMap() != null && v.getConfigMap().getName().equals(cm.getMetadata().getName()));
                assertThat(container(d).getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/app/config"));
            }
        }
    }

    // ------------------------------------------------------------------ the nightly dataset CronJob

    static final Path SPEC = Path.of("config/datasets/shapes-nightly.yaml");
    static final Path SPEC_COPY = K8S.resolve("base/datasets/shapes-nightly.yaml");

    @Test
    void theDatasetCronJobSubmitsTheSpecOnceANightAsTheManagerReachesTheServices() throws IOException {
        JsonNode spec = new YAMLMapper().readTree(SPEC_COPY.toFile());
        for (String o : OVERLAYS) {
            HasMetadata cron = ofKind(o, "CronJob", HasMetadata.class).get(0);
            JsonNode s = Manifests.tree(cron).path("spec");
            assertThat(s.path("schedule").asText()).as(o + ": 5-field cron, the spec's schedule.cron")
                    .matches("\\S+( \\S+){4}").isEqualTo(spec.path("schedule").path("cron").asText());
            assertThat(s.path("timeZone").asText()).isEqualTo("Etc/UTC");
            assertThat(s.path("concurrencyPolicy").asText()).isEqualTo("Forbid");
            for (String f : List.of("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")) {
                assertThat(s.path(f).asInt()).as(f).isPositive();
            }
            assertThat(s.path("jobTemplate").path("spec").path("backoffLimit").asInt()).isPositive();
            PodSpec pod = ManifestChecks.podSpec(cron);
            assertThat(pod.getRestartPolicy()).isEqualTo("OnFailure");
            Container c = pod.getContainers().get(0);
            assertThat(c.getCommand()).as("submit only: no --wait").endsWith("dataset", "run",
                    "/config/datasets/" + SPEC_COPY.getFileName()).doesNotContain("--wait");
            assertThat(ManifestChecks.env(cron, keys)).as(o).isEmpty();
            assertThat(ManifestChecks.resources(cron)).as(o).isEmpty();
            assertThat(ManifestChecks.pod(cron)).as(o).isEmpty();
            Container manager = container(deployment(o, "manager"));
            for (String v : List.of("SPRING_PROFILES_ACTIVE", "SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME",
                    "SPRING_DATASOURCE_PASSWORD", "DIFFUSION_KAFKA_BOOTSTRAP_SERVERS", "DIFFUSION_KAFKA_TOPICS_CREATE",
                    "DIFFUSION_OUTPUT_ROOT")) {
                assertThat(envVar(c, v)).as(o + " " + v + " as the manager's").isEqualTo(envVar(manager, v));
            }
            var datasets = configMap(o, "diffusion-datasets");
            assertThat(datasets.getData()).containsOnlyKeys(SPEC_COPY.getFileName().toString());
            assertThat(datasets.getData().get(SPEC_COPY.getFileName().toString())).isEqualTo(read(SPEC_COPY));
            String volume = pod.getVolumes().stream().filter(v -> v.getConfigMap() != null
                    && v.getConfigMap().getName().equals(datasets.getMetadata().getName())).findFirst().orElseThrow().getName();
            assertThat(c.getVolumeMounts()).anyMatch(m -> m.getName().equals(volume) && m.getMountPath().equals("/config/datasets"));
            assertThat(pod.getVolumes()).anyMatch(v -> v.getConfigMap() != null
                    && v.getConfigMap().getName().equals(configMap(o, "diffusion-config").getMetadata().getName()));
        }
        ObjectNode tree = ((ObjectNode) Manifests.tree(ofKind("overlays/cpu", "CronJob", HasMetadata.class).get(0))).deepCopy();
        ObjectNode pod = (ObjectNode) tree.at("/spec/jobTemplate/spec/template/spec");
        pod.remove("enableServiceLinks");
        ((ObjectNode) pod.at("/containers/0/env/0")).put("name", "DIFFUSION_JOB_THREDS");
        HasMetadata bad = Manifests.decode(tree);
        assertThat(ManifestChecks.pod(bad)).singleElement().asString().contains("enableServiceLinks");
        assertThat(ManifestChecks.env(bad, keys)).singleElement().asString().contains("DIFFUSION_JOB_THREDS");
        ((ObjectNode) tree.at("/spec/jobTemplate/spec")).put("backofLimit", 4);
        assertThatThrownBy(() -> Manifests.decode(tree)).as("a misspelled field of the Job").hasMessageContaining("backofLimit");
        ((ObjectNode) tree.at("/spec/jobTemplate/spec")).remove("backofLimit");
        ((ObjectNode) pod.at("/containers/0")).put("imagePullPolicyy", "Always");
        assertThatThrownBy(() -> Manifests.decode(tree)).as("and of its pod").hasMessageContaining("imagePullPolicyy");
    }

    /** The spec the CronJob mounts is a copy of the repository's (kustomize reads no file outside its folder). */
    @Test
    void theDatasetSpecCopyIsTheRepositorysSpec() {
        Assumptions.assumeTrue(Files.exists(SPEC), SPEC + " does not exist yet: " + SPEC_COPY + " is a placeholder");
        assertThat(read(SPEC_COPY)).as(SPEC_COPY + " must equal " + SPEC + ": copy it again").isEqualTo(read(SPEC));
    }

    private static EnvVar envVar(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow();
    }

    private static io.fabric8.kubernetes.api.model.ConfigMap configMap(String build, String generated) {
        return (io.fabric8.kubernetes.api.model.ConfigMap) BUILT.get(build).stream()
                .filter(x -> x.getKind().equals("ConfigMap") && x.getMetadata().getName().startsWith(generated + "-"))
                .findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ helpers

    private static List<HasMetadata> mutateScaledObject(Function<ObjectNode, ObjectNode> change) {
        List<HasMetadata> objects = new ArrayList<>();
        for (HasMetadata o : BUILT.get("overlays/cpu")) {
            if (o.getKind().equals("ScaledObject")) {
                ObjectNode tree = ((ObjectNode) Manifests.tree(o)).deepCopy();
                objects.add(Manifests.decode(change.apply(tree)));
            } else {
                objects.add(o);
            }
        }
        return objects;
    }

    private static void setEnv(Container c, String name, String value) {
        Optional<EnvVar> e = c.getEnv().stream().filter(x -> x.getName().equals(name)).findFirst();
        if (e.isPresent()) {
            e.get().setValue(value);
            e.get().setValueFrom(null);
        } else {
            c.getEnv().add(new EnvVar(name, value, null));
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
