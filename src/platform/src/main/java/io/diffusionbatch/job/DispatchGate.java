package io.diffusionbatch.job;

/**
 * Whether this process may claim and start runs now. Local mode's servers always may (replicas share
 * the runs through their leases); in cluster mode only the active manager does, and a standby waits
 * ({@code cluster.ManagerLeadership}). Implementations are thread-safe and answer at once.
 */
public interface DispatchGate {

    /** Always open. */
    DispatchGate OPEN = () -> true;

    /** Whether runs may be claimed, recovered and started by this process now. */
    boolean mayDispatch();
}
