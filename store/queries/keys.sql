-- name: DataKeyInsert :exec
INSERT INTO data_keys (subject_id, wrapped_key, created_at)
VALUES (@subject_id, @wrapped_key, @created_at)
ON CONFLICT (subject_id) DO NOTHING;

-- name: DataKeysGetMany :many
SELECT subject_id, wrapped_key, destroyed_at FROM data_keys WHERE subject_id = ANY(@subject_ids::uuid[]);

-- name: DataKeyDestroy :execrows
UPDATE data_keys SET wrapped_key = '\x'::bytea, destroyed_at = @destroyed_at
WHERE subject_id = @subject_id AND destroyed_at IS NULL;

-- name: DataKeysInsertMany :copyfrom
-- Bulk creation for subjects known to be new (imports, benchmarks): COPY has
-- no ON CONFLICT, so one existing subject fails the whole batch.
INSERT INTO data_keys (subject_id, wrapped_key, created_at) VALUES (@subject_id, @wrapped_key, @created_at);
