-- name: DebtorsGetMany :many
-- A join on unnest, not id = ANY: see CreditorsGetMany.
SELECT debtors.* FROM unnest(@ids::uuid[]) AS wanted(id) JOIN debtors ON debtors.id = wanted.id;

-- name: DebtorsUpsert :exec
-- Writes the rows a projection batch folded in memory. Phones travel as one
-- newline-joined string per row because unnest flattens nested arrays.
INSERT INTO debtors (id, ref, status, kind, full_name, nin, nif, rc, phones, email, address, wilaya,
    preferred_channel, language, erased, search, version, created_at, updated_at)
SELECT u.id, u.ref, u.status, u.kind, u.full_name, u.nin, u.nif, u.rc,
    CASE WHEN u.phones = '' THEN '{}'::text[] ELSE string_to_array(u.phones, E'\n') END,
    u.email, u.address, u.wilaya, u.preferred_channel, u.language, u.erased, u.search, u.version,
    u.created_at, u.updated_at
FROM (SELECT unnest(@id::uuid[]) AS id, unnest(@ref::text[]) AS ref, unnest(@status::text[]) AS status,
    unnest(@kind::text[]) AS kind, unnest(@full_name::text[]) AS full_name, unnest(@nin::text[]) AS nin,
    unnest(@nif::text[]) AS nif, unnest(@rc::text[]) AS rc, unnest(@phones::text[]) AS phones,
    unnest(@email::text[]) AS email, unnest(@address::text[]) AS address, unnest(@wilaya::int[]) AS wilaya,
    unnest(@preferred_channel::text[]) AS preferred_channel, unnest(@language::text[]) AS language,
    unnest(@erased::boolean[]) AS erased, unnest(@search::text[]) AS search,
    unnest(@version::bigint[]) AS version, unnest(@created_at::timestamptz[]) AS created_at,
    unnest(@updated_at::timestamptz[]) AS updated_at) AS u
ON CONFLICT (id) DO UPDATE SET
    ref = excluded.ref, status = excluded.status, kind = excluded.kind, full_name = excluded.full_name,
    nin = excluded.nin, nif = excluded.nif, rc = excluded.rc, phones = excluded.phones, email = excluded.email,
    address = excluded.address, wilaya = excluded.wilaya, preferred_channel = excluded.preferred_channel,
    language = excluded.language, erased = excluded.erased, search = excluded.search,
    version = excluded.version, created_at = excluded.created_at, updated_at = excluded.updated_at;

-- name: DebtorGet :one
-- scope_debtor limits a debtor's account to its own record; scope_creditor
-- a creditor's account to the debtors linked to it. Another id is not
-- found, exactly like a missing one.
SELECT * FROM debtors WHERE id = @id
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR id = sqlc.narg('scope_debtor'))
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR EXISTS (
      SELECT 1 FROM creditor_debtors cd WHERE cd.creditor_id = sqlc.narg('scope_creditor') AND cd.debtor_id = debtors.id));

-- name: DebtorList :many
-- Newest first; the cursor is the (created_at, id) of the last row seen.
SELECT * FROM debtors
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
  AND (sqlc.narg('wilaya')::int IS NULL OR wilaya = sqlc.narg('wilaya'))
  AND (sqlc.narg('q')::text IS NULL OR search LIKE '%' || sqlc.narg('q') || '%')
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR id = sqlc.narg('scope_debtor'))
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR EXISTS (
      SELECT 1 FROM creditor_debtors cd WHERE cd.creditor_id = sqlc.narg('scope_creditor') AND cd.debtor_id = debtors.id))
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('after_created_at'), sqlc.narg('after_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: DebtorOpenDebtCount :one
-- The debtor's debts still worked (open_statuses: collection.OpenDebtStatuses),
-- which keep the debtor from being erased.
SELECT count(*) FROM debts WHERE debtor_id = @debtor_id AND status = ANY(@open_statuses::text[]);

-- name: DebtorsErased :many
-- Which of these debtors are erased: nothing written about them is shown
-- any more, whatever key a process still caches.
SELECT id FROM debtors WHERE id = ANY(@ids::uuid[]) AND erased;
