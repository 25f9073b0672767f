-- The ledger: every request, prompt, item, output and figure, so that an audit or a reproduction
-- needs rows only. Spring Batch's own tables are V1.

-- One row per accepted request (client request id unique: a duplicate reports the existing run).
CREATE TABLE requests (
    id                BIGSERIAL PRIMARY KEY,
    client_request_id TEXT        NOT NULL UNIQUE,
    kind              TEXT        NOT NULL CHECK (kind IN ('image', 'video')),
    model             TEXT        NOT NULL,
    spec              JSONB       NOT NULL,          -- the request's canonical JSON
    item_count        BIGINT      NOT NULL CHECK (item_count >= 0),
    priority          INT         NOT NULL DEFAULT 0,
    status            TEXT        NOT NULL DEFAULT 'accepted'
                      CHECK (status IN ('accepted', 'running', 'completed', 'failed', 'cancelling', 'cancelled')),
    output_dir        TEXT        NOT NULL,          -- absolute, inside the output root
    source            TEXT        NOT NULL,          -- e.g. kafka:requests/0@17 or cli
    labels            JSONB       NOT NULL DEFAULT '{}'::jsonb,
    accepted_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ,
    message           TEXT
);
-- Waiting runs start in priority order, then first come first served.
CREATE INDEX requests_waiting ON requests (priority DESC, id) WHERE status = 'accepted';

-- Prompt texts, deduplicated across requests (the hash index keeps long texts indexable).
CREATE TABLE prompts (
    id   BIGSERIAL PRIMARY KEY,
    text TEXT NOT NULL
);
CREATE UNIQUE INDEX prompts_text_md5 ON prompts (md5(text));

-- One row per item (prompt × seed). Written by the expand step with COPY.
CREATE TABLE items (
    request_id  BIGINT  NOT NULL REFERENCES requests (id),
    idx         BIGINT  NOT NULL,
    prompt_id   BIGINT  NOT NULL REFERENCES prompts (id),
    negative_id BIGINT  REFERENCES prompts (id),
    seed        BIGINT  NOT NULL,
    labels      JSONB,
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
    attempts    INT     NOT NULL DEFAULT 0,
    worker      TEXT,
    error       TEXT,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (request_id, idx)
);

-- The file an item produced (one per item: a retried partition overwrites, never duplicates).
CREATE TABLE outputs (
    request_id BIGINT NOT NULL,
    idx        BIGINT NOT NULL,
    path       TEXT   NOT NULL,            -- relative to the request's output_dir
    sha256     TEXT   NOT NULL,
    media_type TEXT   NOT NULL,
    bytes      BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, idx),
    FOREIGN KEY (request_id, idx) REFERENCES items (request_id, idx)
);

-- Everything the engine's counters report for one item.
CREATE TABLE item_stats (
    request_id          BIGINT NOT NULL,
    idx                 BIGINT NOT NULL,
    model_sha256        TEXT   NOT NULL,
    sampler             TEXT   NOT NULL,
    steps               INT    NOT NULL,
    nfe                 INT    NOT NULL,
    guidance            DOUBLE PRECISION NOT NULL,
    batch_size          INT    NOT NULL,
    batch_position      INT    NOT NULL,
    partition_name      TEXT   NOT NULL,
    tokenize_seconds    DOUBLE PRECISION NOT NULL,
    text_encode_seconds DOUBLE PRECISION NOT NULL,
    denoise_seconds     DOUBLE PRECISION NOT NULL,
    decode_seconds      DOUBLE PRECISION NOT NULL,
    write_seconds       DOUBLE PRECISION NOT NULL,
    device              TEXT   NOT NULL,
    execution_provider  TEXT   NOT NULL,
    threads             INT    NOT NULL,
    params_total        BIGINT NOT NULL,
    unet_flops_per_eval BIGINT NOT NULL,
    flops_per_sample    BIGINT NOT NULL,
    energy_joules       DOUBLE PRECISION,
    energy_source       TEXT,               -- measured:nvml, measured:rapl, estimated:watts, or null
    PRIMARY KEY (request_id, idx),
    FOREIGN KEY (request_id, idx) REFERENCES items (request_id, idx)
);

-- Run-level figures, written by the summarize step.
CREATE TABLE run_stats (
    request_id          BIGINT PRIMARY KEY REFERENCES requests (id),
    items_done          BIGINT NOT NULL,
    items_failed        BIGINT NOT NULL,
    items_cancelled     BIGINT NOT NULL,
    wall_seconds        DOUBLE PRECISION NOT NULL,  -- generate step, first partition start to last end
    items_per_second    DOUBLE PRECISION NOT NULL,
    total_nfe           BIGINT NOT NULL,
    total_flops         DOUBLE PRECISION NOT NULL,
    tokenize_seconds    DOUBLE PRECISION NOT NULL,
    text_encode_seconds DOUBLE PRECISION NOT NULL,
    denoise_seconds     DOUBLE PRECISION NOT NULL,
    decode_seconds      DOUBLE PRECISION NOT NULL,
    write_seconds       DOUBLE PRECISION NOT NULL,
    expand_seconds      DOUBLE PRECISION NOT NULL,
    energy_joules       DOUBLE PRECISION,
    energy_source       TEXT,
    computed_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Lifecycle of a request, as published on the events topic.
CREATE TABLE request_events (
    id         BIGSERIAL PRIMARY KEY,
    request_id BIGINT      NOT NULL REFERENCES requests (id),
    type       TEXT        NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    detail     JSONB       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX request_events_by_request ON request_events (request_id, id);

-- Inputs that were refused, with where they came from, why, and the raw bytes.
CREATE TABLE rejected_inputs (
    id                BIGSERIAL PRIMARY KEY,
    received_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    source            TEXT        NOT NULL,
    client_request_id TEXT,
    reasons           JSONB       NOT NULL,     -- [{field, rule, message}]
    payload           BYTEA       NOT NULL
);
