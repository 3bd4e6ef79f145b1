-- name: AuditList :many
-- The audit trail: every event (accepted commands), every rejected
-- command, and the security facts, newest first. The filters reach into
-- each branch of the union, where the indexes are.
SELECT at, source, entry_id, action, outcome, actor_id, actor_role, ip, subject_type, subject_id, detail FROM (
    SELECT e.occurred_at AS at, 'event'::text AS source, e.event_id::text AS entry_id, e.type AS action,
        'accepted'::text AS outcome, coalesce(e.actor->>'user_id', '')::text AS actor_id,
        coalesce(e.actor->>'role', '')::text AS actor_role, coalesce(e.actor->>'ip', '')::text AS ip,
        e.aggregate_type AS subject_type, e.aggregate_id::text AS subject_id, e.data AS detail
    FROM event_log e
    UNION ALL
    SELECT o.decided_at, 'command', o.command_id::text, o.command_type, 'rejected',
        coalesce(o.actor->>'user_id', ''), coalesce(o.actor->>'role', ''), coalesce(o.actor->>'ip', ''),
        o.aggregate_type, o.aggregate_id::text, coalesce(o.rejection, '{}'::jsonb)
    FROM command_outcomes o WHERE o.status = 'rejected'
    UNION ALL
    SELECT l.at, 'security', lpad(l.id::text, 19, '0'), l.action, l.outcome, coalesce(l.actor_id::text, ''), l.actor_role, l.ip,
        l.subject_type, l.subject_id, l.detail
    FROM security_log l
) AS audit
WHERE (sqlc.narg('actor')::text IS NULL OR actor_id = sqlc.narg('actor'))
  AND (sqlc.narg('subject')::text IS NULL OR subject_id = sqlc.narg('subject'))
  AND (sqlc.narg('action')::text IS NULL OR action = sqlc.narg('action') OR action LIKE sqlc.narg('action') || '.%')
  AND (sqlc.narg('outcome')::text IS NULL OR outcome = sqlc.narg('outcome'))
  AND (sqlc.narg('from_at')::timestamptz IS NULL OR at >= sqlc.narg('from_at'))
  AND (sqlc.narg('to_at')::timestamptz IS NULL OR at < sqlc.narg('to_at'))
  AND (sqlc.narg('after_at')::timestamptz IS NULL
       OR (at, source, entry_id) < (sqlc.narg('after_at'), sqlc.narg('after_source')::text, sqlc.narg('after_entry')::text))
ORDER BY at DESC, source DESC, entry_id DESC
LIMIT @row_limit;
