-- Items per run and status, kept by the database itself so that the dashboard, the API, the CLI and
-- the metrics read a few rows instead of counting millions of items (issue 14: two 2,000,000-item
-- runs made the runs list take ~10 s).
--
-- Statement-level triggers with transition tables add each statement's per-run deltas, whatever
-- writes the items (COPY of the expand step, the workers' batch UPDATEs, cancel, SQL by hand): one
-- aggregate and one upsert per statement, not per row, so COPY of a million items pays once.
--
-- A run's counts are spread over up to 16 stripes (the writing backend's pid modulo 16) and summed
-- when read: a transaction locks only its own stripe row until it commits, so partitions that commit
-- at the same time on different connections do not queue behind one row. A transaction locks one
-- counter row per run it writes, and each of the platform's writers writes one run per transaction, so
-- counter rows cannot close a deadlock cycle between them.
CREATE TABLE run_counters (
    request_id BIGINT   NOT NULL,
    stripe     SMALLINT NOT NULL,
    pending    BIGINT   NOT NULL DEFAULT 0,
    done       BIGINT   NOT NULL DEFAULT 0,
    failed     BIGINT   NOT NULL DEFAULT 0,
    cancelled  BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (request_id, stripe)
);

-- Adds a statement's per-run deltas to the writing backend's stripe. An UPDATE that leaves every
-- status as it was (a re-recorded item, done again) writes no counter and takes no lock on one.
CREATE FUNCTION run_counters_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO run_counters AS c (request_id, stripe, pending, done, failed, cancelled)
        SELECT request_id, pg_backend_pid() % 16,
               COALESCE(sum(n) FILTER (WHERE status = 'pending'), 0), COALESCE(sum(n) FILTER (WHERE status = 'done'), 0),
               COALESCE(sum(n) FILTER (WHERE status = 'failed'), 0), COALESCE(sum(n) FILTER (WHERE status = 'cancelled'), 0)
        FROM (SELECT request_id, status, 1 AS n FROM new_items) d
        GROUP BY request_id
        HAVING bool_or(n <> 0)
        ON CONFLICT (request_id, stripe) DO UPDATE SET pending = c.pending + EXCLUDED.pending,
            done = c.done + EXCLUDED.done, failed = c.failed + EXCLUDED.failed, cancelled = c.cancelled + EXCLUDED.cancelled;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO run_counters AS c (request_id, stripe, pending, done, failed, cancelled)
        SELECT request_id, pg_backend_pid() % 16,
               COALESCE(sum(n) FILTER (WHERE status = 'pending'), 0), COALESCE(sum(n) FILTER (WHERE status = 'done'), 0),
               COALESCE(sum(n) FILTER (WHERE status = 'failed'), 0), COALESCE(sum(n) FILTER (WHERE status = 'cancelled'), 0)
        FROM (SELECT request_id, status, sum(n) AS n FROM (SELECT request_id, status, 1 AS n FROM new_items UNION ALL SELECT request_id, status, -1 FROM old_items) u GROUP BY request_id, status) d
        GROUP BY request_id
        HAVING bool_or(n <> 0)
        ON CONFLICT (request_id, stripe) DO UPDATE SET pending = c.pending + EXCLUDED.pending,
            done = c.done + EXCLUDED.done, failed = c.failed + EXCLUDED.failed, cancelled = c.cancelled + EXCLUDED.cancelled;
    ELSE
        INSERT INTO run_counters AS c (request_id, stripe, pending, done, failed, cancelled)
        SELECT request_id, pg_backend_pid() % 16,
               COALESCE(sum(n) FILTER (WHERE status = 'pending'), 0), COALESCE(sum(n) FILTER (WHERE status = 'done'), 0),
               COALESCE(sum(n) FILTER (WHERE status = 'failed'), 0), COALESCE(sum(n) FILTER (WHERE status = 'cancelled'), 0)
        FROM (SELECT request_id, status, -1 AS n FROM old_items) d
        GROUP BY request_id
        HAVING bool_or(n <> 0)
        ON CONFLICT (request_id, stripe) DO UPDATE SET pending = c.pending + EXCLUDED.pending,
            done = c.done + EXCLUDED.done, failed = c.failed + EXCLUDED.failed, cancelled = c.cancelled + EXCLUDED.cancelled;
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE has no transition table: it empties the counters with the items.
CREATE FUNCTION run_counters_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM run_counters;
    RETURN NULL;
END $$;

-- No write to items may happen between the backfill and the triggers (Flyway runs this file in
-- one transaction; the lock is held until it commits).
LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER items_counted_insert AFTER INSERT ON items REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION run_counters_add();
CREATE TRIGGER items_counted_update AFTER UPDATE ON items REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION run_counters_add();
CREATE TRIGGER items_counted_delete AFTER DELETE ON items REFERENCING OLD TABLE AS old_items
    FOR EACH STATEMENT EXECUTE FUNCTION run_counters_add();
CREATE TRIGGER items_counted_truncate AFTER TRUNCATE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION run_counters_clear();

-- The items already in the ledger, in stripe 0.
INSERT INTO run_counters (request_id, stripe, pending, done, failed, cancelled)
SELECT request_id, 0, count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'done'),
       count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'cancelled')
FROM items GROUP BY request_id;
