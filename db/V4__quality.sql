-- Quality per run and per item, as judged by the catalog model's evaluator (models/shapes-eval for the
-- bundled models) in the job's assess step, from the written outputs.
CREATE TABLE run_quality (
    request_id         BIGINT PRIMARY KEY REFERENCES requests (id),
    evaluator          TEXT             NOT NULL,  -- the evaluator folder
    evaluator_sha256   TEXT             NOT NULL,  -- over its files, as model folders are hashed
    items_assessed     BIGINT           NOT NULL,  -- outputs the evaluator read
    items_unreadable   BIGINT           NOT NULL,  -- outputs it could not read (format, size), not in the figures
    items_labelled     BIGINT           NOT NULL,  -- of the assessed, prompts that are captions of its world
    items_adherent     BIGINT           NOT NULL,  -- of the labelled, every prompted attribute read as prompted
    adherence          DOUBLE PRECISION,           -- items_adherent / items_labelled
    fid                DOUBLE PRECISION,           -- against the evaluator's real-image statistics
    fid_items          INT              NOT NULL,  -- single-object, not held-out items in the FID
    by_group           JSONB            NOT NULL,  -- group -> {n, all, heads: {head: share}}
    seconds            DOUBLE PRECISION NOT NULL,  -- time the assessment took (not in the run's cost)
    computed_at        TIMESTAMPTZ      NOT NULL DEFAULT now()
);

CREATE TABLE item_quality (
    request_id BIGINT  NOT NULL,
    idx        BIGINT  NOT NULL,
    readings   JSONB   NOT NULL,  -- head -> label read by the evaluator
    expected   JSONB,             -- head -> label the prompt asks for; null when not a caption of its world
    adherent   BOOLEAN,           -- null when expected is null
    PRIMARY KEY (request_id, idx)
);
