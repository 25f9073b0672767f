package io.diffusionbatch.k8s;

import tools.jackson.databind.JsonNode;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.web.WebSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.springframework.boot.convert.DurationStyle;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The rules the built manifests must keep, each a function from decoded objects to the list of
 * what breaks it (empty: kept), so that a test can show every rule failing on a mutated copy.
 */
final class ManifestChecks {

    /** The longest micro-batch a worker finishes after SIGTERM: a large model on CPU (issue 16). */
    static final int MICRO_BATCH_SECONDS = 60;
    /** The consumer group of the workers on the partition topic (the cluster roles' choice). */
    static final String WORKER_GROUP = "diffusion-workers";

    private ManifestChecks() {
    }

    // ---------------------------------------------------------------- what the application serves

    /**
     * The Actuator paths and port the application serves, read from the platform's application.yaml.
     *
     * @param healthPaths    every health path: the endpoint and each group (configured ones, plus
     *                       liveness and readiness when {@code management.endpoint.health.probes.enabled})
     * @param prometheusPath the scrape path, or null when the endpoint is not exposed
     * @param port           {@code diffusion.web.port}'s default
     */
    record Served(Set<String> healthPaths, String prometheusPath, int port) {

        String group(String name) {
            String p = healthPaths.stream().filter(x -> x.endsWith("/health/" + name)).findFirst().orElse(null);
            return p;
        }
    }

    static Served served(JsonNode app) {
        JsonNode m = app.path("management");
        String base = m.path("endpoints").path("web").path("base-path").asText("/actuator");
        Set<String> exposed = new LinkedHashSet<>();
        for (String s : m.path("endpoints").path("web").path("exposure").path("include").asText("").split(",")) {
            exposed.add(s.strip());
        }
        Set<String> paths = new LinkedHashSet<>();
        if (exposed.contains("health") || exposed.contains("*")) {
            paths.add(base + "/health");
            JsonNode health = m.path("endpoint").path("health");
            if (health.path("probes").path("enabled").asBoolean(false)) {
                paths.add(base + "/health/liveness");
                paths.add(base + "/health/readiness");
            }
            for (Iterator<String> it = health.path("group").propertyNames().iterator(); it.hasNext(); ) {
                paths.add(base + "/health/" + it.next());
            }
        }
        String prometheus = exposed.contains("prometheus") || exposed.contains("*") ? base + "/prometheus" : null;
        int port = app.path("diffusion").path("web").path("port").asInt(WebSettings.DEFAULT_PORT);
        return new Served(paths, prometheus, port);
    }

    // ---------------------------------------------------------------- helpers

    static List<Container> containers(PodSpec pod) {
        return Stream.concat(pod.getInitContainers() == null ? Stream.<Container>empty() : pod.getInitContainers().stream(),
                pod.getContainers().stream()).toList();
    }

