-- Items are written only by the expand step, in one transaction that first stores the request's
-- prompts, so their references hold by construction. The per-row foreign-key triggers made COPY of
-- a million items 3.8x slower (22.8 s vs 6.0 s here, docs/BENCHMARKS.md), so items keep their
-- primary key and lose the three foreign keys.
ALTER TABLE items DROP CONSTRAINT items_request_id_fkey;
ALTER TABLE items DROP CONSTRAINT items_prompt_id_fkey;
ALTER TABLE items DROP CONSTRAINT items_negative_id_fkey;
