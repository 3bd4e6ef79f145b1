-- Legal procedures, their steps and deadlines (projection "legal",
-- migration 0008).

-- name: LegalDebtParties :many
-- The creditor and debtor of debts, which never change after the debt is
-- opened: the legal projection copies them for scoping.
SELECT d.id, d.creditor_id, d.debtor_id FROM unnest(@ids::uuid[]) AS wanted(id) JOIN debts d ON d.id = wanted.id;

-- name: LegalProceduresGetMany :many
SELECT p.* FROM unnest(@ids::uuid[]) AS wanted(id) JOIN legal_procedures p ON p.id = wanted.id;

-- name: LegalProceduresUpsert :exec
INSERT INTO legal_procedures (id, debt_id, creditor_id, debtor_id, kind, court, section, case_number, bailiff, lawyer,
    claimed_amount, opened_on, opened_by, opened_at, status, step, step_on, steps, judgment, amount_awarded, appealed,
    outcome, closed_on, costs, version, updated_at)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), unnest(@creditor_id::uuid[]), unnest(@debtor_id::uuid[]),
    unnest(@kind::text[]), unnest(@court::text[]), unnest(@section::text[]), unnest(@case_number::text[]),
    unnest(@bailiff::text[]), unnest(@lawyer::text[]), unnest(@claimed_amount::bigint[]), unnest(@opened_on::date[]),
    unnest(@opened_by::text[]), unnest(@opened_at::timestamptz[]), unnest(@status::text[]), unnest(@step::text[]),
    unnest(@step_on::date[]), unnest(@steps::int[]), unnest(@judgment::text[]), unnest(@amount_awarded::bigint[]),
    unnest(@appealed::boolean[]), unnest(@outcome::text[]), nullif(unnest(@closed_on::text[]), '')::date,
    unnest(@costs::bigint[]), unnest(@version::bigint[]), unnest(@updated_at::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    court = excluded.court, section = excluded.section, case_number = excluded.case_number, status = excluded.status,
    step = excluded.step, step_on = excluded.step_on, steps = excluded.steps, judgment = excluded.judgment,
    amount_awarded = excluded.amount_awarded, appealed = excluded.appealed, outcome = excluded.outcome,
    closed_on = excluded.closed_on, costs = excluded.costs, version = excluded.version, updated_at = excluded.updated_at;

-- name: LegalStepsInsert :exec
-- document_ids holds each step's ids joined by commas ('' for none): an
-- array of arrays would be flattened by unnest.
INSERT INTO legal_steps (id, procedure_id, debt_id, seq, step, step_on, hearing_on, room, outcome, amount_awarded, court,
    section, case_number, note, note_erased, document_ids, cost, recorded_by, recorded_at)
SELECT unnest(@id::uuid[]), unnest(@procedure_id::uuid[]), unnest(@debt_id::uuid[]), unnest(@seq::int[]),
    unnest(@step::text[]), unnest(@step_on::date[]), nullif(unnest(@hearing_on::text[]), '')::date, unnest(@room::text[]),
    unnest(@outcome::text[]), unnest(@amount_awarded::bigint[]), unnest(@court::text[]), unnest(@section::text[]),
    unnest(@case_number::text[]), unnest(@note::text[]), unnest(@note_erased::boolean[]),
    string_to_array(unnest(@document_ids::text[]), ',')::uuid[], unnest(@cost::bigint[]), unnest(@recorded_by::text[]),
    unnest(@recorded_at::timestamptz[]);

-- name: LegalStepsEraseNotes :exec
-- Blanks the notes of erased debtors' legal steps (their key is destroyed
-- in the same transaction), found through their procedures (indexed by
-- debtor); a rebuild blanks the same.
UPDATE legal_steps s SET note = '', note_erased = true
FROM legal_procedures p
WHERE p.debtor_id = ANY(@debtor_ids::uuid[]) AND s.procedure_id = p.id AND s.note <> '';

-- name: LegalDeadlinesInsert :exec
INSERT INTO legal_deadlines (id, procedure_id, debt_id, creditor_id, debtor_id, kind, seq, step, name, from_on, due_on,
    days, business, franc, status, ended_seq, ended_at)
SELECT unnest(@id::uuid[]), unnest(@procedure_id::uuid[]), unnest(@debt_id::uuid[]), unnest(@creditor_id::uuid[]),
    unnest(@debtor_id::uuid[]), unnest(@kind::text[]), unnest(@seq::int[]), unnest(@step::text[]), unnest(@name::text[]),
    unnest(@from_on::date[]), unnest(@due_on::date[]), unnest(@days::int[]), unnest(@business::boolean[]),
    unnest(@franc::boolean[]), unnest(@status::text[]), nullif(unnest(@ended_seq::int[]), 0),
    nullif(unnest(@ended_at::text[]), '')::timestamptz;

-- name: LegalDeadlinesEnd :execrows
-- Ends deadlines written by an earlier batch.
UPDATE legal_deadlines l SET status = 'ended', ended_seq = e.ended_seq, ended_at = e.ended_at
FROM (SELECT unnest(@id::uuid[]) AS id, unnest(@ended_seq::int[]) AS ended_seq, unnest(@ended_at::timestamptz[]) AS ended_at) e
WHERE l.id = e.id AND l.status = 'open';

-- name: LegalProcedureGet :one
-- Scoped like the debts: a creditor's account sees its own debts'
-- procedures, a debtor's account its own; another id is not found.
SELECT * FROM legal_procedures WHERE id = @id
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR creditor_id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR debtor_id = sqlc.narg('scope_debtor'));

-- name: LegalProceduresOfDebt :many
SELECT * FROM legal_procedures WHERE debt_id = @debt_id ORDER BY opened_at, id;

-- name: LegalStepsOfProcedures :many
SELECT * FROM legal_steps WHERE procedure_id = ANY(@procedure_ids::uuid[]) ORDER BY procedure_id, seq;

-- name: LegalDeadlinesOfProcedures :many
SELECT * FROM legal_deadlines WHERE procedure_id = ANY(@procedure_ids::uuid[]) ORDER BY procedure_id, seq, due_on, name;

-- name: LegalDeadlinesUpcoming :many
-- The open deadlines of open procedures due from @from_on (inclusive) to
-- @before (exclusive), by date, scoped like the debts, after the cursor
-- (due_on, id) of the previous page.
SELECT l.*, d.ref AS debt_ref, p.court, p.case_number
FROM legal_deadlines l
JOIN legal_procedures p ON p.id = l.procedure_id
JOIN debts d ON d.id = l.debt_id
WHERE l.status = 'open' AND l.due_on >= @from_on AND l.due_on < @before
  AND (sqlc.narg('scope_creditor')::uuid IS NULL OR l.creditor_id = sqlc.narg('scope_creditor'))
  AND (sqlc.narg('scope_debtor')::uuid IS NULL OR l.debtor_id = sqlc.narg('scope_debtor'))
  AND (sqlc.narg('after_due')::date IS NULL OR (l.due_on, l.id) > (sqlc.narg('after_due')::date, sqlc.narg('after_id')::uuid))
ORDER BY l.due_on, l.id
LIMIT @row_limit;
