package io.diffusionbatch.k8s;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import io.diffusionbatch.platform.DiffusionProperties;
import io.diffusionbatch.web.WebSettings;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertyState;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configuration keys an environment variable of a pod may set, and whether a variable's name
 * binds to one of them the way Spring Boot binds the process environment (relaxed binding of
 * {@code SystemEnvironmentPropertySource}: {@code DIFFUSION_JOB_THREADS} to {@code diffusion.job.threads},
 * {@code DIFFUSION_OUTPUT_ROOT} to {@code diffusion.output-root}, {@code DIFFUSION_KAFKA_PROPERTIES_X}
 * into the map {@code diffusion.kafka.properties}).
 * <p>
 * Known keys: every component path of {@link DiffusionProperties} and of {@link WebSettings} (under
 * {@code diffusion.web}), found by walking the records, a map or list accepting any sub-key; every
 * property of Spring Boot's configuration metadata on the class path
 * ({@code META-INF/spring-configuration-metadata.json}, e.g. {@code spring.datasource.url}); and the
 * short allow-lists below. Immutable after construction; thread-safe.
 */
final class ConfigKeys {

    /** Variables read by the JVM or the image, not by Spring. */
    static final Set<String> ENV_ALLOWED = Set.of(
            "JAVA_TOOL_OPTIONS");       // the JVM's own options (heap share, exit on OOM, tmpdir)

    /** Keys the platform reads with {@code Environment.getProperty}, outside any properties record. */
    static final Set<String> KEYS_ALLOWED = Set.of(
            "diffusion.local.mode");    // DiffusionBatchApplication / LocalModeInitializer: serve|client|off

    private final Set<ConfigurationPropertyName> leaves = new LinkedHashSet<>();
    private final Set<ConfigurationPropertyName> prefixes = new LinkedHashSet<>();

    ConfigKeys() {
        walk("diffusion", DiffusionProperties.class);
        walk("diffusion.web", WebSettings.class);
        KEYS_ALLOWED.forEach(k -> leaves.add(ConfigurationPropertyName.of(k)));
        readBootMetadata();
    }

    /** Whether the environment variable {@code name} sets a known key (or is allow-listed). */
    boolean knows(String envName) {
        if (ENV_ALLOWED.contains(envName)) {
            return true;
        }
        ConfigurationPropertySource source = ConfigurationPropertySource.from(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(envName, "x")));
        for (ConfigurationPropertyName leaf : leaves) {
            if (source.getConfigurationProperty(leaf) != null) {
                return true;
            }
        }
        for (ConfigurationPropertyName prefix : prefixes) {
            if (source.containsDescendantOf(prefix) == ConfigurationPropertyState.PRESENT) {
                return true;
            }
        }
        return false;
    }

    /** Every leaf key found (for messages and the test of the walk). */
    Set<String> leafKeys() {
        Set<String> out = new LinkedHashSet<>();
        leaves.forEach(n -> out.add(n.toString()));
        return Collections.unmodifiableSet(out);
    }

    private void walk(String prefix, Class<?> record) {
        for (RecordComponent c : record.getRecordComponents()) {
            String key = prefix + "." + dashed(c.getName());
            Class<?> type = c.getType();
            if (type.isRecord()) {
                walk(key, type);
            } else if (Map.class.isAssignableFrom(type)) {
                prefixes.add(ConfigurationPropertyName.of(key));  // any sub-key: names of the catalog, client settings
                leaves.add(ConfigurationPropertyName.of(key));
            } else if (Collection.class.isAssignableFrom(type) || type.isArray()) {
                leaves.add(ConfigurationPropertyName.of(key));    // a comma-separated value, or indexed entries
                prefixes.add(ConfigurationPropertyName.of(key));
            } else {
                leaves.add(ConfigurationPropertyName.of(key));
            }
        }
    }

    /** {@code outputRoot} → {@code output-root} (Boot's canonical form of a component name). */
    static String dashed(String camel) {
        StringBuilder b = new StringBuilder();
        for (char ch : camel.toCharArray()) {
            if (Character.isUpperCase(ch)) {
                b.append('-').append(Character.toLowerCase(ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    private void readBootMetadata() {
        ObjectMapper json = new tools.jackson.databind.json.JsonMapper();
        List<URL> urls;
        try {
            urls = Collections.list(ConfigKeys.class.getClassLoader()
                    .getResources("META-INF/spring-configuration-metadata.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> read = new ArrayList<>();
        for (URL url : urls) {
            try (InputStream in = url.openStream()) {
                JsonNode root = json.readTree(in);
                for (JsonNode p : root.path("properties")) {
                    ConfigurationPropertyName name = ConfigurationPropertyName.ofIfValid(p.path("name").asText());
                    if (name == null) {
                        continue;
                    }
                    leaves.add(name);
                    String type = p.path("type").asText("");
                    if (type.startsWith("java.util.Map") || type.startsWith("java.util.List")) {
                        prefixes.add(name);
                    }
                }
                read.add(url.toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + url, e);
            }
        }
        if (read.isEmpty()) {
            throw new IllegalStateException("no META-INF/spring-configuration-metadata.json on the class path");
        }
    }
}
