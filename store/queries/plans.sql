-- Payment plans and promises to pay (projection "plans", migration 0007).

-- name: PlanDebtParties :many
-- The creditor and debtor of debts, which never change after the debt is
-- opened: the plans projection copies them for scoping.
SELECT d.id, d.creditor_id, d.debtor_id FROM unnest(@ids::uuid[]) AS wanted(id) JOIN debts d ON d.id = wanted.id;

-- name: PlansActiveOfDebts :many
SELECT p.debt_id, p.id FROM unnest(@debt_ids::uuid[]) AS wanted(id)
JOIN payment_plans p ON p.debt_id = wanted.id AND p.status = 'active';

-- name: PlansInsert :exec
INSERT INTO payment_plans (id, debt_id, creditor_id, debtor_id, status, instalments, total, reason, supersedes,
    set_on, set_by, set_at, superseded_at)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), unnest(@creditor_id::uuid[]), unnest(@debtor_id::uuid[]),
    unnest(@status::text[]), unnest(@instalments::text[])::jsonb, unnest(@total::bigint[]), unnest(@reason::text[]),
    nullif(unnest(@supersedes::text[]), '')::uuid, unnest(@set_on::date[]), unnest(@set_by::text[]),
    unnest(@set_at::timestamptz[]), nullif(unnest(@superseded_at::text[]), '')::timestamptz;

-- name: PlansSupersede :execrows
-- Marks plans written by an earlier batch superseded.
UPDATE payment_plans p SET status = 'superseded', superseded_at = s.at
FROM (SELECT unnest(@id::uuid[]) AS id, unnest(@at::timestamptz[]) AS at) s
WHERE p.id = s.id AND p.status = 'active';

-- name: PlanPaymentsInsert :exec
INSERT INTO plan_payments (plan_id, payment_id)
SELECT unnest(@plan_id::uuid[]), unnest(@payment_id::uuid[]);

-- name: PromisesInsert :exec
INSERT INTO promises (id, debt_id, creditor_id, debtor_id, amount, due_on, made_on, made_by, made_at)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), unnest(@creditor_id::uuid[]), unnest(@debtor_id::uuid[]),
    unnest(@amount::bigint[]), unnest(@due_on::date[]), unnest(@made_on::date[]), unnest(@made_by::text[]),
    unnest(@made_at::timestamptz[]);

-- name: PlanCurrent :one
SELECT * FROM payment_plans WHERE debt_id = @debt_id AND status = 'active';

-- name: PlansSuperseded :many
-- The plans a debt had before its current one, newest first.
SELECT * FROM payment_plans WHERE debt_id = @debt_id AND status = 'superseded' ORDER BY set_at DESC, id DESC;

-- name: PlanPayments :many
-- The payments a plan counts: recorded while it was current, not reversed.
SELECT p.value_date, p.amount FROM plan_payments pp JOIN payments p ON p.id = pp.payment_id
WHERE pp.plan_id = @plan_id AND p.reversed_at IS NULL
ORDER BY p.value_date, p.recorded_at, p.id;

-- name: PromisesOfDebt :many
SELECT * FROM promises WHERE debt_id = @debt_id ORDER BY made_at DESC, id DESC;

-- name: PromiseGet :one
SELECT * FROM promises WHERE id = @id;

-- name: PaymentsStanding :many
-- A debt's payments not reversed, by value date: what its promises count.
SELECT value_date, amount FROM payments WHERE debt_id = @debt_id AND reversed_at IS NULL
ORDER BY value_date, recorded_at, id;
