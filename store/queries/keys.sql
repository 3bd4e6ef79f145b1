-- name: DataKeyInsert :execrows
INSERT INTO data_keys (subject_id, wrapped_key, created_at)
VALUES (@subject_id, @wrapped_key, @created_at)
ON CONFLICT (subject_id) DO NOTHING;

-- name: DataKeysGetMany :many
-- A join on unnest, not = ANY: see CreditorsGetMany.
SELECT data_keys.subject_id, data_keys.wrapped_key, data_keys.destroyed_at
FROM unnest(@subject_ids::uuid[]) AS wanted(id) JOIN data_keys ON data_keys.subject_id = wanted.id;

-- name: DataKeyDestroy :execrows
UPDATE data_keys SET wrapped_key = '\x'::bytea, destroyed_at = @destroyed_at
WHERE subject_id = @subject_id AND destroyed_at IS NULL;

-- name: DataKeysInsertMany :copyfrom
-- Bulk creation for subjects known to be new (imports, benchmarks): COPY has
-- no ON CONFLICT, so one existing subject fails the whole batch.
INSERT INTO data_keys (subject_id, wrapped_key, created_at) VALUES (@subject_id, @wrapped_key, @created_at);

-- name: DataKeysLock :exec
-- A rotation rewraps every live key in one transaction: no key may be
-- created, nor destroyed (a rewrap would bring it back), meanwhile.
LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE;

-- name: DataKeysLivePage :many
SELECT subject_id, wrapped_key FROM data_keys
WHERE destroyed_at IS NULL AND (sqlc.narg('after')::uuid IS NULL OR subject_id > sqlc.narg('after')::uuid)
ORDER BY subject_id
LIMIT @row_limit;

-- name: DataKeyAnyLive :one
SELECT subject_id, wrapped_key FROM data_keys WHERE destroyed_at IS NULL LIMIT 1;

-- name: DataKeysRewrap :execrows
UPDATE data_keys SET wrapped_key = r.wrapped_key
FROM (SELECT unnest(@subject_ids::uuid[]) AS subject_id, unnest(@wrapped_keys::bytea[]) AS wrapped_key) AS r
WHERE data_keys.subject_id = r.subject_id AND data_keys.destroyed_at IS NULL;

-- name: DataKeysCount :one
SELECT count(*) FILTER (WHERE destroyed_at IS NULL) AS live, count(*) FILTER (WHERE destroyed_at IS NOT NULL) AS destroyed
FROM data_keys;
