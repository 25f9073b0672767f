package io.diffusionbatch.ledger;

import java.time.Instant;

/**
 * A server process as the {@code servers} table keeps it ({@link ServerStore}).
 *
 * @param id          the process's instance id ({@code host:pid:random}, its run leases' owner)
 * @param host        the machine's name
 * @param pid         the process id on that machine
 * @param version     the server's version ({@code unknown} when the build did not say)
 * @param startedAt   when it registered
 * @param heartbeatAt its last heartbeat
 * @param role        {@code server}, {@code manager} or {@code worker}
 */
public record ServerRow(String id, String host, long pid, String version, Instant startedAt, Instant heartbeatAt,
                        String role) {

    /** Whether it reads requests (a server or a manager; a worker only runs partitions). */
    public boolean readsRequests() {
        return !"worker".equals(role);
    }
}
