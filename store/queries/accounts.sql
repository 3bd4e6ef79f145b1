-- name: AccountsGetMany :many
SELECT accounts.* FROM unnest(@ids::uuid[]) AS wanted(id) JOIN accounts ON accounts.id = wanted.id;

-- name: AccountsUpsert :exec
INSERT INTO accounts (id, status, kind, role, creditor_id, debtor_id, email, full_name, phone, declared,
    mfa_enrolled, status_reason, erased, version, created_at, updated_at)
SELECT unnest(@id::uuid[]), unnest(@status::text[]), unnest(@kind::text[]), unnest(@role::text[]),
    nullif(unnest(@creditor_id::text[]), '')::uuid, nullif(unnest(@debtor_id::text[]), '')::uuid,
    unnest(@email::text[]), unnest(@full_name::text[]), unnest(@phone::text[]), unnest(@declared::jsonb[]),
    unnest(@mfa_enrolled::boolean[]), unnest(@status_reason::text[]), unnest(@erased::boolean[]),
    unnest(@version::bigint[]), unnest(@created_at::timestamptz[]), unnest(@updated_at::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status, kind = excluded.kind, role = excluded.role, creditor_id = excluded.creditor_id,
    debtor_id = excluded.debtor_id, email = excluded.email, full_name = excluded.full_name,
    phone = excluded.phone, declared = excluded.declared, mfa_enrolled = excluded.mfa_enrolled,
    status_reason = excluded.status_reason, erased = excluded.erased, version = excluded.version,
    created_at = excluded.created_at, updated_at = excluded.updated_at;

-- name: AccountGet :one
SELECT * FROM accounts WHERE id = @id;

-- name: AccountList :many
-- Newest first; the cursor is the (created_at, id) of the last row seen.
-- registrations lists those that came through self-registration (kind set).
SELECT * FROM accounts
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
  AND (sqlc.narg('role')::text IS NULL OR role = sqlc.narg('role'))
  AND (NOT @registrations::boolean OR kind <> '')
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('after_created_at'), sqlc.narg('after_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: CreditorDebtorsInsert :exec
INSERT INTO creditor_debtors (creditor_id, debtor_id)
SELECT unnest(@creditor_id::uuid[]), unnest(@debtor_id::uuid[])
ON CONFLICT DO NOTHING;

