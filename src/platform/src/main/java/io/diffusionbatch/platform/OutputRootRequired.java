package io.diffusionbatch.platform;

import org.springframework.boot.context.event.ApplicationContextInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/**
 * Refuses to start without {@code diffusion.output-root}. The jar has no default for it: local mode puts one under
 * its data folder ({@code LocalModeInitializer}, a context initializer, so this runs after it), and with external
 * Kafka and PostgreSQL any instance may run, show or serve any run, so all of them must see the same output files:
 * the folder is the user's to name. Checked once the context's initializers ran and before any bean is made (no
 * connection is opened first). Registered in the platform's {@code META-INF/spring.factories}. Stateless and
 * thread-safe.
 */
public final class OutputRootRequired implements ApplicationListener<ApplicationContextInitializedEvent> {

    /** The setting. */
    public static final String KEY = "diffusion.output-root";

    @Override
    public void onApplicationEvent(ApplicationContextInitializedEvent event) {
        check(event.getApplicationContext().getEnvironment());
    }

    /** @throws IllegalStateException in one line naming the setting and why, when it has no value */
    static void check(Environment env) {
        String root = env.getProperty(KEY);
        if (root == null || root.isBlank()) {
            throw new IllegalStateException(KEY + " (environment DIFFUSION_OUTPUT_ROOT) is not set: with external"
                    + " Kafka and PostgreSQL every instance runs, shows and serves any run, so set it to the shared"
                    + " folder (a volume every replica mounts) that holds the outputs, as this instance sees it");
        }
    }
}
