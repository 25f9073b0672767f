package io.diffusionbatch.platform;

import java.util.Set;

/** The roles of the application ({@code diffusion.role}); see {@link ConditionalOnRole}. */
public final class Roles {

    /** Local mode's all-in-one process: intake, dispatcher, partitions on threads, dashboard. */
    public static final String SERVER = "server";
    /** Cluster mode's manager: intake, dispatcher, partitions sent to workers, dashboard, metrics. */
    public static final String MANAGER = "manager";
    /** Cluster mode's worker: runs the partitions managers send over Kafka. */
    public static final String WORKER = "worker";
    /** The ledger commands: ledger and Kafka access only. */
    public static final String CLIENT = "client";
    /** {@code doctor}: a client that starts no services. */
    public static final String DOCTOR = "doctor";

    /** The roles that run as a long-lived process with a web server (health probes, metrics). */
    public static final Set<String> PROCESSES = Set.of(SERVER, MANAGER, WORKER);

    private Roles() {
    }
}
