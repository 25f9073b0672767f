-- Nightly dataset synthesis. A dataset spec (config/datasets/NAME.yaml) becomes, for one night, an
-- ordinary request whose `dataset` field embeds the spec and whose labels say `dataset` (the name),
-- `dataset.night` (YYYY-MM-DD) and `dataset.spec` (the first 12 hex digits of the spec's sha256);
-- nights still generating are read from those requests. The job's `export` step writes the export
-- (imagefolder, WebDataset shards, card, SHA256SUMS) and the rows below, in one transaction, each
-- time it runs (a resumed night replaces them).
CREATE TABLE dataset_nights (
    request_id     BIGINT           PRIMARY KEY REFERENCES requests (id),
    dataset        TEXT             NOT NULL,          -- the spec's name
    night          DATE             NOT NULL,
    spec_sha256    TEXT             NOT NULL,          -- over the spec's canonical JSON
    status         TEXT             NOT NULL CHECK (status IN ('exported', 'failed', 'pruned')),
    gate_passed    BOOLEAN          NOT NULL,          -- false: rejected share over the spec's limit (status failed)
    message        TEXT,                               -- why the night failed, else null
    items_total    BIGINT           NOT NULL,          -- items of the request
    items_exported BIGINT           NOT NULL,
    items_rejected BIGINT           NOT NULL,          -- left out by the quality gate
    items_missing  BIGINT           NOT NULL,          -- left out because generation failed or was cancelled
    splits         JSONB            NOT NULL,          -- split -> items exported in it
    export_dir     TEXT             NOT NULL,          -- relative to the output root
    card_sha256    TEXT             NOT NULL,          -- of README.md
    files          INT              NOT NULL,          -- files written (in SHA256SUMS, plus README.md and it)
    bytes          BIGINT           NOT NULL,          -- their total size
    export_seconds DOUBLE PRECISION NOT NULL,          -- time the export took (not in the run's cost)
    exported_at    TIMESTAMPTZ      NOT NULL DEFAULT now(),
    pruned_at      TIMESTAMPTZ                         -- when retention deleted the export's files
);

CREATE INDEX dataset_nights_by_dataset ON dataset_nights (dataset, night DESC);

-- Items of a night left out of its export, with the reason; they stay in `items` as they are.
CREATE TABLE dataset_exclusions (
    request_id BIGINT NOT NULL REFERENCES requests (id),
    idx        BIGINT NOT NULL,
    reason     TEXT   NOT NULL CHECK (reason IN ('gate-verdict', 'gate-score', 'unassessed', 'failed', 'cancelled')),
    detail     TEXT   NOT NULL,   -- e.g. "colour: read blue, prompted red"
    PRIMARY KEY (request_id, idx)
);

-- Scheduled nights sent: the first server (serve replica or manager) to insert a night sends it; the
-- others see the row and do not, so replicas never send one night twice, whatever spec version each has.
-- A failed send deletes its row again.
CREATE TABLE dataset_firings (
    night             TEXT        PRIMARY KEY, -- NAME:YYYY-MM-DD
    fired_by          TEXT        NOT NULL,   -- the server that sent it
    fired_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
