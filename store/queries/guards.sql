-- name: UniqueClaimInsert :one
-- Returns the aggregate holding the value: the caller's when the claim is
-- new, another one's when the value is already taken.
WITH inserted AS (
    INSERT INTO unique_claims (kind, digest, aggregate_id, claimed_at)
    VALUES (@kind, @digest, @aggregate_id, @claimed_at)
    ON CONFLICT (kind, digest) DO NOTHING
    RETURNING aggregate_id, claimed_at
)
SELECT aggregate_id, claimed_at FROM inserted
UNION ALL
SELECT aggregate_id, claimed_at FROM unique_claims WHERE kind = @kind AND digest = @digest
LIMIT 1;

-- name: UniqueClaimRelease :exec
DELETE FROM unique_claims WHERE kind = @kind AND digest = @digest AND aggregate_id = @aggregate_id;

-- name: UniqueClaimTransfer :execrows
-- Takes over a claim whose holder never came to exist (its command was
-- rejected or lost).
UPDATE unique_claims SET aggregate_id = @new_aggregate_id, claimed_at = @claimed_at
WHERE kind = @kind AND digest = @digest AND aggregate_id = @old_aggregate_id;

-- name: IdempotencyKeyInsert :one
WITH inserted AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, command_id, aggregate_id, created_at)
    VALUES (@scope, @key, @request_hash, @command_id, @aggregate_id, @created_at)
    ON CONFLICT (scope, key) DO NOTHING
    RETURNING request_hash, command_id, aggregate_id, true AS fresh
)
SELECT request_hash, command_id, aggregate_id, fresh FROM inserted
UNION ALL
SELECT request_hash, command_id, aggregate_id, false FROM idempotency_keys WHERE scope = @scope AND key = @key
LIMIT 1;

-- name: IdempotencyKeyDelete :exec
-- Forgets a key whose request failed before its command was submitted, so
-- that a retry runs again instead of waiting for a command never sent.
DELETE FROM idempotency_keys WHERE scope = @scope AND key = @key AND command_id = @command_id;

-- name: UniqueClaimsReleaseErased :exec
-- Frees the unique identifiers (NIN, NIF) an erased person held, so that
-- the same person can be registered again, as a new record. A keyed digest
-- of a national id still singles the person out, so erasure does not keep
-- it. References are not personal and stay taken: a letter quoting one
-- never points at someone else. Claims another record took since are
-- untouched, so a replay (a rebuild) changes nothing.
DELETE FROM unique_claims WHERE aggregate_id = @aggregate_id AND kind <> 'ref';
