-- The master key that wraps the data keys, named by its fingerprint (never
-- the key itself), so that a process started with another key refuses at
-- once instead of failing later on every personal value it cannot open.
--
-- The key of the unique-value digests (and of the receipts' verification
-- codes) is kept here too, wrapped by the master key like a data key: it was
-- derived from the first master key, and rotating the master key rewraps it
-- instead of changing it, since the digests cannot be recomputed without
-- the clear values and printed receipts must keep verifying.
CREATE TABLE master_key (
    id                smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1), -- one row
    fingerprint       text  NOT NULL,
    wrapped_claim_key bytea NOT NULL,
    adopted_at        timestamptz NOT NULL -- first start, or the last rotation
);
