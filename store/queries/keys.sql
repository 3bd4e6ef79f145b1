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
