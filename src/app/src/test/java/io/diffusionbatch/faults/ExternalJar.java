package io.diffusionbatch.faults;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged jar ({@code target/diffusion-batch.jar}) as a deployment starts it: in external mode,
 * the services named only by the environment ({@code SPRING_PROFILES_ACTIVE=external},
 * {@code SPRING_DATASOURCE_*}, {@code DIFFUSION_KAFKA_BOOTSTRAP_SERVERS}). Shared by the ITs that
 * launch it; stateless.
 */
final class ExternalJar {

    private ExternalJar() {
    }

    /**
     * A process builder for {@code java -jar diffusion-batch.jar ARGS} (not started) in {@code cwd}.
     *
     * @param jdbcUrl   the ledger's address (user {@code postgres}, password {@code postgres} unless
     *                  {@code env} says otherwise)
     * @param bootstrap Kafka's address
     * @param env       further environment variables, winning over the above
     */
    static ProcessBuilder command(Path cwd, String jdbcUrl, String bootstrap, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target/diffusion-batch.jar").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        Map<String, String> e = pb.environment();
        e.put("SPRING_PROFILES_ACTIVE", "external");
        e.put("SPRING_DATASOURCE_URL", jdbcUrl);
        e.put("SPRING_DATASOURCE_USERNAME", "postgres");
        e.put("SPRING_DATASOURCE_PASSWORD", "postgres");
        e.put("DIFFUSION_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        e.putAll(env);
        return pb;
    }
}