    static Optional<String> env(Container c, String name) {
        if (c.getEnv() == null) {
            return Optional.empty();
        }
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue)
                .filter(Objects::nonNull).findFirst();
    }

    static String role(Container c) {
        List<String> cmd = new ArrayList<>();
        if (c.getCommand() != null) {
            cmd.addAll(c.getCommand());
        }
        if (c.getArgs() != null) {
            cmd.addAll(c.getArgs());
        }
        return cmd.isEmpty() ? "" : cmd.get(cmd.size() - 1);
    }

    static boolean isApp(Container c) {
        return role(c).equals("manager") || role(c).equals("worker");
    }

    /** Whether a container runs the server jar (a role or a command such as {@code dataset run}). */
    static boolean runsServer(Container c) {
        return c.getCommand() != null && c.getCommand().contains("/app/diffusion-batch-server.jar");
    }

    /** The pod spec of a Deployment's pod template, or of a CronJob's ({@link Manifests#cronJobPod}, a copy). */
    static PodSpec podSpec(HasMetadata o) {
        if (o instanceof Deployment d) {
            return d.getSpec().getTemplate().getSpec();
        }
        if (o.getKind().equals("CronJob")) {
            return Manifests.cronJobPod(o);
        }
        throw new IllegalArgumentException(name(o) + " has no pod template here");
    }

    static String name(HasMetadata o) {
        return o.getKind() + " " + o.getMetadata().getName();
    }

    static int webPort(Container c, Served served) {
        return env(c, "DIFFUSION_WEB_PORT").map(String::strip).map(Integer::parseInt).orElse(served.port());
    }

    /** The run/partition lease the pod runs with: its DIFFUSION_JOB_LEASE, else the record's default. */
    static Duration lease(Container c) {
        return env(c, "DIFFUSION_JOB_LEASE").map(v -> DurationStyle.detectAndParse(v.strip()))
                .orElseGet(ManifestChecks::defaultLease);
    }

    /**
     * {@code diffusion.job.lease}'s default: the {@link DiffusionProperties.Job} record built with
     * every component unset (the compact constructor fills the defaults), by reflection so that new
     * components do not break this test.
     */
    static Duration defaultLease() {
        try {
            RecordComponent[] cs = DiffusionProperties.Job.class.getRecordComponents();
            Class<?>[] types = new Class<?>[cs.length];
            Object[] values = new Object[cs.length];
            for (int i = 0; i < cs.length; i++) {
                types[i] = cs[i].getType();
                values[i] = types[i] == int.class ? 0 : types[i] == long.class ? 0L
                        : types[i] == boolean.class ? false : types[i] == double.class ? 0.0 : null;
            }
            DiffusionProperties.Job job = DiffusionProperties.Job.class.getDeclaredConstructor(types).newInstance(values);
            return job.lease();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build DiffusionProperties.Job with its defaults", e);
        }
    }

    // ---------------------------------------------------------------- rules

    /** Probes: HTTP on a health group the application serves, on its web port, bound to every interface. */
    static List<String> probes(Deployment d, Served served) {
        List<String> bad = new ArrayList<>();
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        for (Container c : containers(pod)) {
            String where = name(d) + " container " + c.getName();
            if (isApp(c)) {
                if (c.getLivenessProbe() == null || c.getReadinessProbe() == null || c.getStartupProbe() == null) {
                    bad.add(where + ": needs startupProbe, livenessProbe and readinessProbe");
                }
                String address = env(c, "DIFFUSION_WEB_ADDRESS").orElse(WebSettings.DEFAULT_ADDRESS).strip();
                if (!new WebSettings(0, address, List.of()).wildcard()) {
                    bad.add(where + ": DIFFUSION_WEB_ADDRESS is " + address
                            + ", not 0.0.0.0: the kubelet's probes could not reach the Actuator");
                }
            }
            checkProbe(bad, where, "livenessProbe", c.getLivenessProbe(), c, served, served.group("liveness"));
            checkProbe(bad, where, "readinessProbe", c.getReadinessProbe(), c, served, served.group("readiness"));
            checkProbe(bad, where, "startupProbe", c.getStartupProbe(), c, served, null);
        }
        Map<String, String> ann = d.getSpec().getTemplate().getMetadata().getAnnotations();
        if (ann != null && "true".equals(ann.get("prometheus.io/scrape"))) {
            if (!Objects.equals(ann.get("prometheus.io/path"), served.prometheusPath())) {
                bad.add(name(d) + ": prometheus.io/path " + ann.get("prometheus.io/path") + " is not the served "
                        + served.prometheusPath());
            }
            for (Container c : pod.getContainers()) {
                if (isApp(c) && !String.valueOf(webPort(c, served)).equals(ann.get("prometheus.io/port"))) {
                    bad.add(name(d) + ": prometheus.io/port " + ann.get("prometheus.io/port") + " is not the web port "
                            + webPort(c, served));
                }
            }
        }
        return bad;
    }

    private static void checkProbe(List<String> bad, String where, String kind, Probe p, Container c, Served served,
                                   String requiredPath) {
        if (p == null) {
            return;
        }
        if (p.getHttpGet() == null) {
            bad.add(where + ": " + kind + " must be an httpGet on an Actuator health group");
            return;
        }
        String path = p.getHttpGet().getPath();
        if (!served.healthPaths().contains(path)) {
            bad.add(where + ": " + kind + " path " + path + " is not served (served: " + served.healthPaths() + ")");
        } else if (requiredPath != null && !requiredPath.equals(path)) {
            bad.add(where + ": " + kind + " must ask " + requiredPath + ", not " + path);
        }
        Integer port = port(c, p.getHttpGet().getPort());
        if (port == null || port != webPort(c, served)) {
            bad.add(where + ": " + kind + " port " + p.getHttpGet().getPort() + " is not diffusion.web.port "
                    + webPort(c, served));
        }
    }

    private static Integer port(Container c, IntOrString port) {
        if (port == null) {
            return null;
        }
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        if (c.getPorts() == null) {
            return null;
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst().orElse(null);
    }

    /** Every env var of every container binds to a real configuration key. */
    static List<String> env(HasMetadata d, ConfigKeys keys) {
        List<String> bad = new ArrayList<>();
        for (Container c : containers(podSpec(d))) {
            if (c.getEnv() == null) {
                continue;
            }
            for (EnvVar e : c.getEnv()) {
                if (!keys.knows(e.getName())) {
                    bad.add(name(d) + " container " + c.getName() + ": " + e.getName()
                            + " binds to no configuration key (DiffusionProperties, WebSettings, Spring Boot's metadata, "
                            + "or ConfigKeys' allow-lists)");
                }
            }
            if (c.getEnvFrom() != null && !c.getEnvFrom().isEmpty()) {
                bad.add(name(d) + " container " + c.getName() + ": envFrom hides its keys from this check; use env");
            }
        }
        return bad;
    }

    /** Every container, init containers too, requests and limits cpu and memory. */
    static List<String> resources(HasMetadata d) {
        List<String> bad = new ArrayList<>();
        for (Container c : containers(podSpec(d))) {
            ResourceRequirements r = c.getResources();
            for (String kind : List.of("requests", "limits")) {
                Map<String, Quantity> q = r == null ? null : kind.equals("requests") ? r.getRequests() : r.getLimits();
                for (String res : List.of("cpu", "memory")) {
                    if (q == null || q.get(res) == null) {
                        bad.add(name(d) + " container " + c.getName() + ": resources." + kind + "." + res + " missing");
                    }
                }
            }
            if (r != null && r.getRequests() != null && r.getLimits() != null) {
                for (String res : List.of("cpu", "memory")) {
                    Quantity req = r.getRequests().get(res);
                    Quantity lim = r.getLimits().get(res);
                    if (req != null && lim != null && req.getNumericalAmount().compareTo(lim.getNumericalAmount()) > 0) {
                        bad.add(name(d) + " container " + c.getName() + ": requests." + res + " above limits." + res);
                    }
                }
            }
        }
        return bad;
    }

    /** Pod hygiene: no Service env vars, non-root, read-only root with an emptyDir at /tmp, no token. */
    static List<String> pod(HasMetadata d) {
        List<String> bad = new ArrayList<>();
        PodSpec pod = podSpec(d);
        if (!Boolean.FALSE.equals(pod.getEnableServiceLinks())) {
            bad.add(name(d) + ": enableServiceLinks must be false (a Service's DIFFUSION_* variables would bind as settings)");
        }
        if (pod.getSecurityContext() == null || !Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot())) {
            bad.add(name(d) + ": securityContext.runAsNonRoot must be true");
        }
        if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
            bad.add(name(d) + ": automountServiceAccountToken must be false (the pods never call the API)");
        }
        for (Container c : containers(pod)) {
            if (c.getSecurityContext() == null || !Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem())
                    || !Boolean.FALSE.equals(c.getSecurityContext().getAllowPrivilegeEscalation())) {
                bad.add(name(d) + " container " + c.getName()
                        + ": readOnlyRootFilesystem true and allowPrivilegeEscalation false required");
            }
            Optional<String> tmp = c.getVolumeMounts() == null ? Optional.empty() : c.getVolumeMounts().stream()
                    .filter(m -> m.getMountPath().equals("/tmp")).map(VolumeMount::getName).findFirst();
            boolean emptyDir = tmp.isPresent() && pod.getVolumes() != null && pod.getVolumes().stream()
                    .anyMatch(v -> v.getName().equals(tmp.get()) && v.getEmptyDir() != null);
            if (!emptyDir) {
                bad.add(name(d) + " container " + c.getName() + ": /tmp must be an emptyDir (the root is read-only)");
            }
            if (runsServer(c)) {
                String root = env(c, "DIFFUSION_OUTPUT_ROOT").orElse(null);
                boolean shared = root != null && c.getVolumeMounts() != null && c.getVolumeMounts().stream()
                        .anyMatch(m -> m.getMountPath().equals(root) && rwx(pod, m.getName()));
                if (!shared) {
                    bad.add(name(d) + " container " + c.getName()
                            + ": DIFFUSION_OUTPUT_ROOT must be the mount path of the outputs claim");
                }
            }
        }
        return bad;
    }

    private static boolean rwx(PodSpec pod, String volume) {
        if (pod.getVolumes() == null) {
            return false;
        }
        for (Volume v : pod.getVolumes()) {
            if (v.getName().equals(volume) && v.getPersistentVolumeClaim() != null
                    && !Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly())) {
                return true;
            }
        }
        return false;
    }

    /**
     * terminationGracePeriodSeconds: the preStop sleep (if any) + at least one lease and one
     * micro-batch for every pod; for a worker, the preStop sleep + a micro-batch + a lease to hand
     * its partition back.
     */
    static List<String> grace(Deployment d) {
        List<String> bad = new ArrayList<>();
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        long grace = pod.getTerminationGracePeriodSeconds() == null ? 30 : pod.getTerminationGracePeriodSeconds();
        for (Container c : pod.getContainers()) {
            if (!isApp(c)) {
                continue;
            }
            long lease = lease(c).toSeconds();
            long preStop = preStopSeconds(c);
            long need = preStop + Math.max(lease, MICRO_BATCH_SECONDS);
            if (role(c).equals("worker")) {
                need = preStop + MICRO_BATCH_SECONDS + lease;
            }
            if (grace < need) {
                bad.add(name(d) + ": terminationGracePeriodSeconds " + grace + " < " + need + " (lease " + lease
                        + " s, micro-batch " + MICRO_BATCH_SECONDS + " s, preStop " + preStop + " s)");
            }
        }
        return bad;
    }

    private static long preStopSeconds(Container c) {
        if (c.getLifecycle() == null || c.getLifecycle().getPreStop() == null) {
            return 0;
        }
        var h = c.getLifecycle().getPreStop();
        if (h.getExec() != null && h.getExec().getCommand() != null && h.getExec().getCommand().size() == 2
                && h.getExec().getCommand().get(0).equals("sleep")) {
            return Long.parseLong(h.getExec().getCommand().get(1));
        }
        if (h.getSleep() != null) {
            return h.getSleep().getSeconds();
        }
        return 0;
    }

    /** The GPU worker: one nvidia.com/gpu, the toleration, a GPU node selector, device cuda. */
    static List<String> gpu(Deployment worker) {
        List<String> bad = new ArrayList<>();
        PodSpec pod = worker.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().stream().filter(x -> role(x).equals("worker")).findFirst().orElseThrow();
        Quantity gpu = c.getResources() == null || c.getResources().getLimits() == null ? null
                : c.getResources().getLimits().get("nvidia.com/gpu");
        if (gpu == null || gpu.getNumericalAmount().signum() <= 0) {
            bad.add(name(worker) + ": limits nvidia.com/gpu missing");
        }
        if (pod.getTolerations() == null || pod.getTolerations().stream().noneMatch(t -> "nvidia.com/gpu".equals(t.getKey())
                && "NoSchedule".equals(t.getEffect()))) {
            bad.add(name(worker) + ": toleration nvidia.com/gpu NoSchedule missing");
        }
        if (pod.getNodeSelector() == null || pod.getNodeSelector().keySet().stream().noneMatch(k -> k.startsWith("nvidia.com/"))) {
            bad.add(name(worker) + ": nodeSelector for GPU nodes missing");
        }
        if (!env(c, "DIFFUSION_JOB_DEVICE").orElse("").equals("cuda")) {
            bad.add(name(worker) + ": DIFFUSION_JOB_DEVICE must be cuda");
        }
        if (c.getImage() == null || !c.getImage().contains("gpu")) {
            bad.add(name(worker) + ": the GPU image (k8s/images/Dockerfile.gpu) expected, was " + c.getImage());
        }
        return bad;
    }

    /** The worker Deployment of a build: the one whose container runs the worker role. */
    static Deployment worker(List<HasMetadata> objects) {
        return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getSpec().getTemplate().getSpec().getContainers().stream().anyMatch(c -> role(c).equals("worker")))
                .findFirst().orElseThrow(() -> new AssertionError("no worker Deployment"));
    }

    /**
     * The KEDA ScaledObject: targets the worker Deployment by its built name, reads the partition
     * topic of the workers with their consumer group, lagThreshold 1, bounded replicas, a slow
     * scale-down; KEDA's metadata values must be strings; the worker has no fixed replica count.
     */
    static List<String> scaledObject(List<HasMetadata> objects) {
        List<String> bad = new ArrayList<>();
        List<GenericKubernetesResource> sos = objects.stream().filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast).filter(o -> o.getKind().equals("ScaledObject")).toList();
        if (sos.size() != 1) {
            bad.add("one KEDA ScaledObject expected, found " + sos.size());
            return bad;
        }
        GenericKubernetesResource so = sos.get(0);
        JsonNode t = Manifests.tree(so);
        if (!"keda.sh/v1alpha1".equals(so.getApiVersion())) {
            bad.add("ScaledObject apiVersion must be keda.sh/v1alpha1, was " + so.getApiVersion());
        }
        Deployment w = worker(objects);
        Container wc = w.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> role(c).equals("worker"))
                .findFirst().orElseThrow();
        JsonNode target = t.path("spec").path("scaleTargetRef");
        if (!target.path("name").asText().equals(w.getMetadata().getName())) {
            bad.add("ScaledObject targets '" + target.path("name").asText() + "', the worker Deployment is '"
                    + w.getMetadata().getName() + "'");
        }
        if (!target.path("kind").asText("Deployment").equals("Deployment")
                || !target.path("apiVersion").asText("apps/v1").equals("apps/v1")) {
            bad.add("ScaledObject must target an apps/v1 Deployment");
        }
        if (!Objects.equals(so.getMetadata().getNamespace(), w.getMetadata().getNamespace())) {
            bad.add("ScaledObject and worker Deployment must share a namespace");
        }
        if (w.getSpec().getReplicas() != null) {
            bad.add(name(w) + ": spec.replicas must be unset (KEDA owns it; an apply would reset it)");
        }
        JsonNode spec = t.path("spec");
        int min = spec.path("minReplicaCount").asInt(0);
        int max = spec.path("maxReplicaCount").asInt(100);
        if (!spec.path("maxReplicaCount").isInt() || min > max || min < 0) {
            bad.add("ScaledObject needs 0 <= minReplicaCount <= maxReplicaCount, was " + min + ".." + max);
        }
        JsonNode down = spec.path("advanced").path("horizontalPodAutoscalerConfig").path("behavior").path("scaleDown");
        if (down.path("stabilizationWindowSeconds").asInt(0) < MICRO_BATCH_SECONDS || !down.path("policies").isArray()
                || down.path("policies").isEmpty()) {
            bad.add("ScaledObject scaleDown needs a stabilizationWindowSeconds >= " + MICRO_BATCH_SECONDS + " and policies");
        }
        JsonNode triggers = spec.path("triggers");
        if (!triggers.isArray() || triggers.size() != 1 || !triggers.get(0).path("type").asText().equals("kafka")) {
            bad.add("ScaledObject needs one kafka trigger");
            return bad;
        }
        JsonNode md = triggers.get(0).path("metadata");
        for (Iterator<Map.Entry<String, JsonNode>> it = md.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isString()) {
                bad.add("ScaledObject trigger metadata." + e.getKey() + " must be a string (KEDA's map[string]string), was "
                        + e.getValue());
            }
        }
        expect(bad, md, "consumerGroup", WORKER_GROUP);
        expect(bad, md, "topic", env(wc, "DIFFUSION_CLUSTER_PARTITION_TOPIC").orElse("partitions"));
        expect(bad, md, "bootstrapServers", env(wc, "DIFFUSION_KAFKA_BOOTSTRAP_SERVERS").orElse("?"));
        expect(bad, md, "lagThreshold", "1");
        return bad;
    }

    private static void expect(List<String> bad, JsonNode md, String key, String value) {
        if (!md.path(key).asText("").equals(value)) {
            bad.add("ScaledObject trigger metadata." + key + " must be " + value + ", was " + md.path(key));
        }
    }
}
