package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ServerStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.info.BuildProperties;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * This server's row in the ledger's {@code servers} table ({@link ServerStore}): written and renewed
 * by the {@link JobDispatcher}'s heartbeat once every dependency was checked, deleted when it stops
 * cleanly; {@code submit} and {@code doctor} see it as a live server. Active in the server role only;
 * thread-safe.
 */
@Component
@ConditionalOnProperty(name = "diffusion.role", havingValue = "server")
public class ServerRegistration {

    /** How long a dead server's row is kept (for {@code doctor} and audits of what ran when). */
    static final Duration FORGET_AFTER = Duration.ofDays(1);

    private final ServerStore servers;
    private final ServerInstance instance;
    private final String version;
    private boolean registered;

    public ServerRegistration(ServerStore servers, ServerInstance instance, ObjectProvider<BuildProperties> build) {
        this.servers = servers;
        this.instance = instance;
        BuildProperties b = build.getIfAvailable();
        this.version = b != null && b.getVersion() != null ? b.getVersion() : "unknown";
    }

    /**
     * Writes this server's row or renews its heartbeat; the first time, also forgets servers silent
     * for {@link #FORGET_AFTER} (dead ones: a crash leaves its row).
     */
    synchronized void beat() {
        servers.beat(instance.id(), instance.host(), ProcessHandle.current().pid(), version);
        if (!registered) {
            servers.forget(FORGET_AFTER);
            registered = true;
        }
    }

    /** Deletes this server's row: it stops. */
    void leave() {
        servers.remove(instance.id());
    }
}
