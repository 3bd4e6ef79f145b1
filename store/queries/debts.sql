-- name: DebtsGetMany :many
SELECT debts.* FROM unnest(@ids::uuid[]) AS wanted(id) JOIN debts ON debts.id = wanted.id;

-- name: DebtsUpsert :exec
INSERT INTO debts (id, ref, creditor_id, debtor_id, external_ref, type, currency, status, previous_status, hold_reason,
    principal, charges, discount, written_off, paid, credit, balance, acknowledged_on, original_due_on, current_due_on,
    agent_id, wilaya, description, description_erased, last_payment_on, version, created_at, updated_at)
SELECT unnest(@id::uuid[]), unnest(@ref::text[]), unnest(@creditor_id::uuid[]), unnest(@debtor_id::uuid[]),
    unnest(@external_ref::text[]), unnest(@type::text[]), unnest(@currency::text[]), unnest(@status::text[]),
    unnest(@previous_status::text[]), unnest(@hold_reason::text[]), unnest(@principal::bigint[]),
    unnest(@charges::bigint[]), unnest(@discount::bigint[]), unnest(@written_off::bigint[]), unnest(@paid::bigint[]),
    unnest(@credit::bigint[]), unnest(@balance::bigint[]), nullif(unnest(@acknowledged_on::text[]), '')::date,
    unnest(@original_due_on::date[]), unnest(@current_due_on::date[]), nullif(unnest(@agent_id::text[]), '')::uuid,
    nullif(unnest(@wilaya::int[]), 0), unnest(@description::text[]), unnest(@description_erased::boolean[]),
    nullif(unnest(@last_payment_on::text[]), '')::date, unnest(@version::bigint[]),
    unnest(@created_at::timestamptz[]), unnest(@updated_at::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status, previous_status = excluded.previous_status, hold_reason = excluded.hold_reason,
    principal = excluded.principal, charges = excluded.charges, discount = excluded.discount,
    written_off = excluded.written_off, paid = excluded.paid, credit = excluded.credit, balance = excluded.balance,
    current_due_on = excluded.current_due_on, agent_id = excluded.agent_id, wilaya = excluded.wilaya,
    last_payment_on = excluded.last_payment_on,
    version = excluded.version, updated_at = excluded.updated_at;

-- name: DebtorWilayasUpsert :exec
INSERT INTO debt_debtor_wilayas (debtor_id, wilaya)
SELECT unnest(@debtor_id::uuid[]), unnest(@wilaya::int[])
ON CONFLICT (debtor_id) DO UPDATE SET wilaya = excluded.wilaya;

-- name: DebtorWilayasGet :many
SELECT w.* FROM unnest(@ids::uuid[]) AS wanted(id) JOIN debt_debtor_wilayas w ON w.debtor_id = wanted.id;

-- name: DebtsSetWilaya :exec
-- Brings the debts of debtors whose wilaya this batch set up to date.
UPDATE debts d SET wilaya = w.wilaya
FROM debt_debtor_wilayas w
WHERE w.debtor_id = ANY(@debtor_ids::uuid[]) AND d.debtor_id = w.debtor_id AND d.wilaya IS DISTINCT FROM w.wilaya;

-- name: DebtGet :one
-- Scoped like the debtors: a creditor's account sees its own debts, a
-- debtor's account its own; another id is not found.
SELECT * FROM debts WHERE id = @id
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR creditor_id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR debtor_id = sqlc.narg('scope_debtor'));

-- name: PaymentsUpsert :exec
INSERT INTO payments (id, debt_id, creditor_id, debtor_id, amount, value_date, recorded_at, method, reference, note,
    note_erased, alloc_fees, alloc_principal, alloc_credit, recorded_by, reversed_at, reversal_reason)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), unnest(@creditor_id::uuid[]), unnest(@debtor_id::uuid[]),
    unnest(@amount::bigint[]), unnest(@value_date::date[]), unnest(@recorded_at::timestamptz[]), unnest(@method::text[]),
    unnest(@reference::text[]), unnest(@note::text[]), unnest(@note_erased::boolean[]), unnest(@alloc_fees::bigint[]),
    unnest(@alloc_principal::bigint[]), unnest(@alloc_credit::bigint[]), unnest(@recorded_by::text[]),
    nullif(unnest(@reversed_at::text[]), '')::timestamptz, unnest(@reversal_reason::text[])
ON CONFLICT (id) DO UPDATE SET reversed_at = excluded.reversed_at, reversal_reason = excluded.reversal_reason;

-- name: PaymentGet :one
SELECT * FROM payments WHERE id = @id
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR creditor_id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR debtor_id = sqlc.narg('scope_debtor'));

-- name: PaymentsOfDebt :many
SELECT * FROM payments WHERE debt_id = @debt_id ORDER BY value_date, recorded_at, id;

