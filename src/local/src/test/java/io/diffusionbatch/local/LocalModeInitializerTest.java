package io.diffusionbatch.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.MapPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Embedded services are never started beside external ones the user named. */
class LocalModeInitializerTest {

    private static GenericApplicationContext context(Map<String, Object> jarDefaults, Map<String, Object> given) {
        GenericApplicationContext ctx = new GenericApplicationContext();
        // what the jar's application.yaml contributes, and what the user gives (arguments, environment)
        ctx.getEnvironment().getPropertySources().addLast(new MapPropertySource(
                "Config resource 'class path resource [application.yaml]' via location 'optional:classpath:/'", jarDefaults));
        ctx.getEnvironment().getPropertySources().addFirst(new MapPropertySource("commandLineArgs", given));
        ConfigurationPropertySources.attach(ctx.getEnvironment()); // as Spring Boot does: a view over all sources
        return ctx;
    }

    @Test
    void aGivenDatabaseAddressMeansNothingEmbeddedStarts(@TempDir Path dir) {
        GenericApplicationContext ctx = context(Map.of("diffusion.kafka.bootstrap-servers", "localhost:9092"),
                Map.of("diffusion.local.mode", "serve", "diffusion.data-dir", dir.toString(),
                        "spring.datasource.url", "jdbc:postgresql://db.example:5432/ledger"));
        new LocalModeInitializer().initialize(ctx);
        assertThat(ctx.getEnvironment().getProperty("diffusion.local.mode")).isEqualTo("off");
        assertThat(ctx.getEnvironment().getProperty("spring.datasource.url")).isEqualTo("jdbc:postgresql://db.example:5432/ledger");
        assertThat(ctx.getBeanFactory().containsSingleton("localServices")).isFalse();
        assertThat(Files.exists(dir.resolve("postgres"))).as("no embedded PostgreSQL was started").isFalse();
    }

    @Test
    void theJarsOwnDefaultsAreNotExternalAddresses() {
        GenericApplicationContext ctx = context(Map.of("diffusion.kafka.bootstrap-servers", "localhost:9092"), Map.of());
        assertThat(LocalModeInitializer.explicitlyGiven(ctx.getEnvironment(), "spring.datasource.url",
                "diffusion.kafka.bootstrap-servers")).isEmpty();
        GenericApplicationContext given = context(Map.of(), Map.of("diffusion.kafka.bootstrap-servers", "k:9093"));
        assertThat(LocalModeInitializer.explicitlyGiven(given.getEnvironment(), "spring.datasource.url",
                "diffusion.kafka.bootstrap-servers")).containsExactly("diffusion.kafka.bootstrap-servers (commandLineArgs)");
    }
}
