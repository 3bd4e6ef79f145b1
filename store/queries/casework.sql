-- Documents, interactions and tasks (projection "casework", migration 0009).

-- name: DocumentsInsert :exec
INSERT INTO documents (id, debt_id, name, media_type, size, sha256, kind, uploaded_by, uploaded_at)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), unnest(@name::text[]), unnest(@media_type::text[]),
    unnest(@size::bigint[]), unnest(@sha256::text[]), unnest(@kind::text[]), unnest(@uploaded_by::text[]),
    unnest(@uploaded_at::timestamptz[]);

-- name: InteractionsInsert :exec
INSERT INTO interactions (id, debt_id, channel, direction, outcome, summary, summary_erased, occurred_at, logged_by,
    logged_at)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), unnest(@channel::text[]), unnest(@direction::text[]),
    unnest(@outcome::text[]), unnest(@summary::text[]), unnest(@summary_erased::boolean[]),
    unnest(@occurred_at::timestamptz[]), unnest(@logged_by::text[]), unnest(@logged_at::timestamptz[]);

-- name: TasksInsert :exec
INSERT INTO tasks (id, debt_id, interaction_id, title, title_erased, due_at, assignee_id, status, created_by,
    created_at, completed_by, completed_at)
SELECT unnest(@id::uuid[]), unnest(@debt_id::uuid[]), nullif(unnest(@interaction_id::text[]), '')::uuid,
    unnest(@title::text[]), unnest(@title_erased::boolean[]), unnest(@due_at::timestamptz[]),
    unnest(@assignee_id::uuid[]), 'open', unnest(@created_by::text[]), unnest(@created_at::timestamptz[]), '', NULL;

-- name: InteractionsEraseSummaries :exec
-- Blanks the summaries of erased debtors' interactions, found through
-- their debts (indexed by debtor).
UPDATE interactions i SET summary = '', summary_erased = true
FROM debts d
WHERE d.debtor_id = ANY(@debtor_ids::uuid[]) AND i.debt_id = d.id AND i.summary <> '';

-- name: TasksEraseTitles :exec
UPDATE tasks t SET title = '', title_erased = true
FROM debts d
WHERE d.debtor_id = ANY(@debtor_ids::uuid[]) AND t.debt_id = d.id AND t.title <> '';

-- name: TasksComplete :execrows
-- Marks open tasks done; they were written by an earlier batch or earlier
-- in this one.
UPDATE tasks t SET status = 'done', completed_by = c.by, completed_at = c.at
FROM (SELECT unnest(@id::uuid[]) AS id, unnest(@by::text[]) AS by, unnest(@at::timestamptz[]) AS at) c
WHERE t.id = c.id AND t.status = 'open';

-- name: DocumentGet :one
SELECT * FROM documents WHERE id = @id;

-- name: DocumentByContent :one
SELECT * FROM documents WHERE debt_id = @debt_id AND sha256 = @sha256;

-- name: DocumentsOfDebt :many
-- Newest first; a debt has at most a few hundred documents.
SELECT * FROM documents WHERE debt_id = @debt_id ORDER BY uploaded_at DESC, id DESC;

-- name: InteractionsOfDebt :many
-- Most recent first, each with the task it created, if any.
SELECT i.id, i.debt_id, i.channel, i.direction, i.outcome, i.summary, i.summary_erased, i.occurred_at, i.logged_by,
    i.logged_at, t.id AS task_id, t.title AS task_title, t.title_erased AS task_title_erased, t.due_at AS task_due_at,
    t.assignee_id AS task_assignee_id, t.status AS task_status
FROM interactions i LEFT JOIN tasks t ON t.interaction_id = i.id
WHERE i.debt_id = @debt_id
  AND (sqlc.narg('after_at')::timestamptz IS NULL
       OR (i.occurred_at, i.id) < (sqlc.narg('after_at'), sqlc.narg('after_id')::uuid))
ORDER BY i.occurred_at DESC, i.id DESC
LIMIT @row_limit;

-- name: InteractionGet :one
SELECT i.id, i.debt_id, i.channel, i.direction, i.outcome, i.summary, i.summary_erased, i.occurred_at, i.logged_by,
    i.logged_at, t.id AS task_id, t.title AS task_title, t.title_erased AS task_title_erased, t.due_at AS task_due_at,
    t.assignee_id AS task_assignee_id, t.status AS task_status
FROM interactions i LEFT JOIN tasks t ON t.interaction_id = i.id
WHERE i.id = @id;

-- name: TaskGet :one
SELECT t.*, d.ref AS debt_ref, d.status AS debt_status, d.balance AS debt_balance,
    (CASE WHEN d.status IN ('open', 'amicable', 'payment_plan', 'legal', 'on_hold')
          THEN greatest(0, sqlc.arg('today')::date - d.current_due_on) ELSE 0 END)::int AS days_past_due
FROM tasks t JOIN debts d ON d.id = t.debt_id
WHERE t.id = @id;

-- name: TaskQueue :many
-- The work queue: tasks by priority, most days past due first (a debt
-- closed is past nothing), then the largest balance, then the earliest
-- due, each with its keyset cursor. Days past due are counted from
-- @today, the date in Algiers.
SELECT q.id, q.debt_id, q.interaction_id, q.title, q.due_at, q.assignee_id, q.status, q.created_by, q.created_at,
    q.completed_by, q.completed_at, q.title_erased, q.debt_ref, q.debt_status, q.debt_balance, q.days_past_due
FROM (
    SELECT t.*, d.ref AS debt_ref, d.status AS debt_status, d.balance AS debt_balance,
        (CASE WHEN d.status IN ('open', 'amicable', 'payment_plan', 'legal', 'on_hold')
              THEN greatest(0, sqlc.arg('today')::date - d.current_due_on) ELSE 0 END)::int AS days_past_due
    FROM tasks t JOIN debts d ON d.id = t.debt_id
    WHERE t.status = @status
      AND (sqlc.narg('assignee_id')::uuid IS NULL OR t.assignee_id = sqlc.narg('assignee_id'))
      AND (sqlc.narg('debt_id')::uuid IS NULL OR t.debt_id = sqlc.narg('debt_id'))
      AND (sqlc.narg('due_before')::timestamptz IS NULL OR t.due_at < sqlc.narg('due_before'))
) q
WHERE sqlc.narg('after_days')::int IS NULL
   OR q.days_past_due < sqlc.narg('after_days')
   OR (q.days_past_due = sqlc.narg('after_days') AND q.debt_balance < sqlc.narg('after_balance')::bigint)
   OR (q.days_past_due = sqlc.narg('after_days') AND q.debt_balance = sqlc.narg('after_balance')::bigint
       AND (q.due_at, q.id) > (sqlc.narg('after_due')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY q.days_past_due DESC, q.debt_balance DESC, q.due_at, q.id
LIMIT @row_limit;
