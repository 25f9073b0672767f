package io.diffusionbatch.platform;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The platform's Spring Boot application. Started by the CLI ({@code serve}, {@code demo},
 * {@code submit}, {@code runs}, ...) with {@link #start}. Where the local module is on the class
 * path (the local distribution, the tests), its context initializer (listed in its
 * {@code META-INF/spring.factories}) puts the embedded Postgres and Kafka in place first; the server
 * distribution has no such module and runs against the configured services only.
 */
@SpringBootApplication(scanBasePackages = "io.diffusionbatch")
public class DiffusionBatchApplication {

    /**
     * Starts the context.
     *
     * @param role {@code server} (intake, dispatcher and workers run, and the dashboard on an
     *             embedded web server unless {@code diffusion.web.port} is -1: the web module's
     *             {@code WebServerSwitch}, listed in {@code META-INF/spring.factories}, decides) or {@code client}
     *             (ledger and Kafka access only, no web server) or {@code doctor} (a client whose local mode
     *             starts no services but uses a running server's) or {@code manager} / {@code worker}
     *             (cluster mode, {@link Roles}; web server for health and metrics as in {@code server})
     * @param args Spring arguments such as {@code --diffusion.data-dir=...}
     */
    public static ConfigurableApplicationContext start(String role, String... args) {
        return application(role, DiffusionBatchApplication.class).run(args);
    }

    /**
     * The application of a role, not yet started, with {@code source} as its configuration
     * ({@link DiffusionBatchApplication} for the platform; a test may start less).
     */
    public static SpringApplication application(String role, Class<?> source) {
        SpringApplication app = new SpringApplication(source);
        boolean process = Roles.PROCESSES.contains(role);
        app.setWebApplicationType(process ? WebApplicationType.SERVLET : WebApplicationType.NONE);
        // the cluster roles run against external services (or, with --diffusion.local.mode=client, the
        // embedded ones a local server started)
        String localMode = switch (role) {
            case Roles.SERVER -> "serve";
            case Roles.MANAGER, Roles.WORKER -> "off";
            case Roles.DOCTOR -> "probe";
            default -> "client";
        };
        Map<String, Object> defaults = new HashMap<>(Map.of("diffusion.role", role, "diffusion.local.mode", localMode));
        home(System.getProperty("java.class.path", "")).ifPresent(home -> {
            // the distribution's own config/ wherever the command is started from (./config/ still
            // counts, and SPRING_CONFIG_ADDITIONAL_LOCATION names another one)
            defaults.put("diffusion.home", home.toString());
            defaults.put("spring.config.additional-location", "optional:file:" + home.resolve("config") + "/");
        });
        app.setDefaultProperties(defaults);
        app.setLogStartupInfo(false);
        return app;
    }

    /**
     * The distribution's folder: where the running jar's folder, or the one above it (the
     * repository for {@code target/diffusion-batch.jar}), holds {@code config/application.yaml}.
     * Empty when not started from a jar (tests, an IDE).
     *
     * @param classPath the JVM's class path ({@code java -jar X} makes it {@code X})
     */
    static Optional<Path> home(String classPath) {
        String first = classPath.split(java.io.File.pathSeparator, -1)[0];
        if (!first.endsWith(".jar")) {
            return Optional.empty();
        }
        Path dir = Path.of(first).toAbsolutePath().normalize().getParent();
        for (Path d = dir; d != null && (d.equals(dir) || d.equals(dir.getParent())); d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("config").resolve("application.yaml"))) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
