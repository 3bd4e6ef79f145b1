-- Credentials, MFA and sessions: written by the API, never projected.

-- name: CredentialsInsert :execrows
-- Zero rows when the e-mail is already some account's login.
INSERT INTO credentials (account_id, email, password_hash, created_at, updated_at)
VALUES (@account_id, @email, @password_hash, @now, @now)
ON CONFLICT (email) DO NOTHING;

-- name: CredentialsDelete :exec
-- Frees the login of an account the decider refused to create.
DELETE FROM credentials WHERE account_id = @account_id;

-- name: CredentialsByEmail :one
SELECT * FROM credentials WHERE email = @email;

-- name: CredentialsLock :one
-- Serialises the attempts on one account, so a code or a failure count is
-- never read by two attempts at once.
SELECT * FROM credentials WHERE account_id = @account_id FOR UPDATE;

-- name: CredentialsSetPasswordFactor :exec
UPDATE credentials SET password_failures = @failures, password_locks = @locks,
    password_locked_until = @locked_until, password_blocked = @blocked, updated_at = @now
WHERE account_id = @account_id;

-- name: CredentialsSetTOTPFactor :exec
UPDATE credentials SET totp_failures = @failures, totp_locks = @locks,
    totp_locked_until = @locked_until, totp_blocked = @blocked, updated_at = @now
WHERE account_id = @account_id;

-- name: CredentialsSetPending :exec
UPDATE credentials SET totp_pending = @totp_pending, updated_at = @now WHERE account_id = @account_id;

-- name: CredentialsActivateTOTP :exec
UPDATE credentials SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = @last_step,
    totp_failures = 0, totp_locks = 0, totp_locked_until = NULL, totp_blocked = false, updated_at = @now
WHERE account_id = @account_id;

-- name: CredentialsSetLastStep :exec
UPDATE credentials SET totp_last_step = @last_step, updated_at = @now WHERE account_id = @account_id;

-- name: CredentialsResetMFA :exec
UPDATE credentials SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0, updated_at = @now
WHERE account_id = @account_id;

-- name: CredentialsUnlock :exec
UPDATE credentials SET password_failures = 0, password_locks = 0, password_locked_until = NULL,
    password_blocked = false, totp_failures = 0, totp_locks = 0, totp_locked_until = NULL,
    totp_blocked = false, updated_at = @now
WHERE account_id = @account_id;

-- name: RecoveryCodesDelete :exec
DELETE FROM recovery_codes WHERE account_id = @account_id;

-- name: RecoveryCodesInsert :exec
INSERT INTO recovery_codes (account_id, code_hash)
SELECT @account_id, unnest(@code_hashes::bytea[]);

-- name: RecoveryCodeUse :execrows
UPDATE recovery_codes SET used_at = @now::timestamptz
WHERE account_id = @account_id AND code_hash = @code_hash AND used_at IS NULL;

-- name: MFAChallengeInsert :exec
INSERT INTO mfa_challenges (token_hash, account_id, created_at, expires_at)
VALUES (@token_hash, @account_id, @now, @expires_at);

-- name: MFAChallengeGet :one
SELECT * FROM mfa_challenges WHERE token_hash = @token_hash AND used_at IS NULL AND expires_at > @now;

-- name: MFAChallengeUse :exec
UPDATE mfa_challenges SET used_at = @now::timestamptz WHERE token_hash = @token_hash;

-- name: MFAChallengesPurge :execrows
DELETE FROM mfa_challenges WHERE expires_at < @before;

-- name: SessionsPurge :execrows
-- Sessions that ended (revoked, past their absolute expiry, or idle since)
-- before @before. Their end is already in security_log or derivable.
DELETE FROM sessions
WHERE coalesce(revoked_at, least(expires_at, last_seen_at + make_interval(secs => @idle_seconds::float8))) < @before;

-- name: SessionInsert :exec
INSERT INTO sessions (id, token_hash, csrf_hash, account_id, created_at, last_seen_at, expires_at, ip, user_agent)
VALUES (@id, @token_hash, @csrf_hash, @account_id, @now, @now, @expires_at, @ip, @user_agent);

-- name: SessionByToken :one
-- The session with what authorisation needs of its account, in one query.
SELECT s.id, s.csrf_hash, s.account_id, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at,
    a.status AS account_status, a.role, a.creditor_id, a.debtor_id
FROM sessions s JOIN accounts a ON a.id = s.account_id
WHERE s.token_hash = @token_hash;

-- name: SessionTouch :exec
UPDATE sessions SET last_seen_at = @now WHERE id = @id AND revoked_at IS NULL;

-- name: SessionRevoke :execrows
UPDATE sessions SET revoked_at = @now::timestamptz, revoked_why = @why::text WHERE id = @id AND revoked_at IS NULL;

-- name: SessionsRevokeAccount :execrows
UPDATE sessions SET revoked_at = @now::timestamptz, revoked_why = @why::text WHERE account_id = @account_id AND revoked_at IS NULL;

-- name: APIKeyInsert :exec
INSERT INTO api_keys (id, token_hash, prefix, account_id, creditor_id, name, scopes, created_at, expires_at)
VALUES (@id, @token_hash, @prefix, @account_id, @creditor_id, @name, @scopes, @now, @expires_at);

-- name: APIKeyByToken :one
SELECT k.id, k.account_id, k.creditor_id, k.scopes, k.expires_at, k.revoked_at, k.last_used_at,
    a.status AS account_status, a.role
FROM api_keys k JOIN accounts a ON a.id = k.account_id
WHERE k.token_hash = @token_hash;

-- name: APIKeyTouch :exec
UPDATE api_keys SET last_used_at = @now::timestamptz, last_used_ip = @ip::text WHERE id = @id;

-- name: APIKeysOfCreditor :many
SELECT id, prefix, name, scopes, created_at, expires_at, last_used_at, last_used_ip, revoked_at, account_id
FROM api_keys WHERE creditor_id = @creditor_id ORDER BY created_at DESC, id DESC;

-- name: APIKeyRevoke :execrows
UPDATE api_keys SET revoked_at = @now::timestamptz WHERE id = @id AND creditor_id = @creditor_id AND revoked_at IS NULL;

-- name: APIKeyGet :one
SELECT id, prefix, name, scopes, created_at, expires_at, last_used_at, last_used_ip, revoked_at, account_id
FROM api_keys WHERE id = @id AND creditor_id = @creditor_id;

-- name: SecurityLogInsert :exec
INSERT INTO security_log (at, action, outcome, actor_id, actor_role, ip, user_agent, subject_type, subject_id, detail)
VALUES (@at, @action, @outcome, sqlc.narg('actor_id'), @actor_role, @ip, @user_agent, @subject_type, @subject_id, @detail);
