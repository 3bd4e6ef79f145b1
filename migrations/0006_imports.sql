-- Bulk imports of debts from a creditor's CSV file.
--
-- imports is operational state written by the API (like security_log), not a
-- read model: it is not projected from the log, so it is neither truncated
-- nor rebuilt. What an import did is in the log (the debtors and debts it
-- registered, with the import id as their correlation id); this table keeps
-- how far it got and what was wrong with the file, which no event records.
CREATE TABLE imports (
    id               uuid PRIMARY KEY,
    creditor_id      uuid NOT NULL,
    -- The account that uploaded the file; NULL for the command line, which
    -- acts as the system operator.
    created_by       uuid,
    created_by_role  text NOT NULL,
    file_name        text NOT NULL,
    file_size        bigint NOT NULL,
    file_sha256      bytea NOT NULL,
    dry_run          boolean NOT NULL,
    status           text NOT NULL,             -- running | done | interrupted | failed
    total            int NOT NULL,              -- data rows in the file
    processed        int NOT NULL DEFAULT 0,    -- rows with a final result
    created          int NOT NULL DEFAULT 0,
    unchanged        int NOT NULL DEFAULT 0,
    failed           int NOT NULL DEFAULT 0,
    -- [{line, column, field, reason}], sorted by line and column, at most
    -- the first 10,000; errors_truncated says some were left out (failed
    -- still counts every row).
    errors           jsonb NOT NULL DEFAULT '[]',
    errors_truncated boolean NOT NULL DEFAULT false,
    -- Why an import stopped before its end (status interrupted or failed).
    failure          text NOT NULL DEFAULT '',
    started_at       timestamptz NOT NULL,
    -- Written with the progress, at least every few seconds while running:
    -- a running import whose process died stops being refreshed, and reads
    -- as interrupted.
    heartbeat_at     timestamptz NOT NULL,
    finished_at      timestamptz
);
CREATE INDEX imports_creditor ON imports (creditor_id, started_at DESC, id DESC);

-- An import matches a debtor given without NIN or NIF by phone number.
CREATE INDEX debtors_phones ON debtors USING gin (phones);
