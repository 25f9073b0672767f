-- Cluster mode: the partitions a manager dispatched to worker processes (one row per partition step
-- execution). The row is the queue and the lease: the manager writes it 'queued' before it sends the
-- partition request over Kafka; a worker claims the queued partition of the highest priority (one
-- UPDATE that also checks, in the same transaction, that Spring Batch's step execution is still
-- STARTING, so a redelivered request never runs a partition twice), renews its lease with a
-- heartbeat, and makes items only while the row says it holds the partition. A manager puts a
-- partition whose lease ran out back in the queue (its step execution back to STARTING) and sends
-- its request again; after max-attempts losses the partition fails its run.
CREATE TABLE partitions (
    step_execution_id BIGINT PRIMARY KEY,            -- BATCH_STEP_EXECUTION.STEP_EXECUTION_ID
    request_id        BIGINT      NOT NULL REFERENCES requests (id),
    job_execution_id  BIGINT      NOT NULL,
    name              TEXT        NOT NULL,          -- the step's name, e.g. generatePartition:partition0
    priority          INT         NOT NULL DEFAULT 0, -- the request's
    max_running       INT,                           -- partitions of this run running at once at most; null = any
    state             TEXT        NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'running', 'done', 'abandoned')),
    worker            TEXT,                          -- the holder while running (host:pid:random)
    lease_until       TIMESTAMPTZ,
    attempts          INT         NOT NULL DEFAULT 0, -- claims so far
    lost              INT         NOT NULL DEFAULT 0, -- leases that ran out (workers that died or hung)
    queued_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ
);
-- Workers take the queued partition of the highest priority, then the oldest.
CREATE INDEX partitions_queued ON partitions (priority DESC, queued_at, step_execution_id) WHERE state = 'queued';
CREATE INDEX partitions_running ON partitions (lease_until) WHERE state = 'running';
CREATE INDEX partitions_by_request ON partitions (request_id);

-- Which partition ran where, attempt by attempt (an audit of re-dispatches: a worker's death shows
-- here as a 'lost' attempt followed by another worker's).
CREATE TABLE partition_attempts (
    step_execution_id BIGINT      NOT NULL,
    attempt           INT         NOT NULL,
    request_id        BIGINT      NOT NULL,
    worker            TEXT        NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at          TIMESTAMPTZ,
    outcome           TEXT CHECK (outcome IN ('completed', 'failed', 'stopped', 'lost', 'released', 'abandoned')),
    PRIMARY KEY (step_execution_id, attempt)
);
CREATE INDEX partition_attempts_by_request ON partition_attempts (request_id);

-- The role of each server process: submit needs a live server or manager (a worker reads no requests).
ALTER TABLE servers ADD COLUMN role TEXT NOT NULL DEFAULT 'server';

-- Which processor made each item (the GPU as NVML names it, e.g. NVIDIA H100 80GB HBM3; the CPU as the
-- operating system does): workers of a cluster may differ, and so do their costs.
ALTER TABLE item_stats ADD COLUMN hardware TEXT;
