-- name: EventLogInsert :copyfrom
INSERT INTO event_log (event_id, aggregate_type, aggregate_id, aggregate_version, type, schema_version,
    occurred_at, actor, command_id, correlation_id, data, personal, partition, kafka_offset)
VALUES (@event_id, @aggregate_type, @aggregate_id, @aggregate_version, @type, @schema_version,
    @occurred_at, @actor, @command_id, @correlation_id, @data, @personal, @partition, @kafka_offset);

-- name: EventLogByAggregate :many
SELECT * FROM event_log WHERE aggregate_type = @aggregate_type AND aggregate_id = @aggregate_id
ORDER BY aggregate_version;

