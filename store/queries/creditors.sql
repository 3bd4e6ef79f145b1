-- name: CreditorsGetMany :many
-- A join on unnest, not id = ANY: right after a rebuild's TRUNCATE the
-- planner believes the table empty and would scan it once per batch,
-- comparing every row with every id (quadratic over a rebuild).
SELECT creditors.* FROM unnest(@ids::uuid[]) AS wanted(id) JOIN creditors ON creditors.id = wanted.id;

-- name: CreditorsUpsert :exec
-- Writes the rows a projection batch folded in memory, one statement per
-- batch whatever its size.
INSERT INTO creditors (id, ref, status, name, legal_form, nif, rc, sector, wilaya, address, phone, email,
    contact_name, commission_bps, erased, search, version, created_at, updated_at)
SELECT unnest(@id::uuid[]), unnest(@ref::text[]), unnest(@status::text[]), unnest(@name::text[]), unnest(@legal_form::text[]), unnest(@nif::text[]), unnest(@rc::text[]), unnest(@sector::text[]), unnest(@wilaya::int[]), unnest(@address::text[]), unnest(@phone::text[]), unnest(@email::text[]), unnest(@contact_name::text[]), unnest(@commission_bps::int[]), unnest(@erased::boolean[]), unnest(@search::text[]), unnest(@version::bigint[]), unnest(@created_at::timestamptz[]), unnest(@updated_at::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    ref = excluded.ref, status = excluded.status, name = excluded.name, legal_form = excluded.legal_form,
    nif = excluded.nif, rc = excluded.rc, sector = excluded.sector, wilaya = excluded.wilaya,
    address = excluded.address, phone = excluded.phone, email = excluded.email,
    contact_name = excluded.contact_name, commission_bps = excluded.commission_bps, erased = excluded.erased,
    search = excluded.search, version = excluded.version, created_at = excluded.created_at,
    updated_at = excluded.updated_at;

-- name: CreditorGet :one
-- scope_creditor, when set, limits a creditor's account to its own record:
-- any other id is not found, exactly like a missing one.
SELECT * FROM creditors WHERE id = @id
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR id = sqlc.narg('scope_creditor'));

-- name: CreditorList :many
-- Newest first; the cursor is the (created_at, id) of the last row seen.
SELECT * FROM creditors
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
  AND (sqlc.narg('wilaya')::int IS NULL OR wilaya = sqlc.narg('wilaya'))
  AND (sqlc.narg('q')::text IS NULL OR search LIKE '%' || sqlc.narg('q') || '%')
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('after_created_at'), sqlc.narg('after_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: CreditorOpenDebtCount :one
-- The creditor's debts still worked (open_statuses: collection.OpenDebtStatuses),
-- which keep the creditor from being erased.
SELECT count(*) FROM debts WHERE creditor_id = @creditor_id AND status = ANY(@open_statuses::text[]);
