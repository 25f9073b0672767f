package io.diffusionbatch.job;

import io.diffusionbatch.platform.ConditionalOnRole;
import io.diffusionbatch.platform.Roles;
import io.diffusionbatch.ledger.ServerStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * This server's row in the ledger's {@code servers} table ({@link ServerStore}): written and renewed
 * by the {@link JobDispatcher}'s heartbeat once every dependency was checked, deleted when it stops
 * cleanly; {@code submit} and {@code doctor} see it as a live server. Active in the server, manager and worker roles;
 * thread-safe.
 */
@Component
@ConditionalOnRole({Roles.SERVER, Roles.MANAGER, Roles.WORKER})
public class ServerRegistration {

    /** How long a dead server's row is kept (for {@code doctor} and audits of what ran when). */
    static final Duration FORGET_AFTER = Duration.ofDays(1);

    private final ServerStore servers;
    private final ServerInstance instance;
    private final String version;
    private boolean registered;

    private final String role;

    public ServerRegistration(ServerStore servers, ServerInstance instance, ObjectProvider<BuildProperties> build,
                              org.springframework.core.env.Environment env) {
        this.servers = servers;
        this.role = env.getProperty("diffusion.role", "server");
        this.instance = instance;
        BuildProperties b = build.getIfAvailable();
        this.version = b != null && b.getVersion() != null ? b.getVersion() : "unknown";
    }

    /**
     * Writes this server's row or renews its heartbeat; the first time, also forgets servers silent
     * for {@link #FORGET_AFTER} (dead ones: a crash leaves its row).
     */
    public synchronized void beat() {
        servers.beat(instance.id(), instance.host(), ProcessHandle.current().pid(), version, role);
        if (!registered) {
            servers.forget(FORGET_AFTER);
            registered = true;
        }
    }

    /** Deletes this server's row: it stops. */
    public void leave() {
        servers.remove(instance.id());
    }
}