-- name: ProposalsUpsert :exec
INSERT INTO debt_proposals (id, debt_id, creditor_id, action, discount, reason, proposed_by, proposed_at, status,
    decided_by, decided_at, decision_reason)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), unnest(@creditor_id::uuid[]), unnest(@action::text[]),
    unnest(@discount::bigint[]), unnest(@reason::text[]), unnest(@proposed_by::text[]),
    unnest(@proposed_at::timestamptz[]), unnest(@status::text[]), unnest(@decided_by::text[]),
    nullif(unnest(@decided_at::text[]), '')::timestamptz, unnest(@decision_reason::text[])
ON CONFLICT (id) DO UPDATE SET status = excluded.status, decided_by = excluded.decided_by,
    decided_at = excluded.decided_at, decision_reason = excluded.decision_reason;

-- name: ProposalGet :one
SELECT * FROM debt_proposals WHERE id = @id;

-- name: ProposalList :many
SELECT * FROM debt_proposals
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
  AND (sqlc.narg('debt_id')::uuid IS NULL OR debt_id = sqlc.narg('debt_id'))
  AND (sqlc.narg('after_at')::timestamptz IS NULL
       OR (proposed_at, id) < (sqlc.narg('after_at'), sqlc.narg('after_id')::uuid))
ORDER BY proposed_at DESC, id DESC
LIMIT @row_limit;

-- name: PaymentsReverse :exec
-- Marks payments reversed; their rows were written by an earlier batch or
-- earlier in this one.
UPDATE payments p SET reversed_at = r.at, reversal_reason = r.reason
FROM (SELECT unnest(@id::uuid[]) AS id, unnest(@at::timestamptz[]) AS at, unnest(@reason::text[]) AS reason) r
WHERE p.id = r.id;

-- name: ProposalsDecide :exec
UPDATE debt_proposals p SET status = d.status, decided_by = d.by, decided_at = d.at, decision_reason = d.reason
FROM (SELECT unnest(@id::uuid[]) AS id, unnest(@status::text[]) AS status, unnest(@by::text[]) AS by,
      unnest(@at::timestamptz[]) AS at, unnest(@reason::text[]) AS reason) d
WHERE p.id = d.id;

-- The debt lists: one filter, three orders, each with its keyset cursor.
-- days past due filters arrive as a due-date range (computed from today in
-- Algiers), so they use the due-date index.

-- name: DebtListNewest :many
SELECT d.* FROM debts d
WHERE (sqlc.narg('status')::text IS NULL OR d.status = sqlc.narg('status'))
  AND (NOT @open_only::boolean OR d.status IN ('open', 'amicable', 'payment_plan', 'legal', 'on_hold'))
  AND (sqlc.narg('creditor_id')::uuid IS NULL OR d.creditor_id = sqlc.narg('creditor_id'))
  AND (sqlc.narg('debtor_id')::uuid IS NULL OR d.debtor_id = sqlc.narg('debtor_id'))
  AND (sqlc.narg('agent_id')::uuid IS NULL OR d.agent_id = sqlc.narg('agent_id'))
  AND (sqlc.narg('type')::text IS NULL OR d.type = sqlc.narg('type'))
  AND (sqlc.narg('due_from')::date IS NULL OR d.current_due_on >= sqlc.narg('due_from'))
  AND (sqlc.narg('due_to')::date IS NULL OR d.current_due_on <= sqlc.narg('due_to'))
  AND (sqlc.narg('min_balance')::bigint IS NULL OR d.balance >= sqlc.narg('min_balance'))
  AND (sqlc.narg('max_balance')::bigint IS NULL OR d.balance <= sqlc.narg('max_balance'))
  AND (sqlc.narg('wilaya')::int IS NULL OR d.wilaya = sqlc.narg('wilaya'))
  AND (sqlc.narg('q')::text IS NULL OR d.ref = upper(sqlc.narg('q_raw')::text) OR lower(d.external_ref) = lower(sqlc.narg('q_raw')::text)
       OR EXISTS (SELECT 1 FROM debtors x WHERE x.id = d.debtor_id AND x.search LIKE '%' || sqlc.narg('q') || '%'))
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR d.creditor_id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR d.debtor_id = sqlc.narg('scope_debtor'))
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (d.created_at, d.id) < (sqlc.narg('after_created_at'), sqlc.narg('after_id')::uuid))
ORDER BY d.created_at DESC, d.id DESC
LIMIT @row_limit;

