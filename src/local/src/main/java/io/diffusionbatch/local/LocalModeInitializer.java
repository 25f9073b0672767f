package io.diffusionbatch.local;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Puts the local Postgres and Kafka in place before the Spring context is built, so the
 * datasource, Flyway and the Kafka clients see ordinary settings. Property
 * {@code diffusion.local.mode}:
 * <ul>
 *   <li>{@code off}: external services; {@code spring.datasource.*} and
 *       {@code diffusion.kafka.bootstrap-servers} come from configuration. It is also the mode
 *       whenever the user gives {@code spring.datasource.url} or {@code diffusion.kafka.bootstrap-servers}
 *       (arguments, environment, configuration files; not the jar's defaults): embedded services
 *       are never started beside external ones;</li>
 *   <li>{@code serve} (default): start Postgres and Kafka under {@code diffusion.data-dir};</li>
 *   <li>{@code client}: use the services a running {@code serve} recorded in the data
 *       directory; with none running, start Postgres alone (enough for reading the ledger);</li>
 *   <li>{@code probe} ({@code doctor}): use the services a running {@code serve} recorded; with none
 *       running, fail: nothing is started.</li>
 * </ul>
 * In {@code serve} and {@code client} the output root defaults to {@code outputs} in the data directory (the jar has
 * no default: with external services it must be given, a folder every instance shares).
 * The started services are registered as a bean and stop with the context. A serving process
 * also records its dashboard's URL in {@code services.json} when its web server starts
 * ({@link DashboardUrlRecorder}).
 */
public final class LocalModeInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        String mode = env.getProperty("diffusion.local.mode", "serve");
        List<String> given = explicitlyGiven(env, "spring.datasource.url", "diffusion.kafka.bootstrap-servers");
        if (!mode.equals("off") && !given.isEmpty()) {
            // addresses of external services were given: never start embedded ones beside them
            mode = "off";
            env.getPropertySources().addFirst(new MapPropertySource("diffusion-external-services",
                    Map.of("diffusion.local.mode", "off")));
        }
        if (mode.equals("off")) {
            return;
        }
        Path dataDir = Path.of(env.getProperty("diffusion.data-dir", "data")).toAbsolutePath().normalize();
        LocalServices services;
        switch (mode) {
            case "serve" -> {
                LocalServices.Running running = LocalServices.start(dataDir, true);
                register(context, running);
                services = running.services();
                // where the dashboard listens goes into services.json next to the services
                context.addApplicationListener(new DashboardUrlRecorder(dataDir));
            }
            case "client" -> {
                Optional<LocalServices> found = LocalServices.discover(dataDir);
                Optional<LocalServices> owner = LocalServices.owner(dataDir);
                if (found.isPresent()) {
                    services = found.get();
                } else if (owner.isPresent() && !owner.get().databaseReachable()) {
                    // the server is alive but its database does not answer: starting a second
                    // PostgreSQL on its data would fail on the lock, so say what is wrong instead
                    throw new IllegalStateException("the server (process " + owner.get().pid() + ") serving "
                            + dataDir + " is running, but its PostgreSQL at " + owner.get().databaseAddress()
                            + " does not answer: it stopped or is restarting. The server waits for it and goes on"
                            + " when it is back; see the server's log, and try again later");
                } else {
                    LocalServices.Running running = LocalServices.start(dataDir, false);
                    register(context, running);
                    services = running.services();
                }
            }
            case "probe" -> services = LocalServices.discover(dataDir).orElseThrow(() -> new IllegalStateException(
                    "no server is running for " + dataDir + " (local mode), and this command starts no services: "
                    + "start 'serve', or name external ones (--spring.profiles.active=external)"));
            default -> throw new IllegalArgumentException(
                    "diffusion.local.mode: must be off, serve, client or probe, was '" + mode + "'");
        }
        Map<String, Object> props = new HashMap<>();
        props.put("spring.datasource.url", services.jdbcUrl());
        props.put("spring.datasource.username", "postgres");
        props.put("spring.datasource.password", "postgres");
        if (services.bootstrapServers() != null) {
            props.put("diffusion.kafka.bootstrap-servers", services.bootstrapServers());
        }
        props.put("diffusion.local.data-dir-resolved", dataDir.toString());
        env.getPropertySources().addFirst(new MapPropertySource("diffusion-local-services", props));
        // last: any diffusion.output-root the user gives wins
        env.getPropertySources().addLast(new MapPropertySource("diffusion-local-defaults",
                Map.of("diffusion.output-root", dataDir.resolve("outputs").toString())));
    }

    /** Registered first, so destroyed last: after the connection pool and the Kafka clients. */
    private static void register(ConfigurableApplicationContext context, LocalServices.Running running) {
        DefaultListableBeanFactory bf = (DefaultListableBeanFactory) context.getBeanFactory();
        bf.registerSingleton("localServices", running);
        bf.registerDisposableBean("localServices", running::close);
    }

    /**
     * The keys set by the user (command line, system properties, environment, configuration files
     * or profiles), not only by the jar's own defaults.
     */
    static List<String> explicitlyGiven(ConfigurableEnvironment env, String... keys) {
        List<String> given = new ArrayList<>();
        for (String key : keys) {
            for (PropertySource<?> source : env.getPropertySources()) {
                String name = source.getName();
                // "configurationProperties" is Spring Boot's view over all the others, not a source of its own
                boolean jarDefault = name.equals("configurationProperties") || name.equals("defaultProperties")
                        || name.contains("class path resource") || name.contains("classpath:");
                if (!jarDefault && source.containsProperty(key)) {
                    given.add(key + " (" + name + ")");
                    break;
                }
            }
        }
        return given;
    }
}
