package io.diffusionbatch.faults;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged jar ({@code target/diffusion-batch.jar}) as a deployment starts it: in external mode,
 * the services named only by the environment ({@code SPRING_PROFILES_ACTIVE=external},
 * {@code SPRING_DATASOURCE_*}, {@code DIFFUSION_KAFKA_BOOTSTRAP_SERVERS}, {@code DIFFUSION_OUTPUT_ROOT}). Shared by the ITs that
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
        ProcessBuilder pb = new ProcessBuilder(java(List.of(), List.of(args))).directory(cwd.toFile());
        Map<String, String> e = pb.environment();
        e.put("SPRING_PROFILES_ACTIVE", "external");
        e.put("SPRING_DATASOURCE_URL", jdbcUrl);
        e.put("SPRING_DATASOURCE_USERNAME", "postgres");
        e.put("SPRING_DATASOURCE_PASSWORD", "postgres");
        e.put("DIFFUSION_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        e.put("DIFFUSION_OUTPUT_ROOT", cwd.resolve("outputs").toString()); // external mode requires one
        e.putAll(env);
        return pb;
    }

    /**
     * {@code java [jvmOptions] -jar ABSOLUTE/target/diffusion-batch.jar [args]}: the jar of the repository
     * root (the tests' working directory), so the process may run in any directory.
     */
    static List<String> java(List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", Path.of("target/diffusion-batch.jar").toAbsolutePath().toString()));
        cmd.addAll(args);
        return cmd;
    }
}
