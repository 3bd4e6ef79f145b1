-- Core of the read side: projection bookkeeping, command outcomes, the event
-- timeline, and the write-side guards that live beside the read models.

-- Data keys for crypto-shredding: one AES-256 key per person, wrapped by the
-- master key. Destroying a row makes that person's sealed data unreadable.
CREATE TABLE data_keys (
    subject_id   uuid PRIMARY KEY,
    wrapped_key  bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    destroyed_at timestamptz
);

-- Uniqueness across aggregates (a NIN, a NIF, a short reference) is claimed
-- here before a command is submitted, so two concurrent requests cannot both
-- pass the read-model check. Values are keyed digests, never clear text.
CREATE TABLE unique_claims (
    kind         text  NOT NULL,
    digest       bytea NOT NULL,
    aggregate_id uuid  NOT NULL,
    claimed_at   timestamptz NOT NULL,
    PRIMARY KEY (kind, digest)
);
CREATE INDEX unique_claims_aggregate ON unique_claims (aggregate_id);

-- Idempotency-Key on POST: the first request's command is remembered so a
-- retry returns its result instead of creating anything.
CREATE TABLE idempotency_keys (
    scope        text  NOT NULL,
    key          text  NOT NULL,
    request_hash bytea NOT NULL,
    command_id   uuid  NOT NULL,
    aggregate_id uuid  NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

-- (projection, partition) → next offset, written in the same transaction as
-- the rows a batch changes: a crash replays nothing twice and loses nothing.
CREATE TABLE projection_offsets (
    projection  text   NOT NULL,
    partition   int    NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (projection, partition)
);

-- Events a projection could not apply. The projection stops at the first one
-- (fail-stop) until an operator fixes the cause or skips it explicitly.
CREATE TABLE projection_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projection  text   NOT NULL,
    partition   int    NOT NULL,
    kafka_offset    bigint NOT NULL,
    event_id    text   NOT NULL,
    event_type  text   NOT NULL,
    error       text   NOT NULL,
    failed_at   timestamptz NOT NULL,
    resolved_at timestamptz,
    resolution  text,
    resolved_by text,
    UNIQUE (projection, partition, kafka_offset)
);

-- What the decider said about each command (tahsil.outcomes), for
-- GET /api/v1/commands/{id} when the caller stopped waiting.
CREATE TABLE command_outcomes (
    command_id        uuid PRIMARY KEY,
    command_type      text NOT NULL,
    status            text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    aggregate_type    text NOT NULL,
    aggregate_id      uuid NOT NULL,
    aggregate_version bigint NOT NULL,
    rejection         jsonb,
    event_partition   int,
    last_event_offset bigint,
    decided_at        timestamptz NOT NULL
);

-- The timeline: every event, personal part still sealed, for the history
-- endpoints and the audit log.
CREATE TABLE event_log (
    event_id          uuid PRIMARY KEY,
    aggregate_type    text   NOT NULL,
    aggregate_id      uuid   NOT NULL,
    aggregate_version bigint NOT NULL,
    type              text   NOT NULL,
    schema_version    int    NOT NULL,
    occurred_at       timestamptz NOT NULL,
    actor             jsonb  NOT NULL,
    command_id        uuid   NOT NULL,
    correlation_id    text   NOT NULL,
    data              jsonb  NOT NULL,
    personal          bytea,
    partition         int    NOT NULL,
    kafka_offset          bigint NOT NULL,
    UNIQUE (aggregate_id, aggregate_version)
);
