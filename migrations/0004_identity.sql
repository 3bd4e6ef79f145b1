-- Identity and access. Two kinds of tables live here:
--
--   * accounts and creditor_debtors are read models, projected from the log
--     and rebuildable like any other;
--   * credentials, recovery_codes, mfa_challenges, sessions, api_keys and
--     security_log are written by the API itself. They hold secrets (hashes,
--     the sealed TOTP secret) or high-volume security facts, which never
--     enter Kafka, so they cannot be rebuilt and are never truncated.

-- The account aggregate as staff and the login flow read it.
CREATE TABLE accounts (
    id               uuid PRIMARY KEY,
    status           text NOT NULL,
    kind             text NOT NULL,           -- creditor | debtor for a registration, '' for an account created by staff
    role             text NOT NULL,           -- '' while a registration is pending
    creditor_id      uuid,
    debtor_id        uuid,
    email            text NOT NULL,
    full_name        text NOT NULL,
    phone            text NOT NULL,
    -- What a registration declared to identify its company or person
    -- (nif, rc, nin), decrypted: staff match it against existing records.
    declared         jsonb NOT NULL,
    mfa_enrolled     boolean NOT NULL,
    status_reason    text NOT NULL,
    erased           boolean NOT NULL,
    version          bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX accounts_list ON accounts (status, created_at DESC, id DESC);

-- Which debtors a creditor may see: those it declared and, with the case
-- files, those of its debts. Scoping joins on it.
CREATE TABLE creditor_debtors (
    creditor_id uuid NOT NULL,
    debtor_id   uuid NOT NULL,
    PRIMARY KEY (creditor_id, debtor_id)
);
CREATE INDEX creditor_debtors_debtor ON creditor_debtors (debtor_id);

-- The secrets of an account. email is the login name, normalised to lower
-- case; it is unique here because two accounts cannot share a login even
-- before the projection has caught up.
CREATE TABLE credentials (
    account_id            uuid PRIMARY KEY,
    email                 text NOT NULL UNIQUE,
    password_hash         text NOT NULL,
    -- The TOTP secret, sealed with the account's data key (AES-256-GCM):
    -- erasing the person erases it too. totp_pending holds a secret shown
    -- at enrolment that no valid code has confirmed yet.
    totp_secret           bytea,
    totp_pending          bytea,
    totp_last_step        bigint NOT NULL DEFAULT 0,
    password_failures     int NOT NULL DEFAULT 0,
    password_locks        int NOT NULL DEFAULT 0,
    password_locked_until timestamptz,
    password_blocked      boolean NOT NULL DEFAULT false,
    totp_failures         int NOT NULL DEFAULT 0,
    totp_locks            int NOT NULL DEFAULT 0,
    totp_locked_until     timestamptz,
    totp_blocked          boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);

CREATE TABLE recovery_codes (
    account_id uuid  NOT NULL REFERENCES credentials (account_id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (account_id, code_hash)
);

-- The short-lived token between the password and the second factor. It can
-- do nothing but the MFA steps.
CREATE TABLE mfa_challenges (
    token_hash bytea PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES credentials (account_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX mfa_challenges_account ON mfa_challenges (account_id);

-- Sessions after MFA. Only the token's SHA-256 is kept, so a copy of this
-- table opens no session.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,
    csrf_hash    bytea NOT NULL,
    account_id   uuid NOT NULL REFERENCES credentials (account_id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,    -- absolute expiry; idle expiry is last_seen_at + the idle timeout
    revoked_at   timestamptz,
    revoked_why  text,
    ip           text NOT NULL,
    user_agent   text NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;

-- A creditor's API keys, shown once, kept as SHA-256.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    account_id   uuid NOT NULL REFERENCES credentials (account_id) ON DELETE CASCADE,
    creditor_id  uuid NOT NULL,
    name         text NOT NULL,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    last_used_ip text,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_creditor ON api_keys (creditor_id, created_at DESC);

-- Security facts that are not events of an aggregate: logins for unknown
-- e-mails, denied requests, sessions ended, API keys issued and revoked.
-- Append-only: the trigger below refuses any change, so nothing in the
-- audit trail can be altered through the application.
CREATE TABLE security_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL,
    action       text NOT NULL,
    outcome      text NOT NULL,
    actor_id     uuid,
    actor_role   text NOT NULL,
    ip           text NOT NULL,
    user_agent   text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    detail       jsonb NOT NULL
);
CREATE INDEX security_log_at ON security_log (at DESC, id DESC);

CREATE FUNCTION security_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'security_log is append-only';
END $$;
CREATE TRIGGER security_log_no_update BEFORE UPDATE OR DELETE ON security_log
    FOR EACH ROW EXECUTE FUNCTION security_log_append_only();
CREATE TRIGGER security_log_no_truncate BEFORE TRUNCATE ON security_log
    FOR EACH STATEMENT EXECUTE FUNCTION security_log_append_only();

-- Who issued a command, for the audit of rejected commands and for scoping
-- GET /api/v1/commands/{id} to its issuer.
ALTER TABLE command_outcomes ADD COLUMN actor jsonb NOT NULL DEFAULT '{}';

CREATE INDEX event_log_occurred ON event_log (occurred_at DESC, event_id DESC);
