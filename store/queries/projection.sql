-- name: ProjectionOffsetsLock :many
-- Locks the offsets of a batch's partitions for the batch's transaction, so
-- two runners (a rebalance, a rebuild) never apply the same records.
SELECT projection, partition, next_offset FROM projection_offsets
WHERE projection = ANY(@projections::text[]) AND partition = ANY(@partitions::int[])
FOR UPDATE;

-- name: ProjectionOffsetsUpsert :exec
-- A batch's offsets in one statement (one round trip instead of one per
-- projection and partition). The (projection, partition) pairs are unique.
INSERT INTO projection_offsets (projection, partition, next_offset, updated_at)
SELECT unnest(@projections::text[]), unnest(@partitions::int[]), unnest(@next_offsets::bigint[]), @updated_at::timestamptz
ON CONFLICT (projection, partition) DO UPDATE
SET next_offset = excluded.next_offset, updated_at = excluded.updated_at;

-- name: ProjectionOffsetsList :many
SELECT projection, partition, next_offset, updated_at FROM projection_offsets
WHERE projection = ANY(@projections::text[]) ORDER BY projection, partition;

-- name: ProjectionOffsetsDelete :exec
DELETE FROM projection_offsets WHERE projection = @projection;

-- name: ProjectionFailureRecord :exec
INSERT INTO projection_failures (projection, partition, kafka_offset, event_id, event_type, error, failed_at)
VALUES (@projection, @partition, @kafka_offset, @event_id, @event_type, @error, @failed_at)
ON CONFLICT (projection, partition, kafka_offset) DO UPDATE
SET error = excluded.error, failed_at = excluded.failed_at,
    resolved_at = NULL, resolution = NULL, resolved_by = NULL, skipped = false;

-- name: ProjectionFailuresOpen :many
SELECT id, projection, partition, kafka_offset, event_id, event_type, error, failed_at FROM projection_failures
WHERE resolved_at IS NULL ORDER BY failed_at;

-- name: ProjectionFailureResolve :execrows
UPDATE projection_failures SET resolved_at = @resolved_at, resolution = @resolution, resolved_by = @resolved_by,
    skipped = @skipped
WHERE projection = @projection AND partition = @partition AND kafka_offset = @kafka_offset AND resolved_at IS NULL;

-- name: ProjectionsLockShared :exec
-- Held by each batch on each of its projections, in one round trip and in
-- the order given; a rebuild holds the same key exclusively.
SELECT pg_advisory_xact_lock_shared(hashtext(p)::bigint)
FROM unnest(@projections::text[]) WITH ORDINALITY AS l (p, n) ORDER BY n;

-- name: ProjectionLockExclusive :exec
SELECT pg_advisory_lock(hashtext(@projection::text)::bigint);

-- name: ProjectionUnlockExclusive :exec
SELECT pg_advisory_unlock(hashtext(@projection::text)::bigint);

-- name: ProjectionNotify :exec
SELECT pg_notify('tahsil_projections', @payload::text);

-- name: ProjectionOffsetSkipPast :exec
-- Moves a stopped projection past the record it cannot apply: next_offset
-- is that record's offset + 1, and never moves backwards.
INSERT INTO projection_offsets (projection, partition, next_offset, updated_at)
VALUES (@projection, @partition, @next_offset, @updated_at)
ON CONFLICT (projection, partition) DO UPDATE
SET next_offset = excluded.next_offset, updated_at = excluded.updated_at
WHERE projection_offsets.next_offset < excluded.next_offset;

-- name: ProjectionSkipsList :many
-- The records operators skipped, which a rebuild skips again.
SELECT projection, partition, kafka_offset FROM projection_failures
WHERE skipped AND projection = ANY(@projections::text[]);
