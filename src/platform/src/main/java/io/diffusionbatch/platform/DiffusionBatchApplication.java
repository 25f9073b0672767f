package io.diffusionbatch.platform;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

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
     * @param role {@code server} (intake, dispatcher and workers run) or {@code client} (ledger
     *             and Kafka access only)
     * @param args Spring arguments such as {@code --diffusion.data-dir=...}
     */
    public static ConfigurableApplicationContext start(String role, String... args) {
        SpringApplication app = new SpringApplication(DiffusionBatchApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setDefaultProperties(java.util.Map.of("diffusion.role", role,
                "diffusion.local.mode", role.equals("server") ? "serve" : "client"));
        app.setLogStartupInfo(false);
        return app.run(args);
    }
}
