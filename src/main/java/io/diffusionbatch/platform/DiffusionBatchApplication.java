package io.diffusionbatch.platform;

import io.diffusionbatch.local.LocalModeInitializer;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The platform's Spring Boot application. Started by the CLI ({@code serve}, {@code demo},
 * {@code submit}, {@code runs}, ...) with {@link #start}; local mode's Postgres and Kafka are put in
 * place first by {@link LocalModeInitializer}.
 */
@SpringBootApplication(scanBasePackages = "io.diffusionbatch")
public class DiffusionBatchApplication {

    /**
     * Starts the context.
     *
     * @param role {@code server} (intake, dispatcher and workers run) or {@code client} (ledger
     *             and Kafka access only)
     * @param args Spring arguments such as {@code --diffusion.data-dir=...}
     */
    public static ConfigurableApplicationContext start(String role, String... args) {
        SpringApplication app = new SpringApplication(DiffusionBatchApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.addInitializers(new LocalModeInitializer());
        app.setDefaultProperties(java.util.Map.of("diffusion.role", role,
                "diffusion.local.mode", role.equals("server") ? "serve" : "client"));
        app.setLogStartupInfo(false);
        return app.run(args);
    }
}
