-- The server processes that use this ledger, one row each: written when a server has checked its
-- dependencies and starts dispatching, renewed with its run leases (every third of the lease), and
-- deleted when it stops cleanly. A row whose heartbeat is older than a lease is a dead server's.
-- submit refuses to send a request when no server is alive (nobody would read it); doctor lists them.
-- (V7 is reserved for another change in flight.)
CREATE TABLE servers (
    id           TEXT PRIMARY KEY,          -- ServerInstance id: host:pid:random
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    version      TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
