-- name: CommandOutcomesInsert :exec
INSERT INTO command_outcomes (command_id, command_type, status, aggregate_type, aggregate_id,
    aggregate_version, rejection, event_partition, last_event_offset, decided_at, actor)
SELECT unnest(@command_id::uuid[]), unnest(@command_type::text[]), unnest(@status::text[]), unnest(@aggregate_type::text[]), unnest(@aggregate_id::uuid[]), unnest(@aggregate_version::bigint[]), unnest(@rejection::jsonb[]), unnest(@event_partition::int[]), unnest(@last_event_offset::bigint[]), unnest(@decided_at::timestamptz[]), unnest(@actor::jsonb[])
ON CONFLICT (command_id) DO NOTHING;

-- name: CommandOutcomeGet :one
SELECT * FROM command_outcomes WHERE command_id = @command_id;
