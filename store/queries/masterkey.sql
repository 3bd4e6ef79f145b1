-- name: MasterKeyGet :one
SELECT fingerprint, wrapped_claim_key, adopted_at FROM master_key WHERE id = 1;

-- name: MasterKeyGetForUpdate :one
SELECT fingerprint, wrapped_claim_key FROM master_key WHERE id = 1 FOR UPDATE;

-- name: MasterKeyInsert :execrows
-- Two processes starting together on a new database race here; the loser
-- reads the winner's row and compares.
INSERT INTO master_key (fingerprint, wrapped_claim_key, adopted_at)
VALUES (@fingerprint, @wrapped_claim_key, @adopted_at)
ON CONFLICT (id) DO NOTHING;

-- name: MasterKeyReplace :execrows
UPDATE master_key
SET fingerprint = @new_fingerprint, wrapped_claim_key = @wrapped_claim_key, adopted_at = @adopted_at
WHERE id = 1 AND fingerprint = @old_fingerprint;

-- name: MasterKeyUseTryShared :one
-- The lock 7240002 (after migrations' 7240001) says "this process uses the
-- master key": every Tahsil process holds it shared on a connection of its
-- own for as long as it runs, and `tahsil keys rotate` takes it exclusively,
-- so a rotation never runs beside a process that would go on wrapping new
-- data keys with the old master key. Both end with their session.
SELECT pg_try_advisory_lock_shared(7240002);

-- name: MasterKeyUseShared :exec
SELECT pg_advisory_lock_shared(7240002);

-- name: MasterKeyUseTryExclusive :one
SELECT pg_try_advisory_lock(7240002);

-- name: MasterKeyUsers :many
-- The other Tahsil processes connected to this database: those holding the
-- lock, and those whose sessions are named after a Tahsil process (one that
-- lost its lock when PostgreSQL restarted still reconnects under its name).
-- Sessions named like the caller's are its own.
SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local')::text AS client, a.backend_start
FROM pg_catalog.pg_stat_activity AS a
WHERE a.datname = current_database()
  AND a.pid <> pg_backend_pid()
  AND a.application_name <> current_setting('application_name')
  AND (a.application_name LIKE 'tahsil %'
       OR a.pid IN (SELECT l.pid FROM pg_catalog.pg_locks AS l
                    WHERE l.locktype = 'advisory' AND l.database = a.datid
                      AND l.classid = 0 AND l.objid = 7240002 AND l.objsubid = 1))
ORDER BY a.backend_start;

-- name: MasterKeyLockSessionEnded :one
-- Whether the server has ended the session of a lock connection the client
-- closed: it does so a moment later.
SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = @pid::int);
