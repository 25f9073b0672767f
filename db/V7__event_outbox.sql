-- Transactional outbox. Every record for Kafka (a lifecycle or progress event, a dead letter) is
-- written here in the same transaction as the change it reports, and published after commit by
-- one relay at a time (the instance holding the relay's lease), in id order, at least once. The
-- id is the event's id on the topic (field eventId, header diffusion.event-id): readers drop an
-- event whose id they have seen. A row is deleted once the broker has acknowledged it.
CREATE TABLE event_outbox (
    id         BIGSERIAL PRIMARY KEY,
    topic      TEXT        NOT NULL,
    key        TEXT,
    value      BYTEA,                                  -- null: a tombstone
    headers    JSONB       NOT NULL DEFAULT '{}'::jsonb, -- header name → UTF-8 text
    request_id BIGINT REFERENCES requests (id),         -- the run it reports, if any
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    refused    TEXT                                     -- set when the broker refused the record itself (e.g. too
                                                        -- large): it is kept here, out of the way of later records
);

-- Which instance relays the outbox, until when (renewed while it runs; another takes over once it
-- has expired or was released).
CREATE TABLE event_relay (
    id          INT PRIMARY KEY CHECK (id = 1),
    owner       TEXT,
    lease_until TIMESTAMPTZ
);
INSERT INTO event_relay (id) VALUES (1);

-- The stored lifecycle event and the record published for it share the id readers deduplicate on,
-- so a reader that falls back to the ledger when the topic lags sees the same event once.
ALTER TABLE request_events ADD COLUMN event_id BIGINT;
CREATE INDEX request_events_by_event_id ON request_events (event_id);