-- name: DebtListByDue :many
-- Oldest due date first: the most overdue on top.
SELECT d.* FROM debts d
WHERE (sqlc.narg('status')::text IS NULL OR d.status = sqlc.narg('status'))
  AND (NOT @open_only::boolean OR d.status IN ('open', 'amicable', 'payment_plan', 'legal', 'on_hold'))
  AND (sqlc.narg('creditor_id')::uuid IS NULL OR d.creditor_id = sqlc.narg('creditor_id'))
  AND (sqlc.narg('debtor_id')::uuid IS NULL OR d.debtor_id = sqlc.narg('debtor_id'))
  AND (sqlc.narg('agent_id')::uuid IS NULL OR d.agent_id = sqlc.narg('agent_id'))
  AND (sqlc.narg('type')::text IS NULL OR d.type = sqlc.narg('type'))
  AND (sqlc.narg('due_from')::date IS NULL OR d.current_due_on >= sqlc.narg('due_from'))
  AND (sqlc.narg('due_to')::date IS NULL OR d.current_due_on <= sqlc.narg('due_to'))
  AND (sqlc.narg('min_balance')::bigint IS NULL OR d.balance >= sqlc.narg('min_balance'))
  AND (sqlc.narg('max_balance')::bigint IS NULL OR d.balance <= sqlc.narg('max_balance'))
  AND (sqlc.narg('wilaya')::int IS NULL OR d.wilaya = sqlc.narg('wilaya'))
  AND (sqlc.narg('q')::text IS NULL OR d.ref = upper(sqlc.narg('q_raw')::text) OR lower(d.external_ref) = lower(sqlc.narg('q_raw')::text)
       OR EXISTS (SELECT 1 FROM debtors x WHERE x.id = d.debtor_id AND x.search LIKE '%' || sqlc.narg('q') || '%'))
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR d.creditor_id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR d.debtor_id = sqlc.narg('scope_debtor'))
  AND (sqlc.narg('after_due')::date IS NULL
       OR (d.current_due_on, d.id) > (sqlc.narg('after_due'), sqlc.narg('after_id')::uuid))
ORDER BY d.current_due_on, d.id
LIMIT @row_limit;

-- name: DebtListByBalance :many
-- Largest balance first.
SELECT d.* FROM debts d
WHERE (sqlc.narg('status')::text IS NULL OR d.status = sqlc.narg('status'))
  AND (NOT @open_only::boolean OR d.status IN ('open', 'amicable', 'payment_plan', 'legal', 'on_hold'))
  AND (sqlc.narg('creditor_id')::uuid IS NULL OR d.creditor_id = sqlc.narg('creditor_id'))
  AND (sqlc.narg('debtor_id')::uuid IS NULL OR d.debtor_id = sqlc.narg('debtor_id'))
  AND (sqlc.narg('agent_id')::uuid IS NULL OR d.agent_id = sqlc.narg('agent_id'))
  AND (sqlc.narg('type')::text IS NULL OR d.type = sqlc.narg('type'))
  AND (sqlc.narg('due_from')::date IS NULL OR d.current_due_on >= sqlc.narg('due_from'))
  AND (sqlc.narg('due_to')::date IS NULL OR d.current_due_on <= sqlc.narg('due_to'))
  AND (sqlc.narg('min_balance')::bigint IS NULL OR d.balance >= sqlc.narg('min_balance'))
  AND (sqlc.narg('max_balance')::bigint IS NULL OR d.balance <= sqlc.narg('max_balance'))
  AND (sqlc.narg('wilaya')::int IS NULL OR d.wilaya = sqlc.narg('wilaya'))
  AND (sqlc.narg('q')::text IS NULL OR d.ref = upper(sqlc.narg('q_raw')::text) OR lower(d.external_ref) = lower(sqlc.narg('q_raw')::text)
       OR EXISTS (SELECT 1 FROM debtors x WHERE x.id = d.debtor_id AND x.search LIKE '%' || sqlc.narg('q') || '%'))
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR d.creditor_id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR d.debtor_id = sqlc.narg('scope_debtor'))
  AND (sqlc.narg('after_balance')::bigint IS NULL
       OR (d.balance, d.id) < (sqlc.narg('after_balance'), sqlc.narg('after_id')::uuid))
ORDER BY d.balance DESC, d.id DESC
LIMIT @row_limit;

-- name: DebtsRefreshLastPayment :exec
-- After reversals: the last payment is the latest one still standing.
UPDATE debts d SET last_payment_on = (
    SELECT max(p.value_date) FROM payments p WHERE p.debt_id = d.id AND p.reversed_at IS NULL)
WHERE d.id = ANY(@ids::uuid[]);

-- name: DebtsEraseDescriptions :exec
-- Blanks the descriptions of erased debtors' debts (their key is
-- destroyed in the same transaction); a rebuild blanks the same.
UPDATE debts SET description = '', description_erased = true
WHERE debtor_id = ANY(@debtor_ids::uuid[]) AND description <> '';

-- name: PaymentsEraseNotes :exec
-- Blanks the notes of erased debtors' payments, found through their debts
-- (indexed by debtor).
UPDATE payments p SET note = '', note_erased = true
FROM debts d
WHERE d.debtor_id = ANY(@debtor_ids::uuid[]) AND p.debt_id = d.id AND p.note <> '';
