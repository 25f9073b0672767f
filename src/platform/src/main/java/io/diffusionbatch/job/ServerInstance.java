package io.diffusionbatch.job;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This server process among the replicas that share the ledger: the owner name its run leases
 * carry ({@code host:pid:random}, new at every start, so a restarted process is a new owner).
 * Immutable and thread-safe.
 */
@Component
public class ServerInstance implements DisposableBean {

    /** The instances alive in this JVM (tests run several replicas in one process). */
    private static final Set<String> IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final String host = lookUpHost();
    private final String id = host + ":" + ProcessHandle.current().pid() + ":" + UUID.randomUUID().toString().substring(0, 8);

    /**
     * Whether {@code owner} is an earlier process of this machine that is gone: the same host, and
     * its pid no longer alive, or the pid of this very process (a container restarted in place
     * keeps its host name and often its pid) with another random part. Its leases need not be
     * waited out.
     */
    public boolean isDeadLocalPredecessor(String owner) {
        String[] parts = owner.split(":");
        if (parts.length != 3 || owner.equals(id) || !parts[0].equals(host) || IN_THIS_JVM.contains(owner)) {
            return false;
        }
        try {
            long pid = Long.parseLong(parts[1]);
            return pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    public ServerInstance() {
        IN_THIS_JVM.add(id);
    }

    @Override
    public void destroy() {
        IN_THIS_JVM.remove(id);
    }

    /** This machine's host name (the first part of {@link #id()}); never null. */
    public String host() {
        return host;
    }

    /** The owner name of this process's leases; never null. */
    public String id() {
        return id;
    }

    private static String lookUpHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
