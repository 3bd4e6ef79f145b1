-- name: ImportInsert :exec
INSERT INTO imports (id, creditor_id, created_by, created_by_role, file_name, file_size, file_sha256, dry_run,
    status, total, started_at, heartbeat_at)
VALUES (@id, @creditor_id, sqlc.narg('created_by'), @created_by_role, @file_name, @file_size, @file_sha256, @dry_run,
    'running', @total, @started_at, @started_at);

-- name: ImportGet :one
-- scope_creditor limits a creditor's account to its own imports; another
-- id is not found, exactly like a missing one. A running import whose
-- heartbeat is older than stale_before lost its process: it reads as
-- interrupted.
SELECT id, creditor_id, created_by, created_by_role, file_name, file_size, dry_run,
    (CASE WHEN status = 'running' AND heartbeat_at < @stale_before THEN 'interrupted' ELSE status END)::text AS status,
    total, processed, created, unchanged, failed, errors, errors_truncated, failure, started_at, heartbeat_at, finished_at
FROM imports
WHERE id = @id
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR creditor_id = sqlc.narg('scope_creditor'));

-- name: ImportProgress :exec
-- Records how far a running import got; errors is NULL when unchanged.
UPDATE imports SET processed = @processed, created = @created, unchanged = @unchanged, failed = @failed,
    errors = coalesce(sqlc.narg('errors')::jsonb, errors),
    errors_truncated = coalesce(sqlc.narg('errors_truncated')::boolean, errors_truncated),
    heartbeat_at = @at
WHERE id = @id AND status = 'running';

-- name: ImportFinish :exec
UPDATE imports SET status = @status, processed = @processed, created = @created, unchanged = @unchanged,
    failed = @failed, errors = @errors, errors_truncated = @errors_truncated, failure = @failure,
    heartbeat_at = @at, finished_at = @at
WHERE id = @id AND status = 'running';

-- name: ImportClaimsGet :many
-- The holders of many unique values at once (see UniqueClaimInsert), for
-- matching a file's rows to the debts and debtors that exist.
SELECT u.kind, u.digest, u.aggregate_id, u.claimed_at
FROM (SELECT unnest(@kind::text[]) AS kind, unnest(@digest::bytea[]) AS digest) AS w
JOIN unique_claims u ON u.kind = w.kind AND u.digest = w.digest;

-- name: ImportClaimsInsert :many
-- Claims many unique values in one statement and returns those claimed,
-- with the aggregate that got each. A value held already (or claimed
-- concurrently) is not returned, and a value given twice is returned for
-- one aggregate only: the caller claims the others again alone, with
-- UniqueClaimInsert's rules. Rows are inserted in key order so that two
-- imports cannot deadlock.
INSERT INTO unique_claims (kind, digest, aggregate_id, claimed_at)
SELECT w.kind, w.digest, w.aggregate_id, @claimed_at
FROM (SELECT unnest(@kind::text[]) AS kind, unnest(@digest::bytea[]) AS digest,
    unnest(@aggregate_id::uuid[]) AS aggregate_id) AS w
ORDER BY w.kind, w.digest
ON CONFLICT (kind, digest) DO NOTHING
RETURNING kind, digest, aggregate_id;

-- name: ImportDebtorsByPhone :many
-- The debtors having any of the phone numbers (E.164); with
-- scope_creditor, only those linked to that creditor.
SELECT id, status, phones FROM debtors
WHERE phones && @phones::text[]
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR EXISTS (
      SELECT 1 FROM creditor_debtors cd WHERE cd.creditor_id = sqlc.narg('scope_creditor') AND cd.debtor_id = debtors.id));
