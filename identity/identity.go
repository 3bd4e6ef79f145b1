// Package identity keeps the secrets of accounts and the sessions built on
// them: credentials, the TOTP second factor, recovery codes, MFA challenges,
// sessions and API keys. All of it lives in PostgreSQL tables of its own and
// never enters Kafka; the account's lifecycle (registered, approved, MFA
// enrolled, locked, ...) is the account aggregate's, in the log.
//
// The package imports no HTTP framework: the API maps its results and
// errors to responses, and the command line uses it to create staff
// accounts.
package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Sealer encrypts a value under a person's data key (events.Sealer): the
// TOTP secret is sealed with the account's key, so erasing the person
// erases the secret too.
type Sealer interface {
	Seal(ctx context.Context, subject string, v any) (collection.Sealed, error)
	Open(ctx context.Context, subject string, sealed []byte, v any) error
}

// Keys creates a person's data key before anything is sealed under it.
type Keys interface {
	Create(ctx context.Context, subject string) error
}

// Config configures the service. Durations default to the contract of the
// identity issue.
type Config struct {
	Pool   *pgxpool.Pool
	Sealer Sealer
	Keys   Keys
	// Issuer names Tahsil in authenticator apps.
	Issuer string
	// IdleTimeout ends a session not used for that long (30 min).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends every session that long after login (12 h).
	AbsoluteTimeout time.Duration
	// MFATokenTTL bounds the step between password and code (5 min).
	MFATokenTTL time.Duration
	Now         func() time.Time
}

// Service is the identity store.
type Service struct {
	cfg Config
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil || cfg.Sealer == nil || cfg.Keys == nil {
		return nil, errors.New("identity: pool, sealer and keys are required")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "Tahsil"
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.AbsoluteTimeout == 0 {
		cfg.AbsoluteTimeout = 12 * time.Hour
	}
	if cfg.MFATokenTTL == 0 {
		cfg.MFATokenTTL = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// IdleTimeout is the configured idle expiry of sessions.
func (s *Service) IdleTimeout() time.Duration { return s.cfg.IdleTimeout }

// Errors the API maps to responses. None of them says whether an e-mail
// belongs to an account.
var (
	// ErrBadCredentials covers an unknown e-mail, a wrong password and a
	// locked password factor alike.
	ErrBadCredentials = errors.New("identity: the e-mail or password is wrong, or sign-in is paused after repeated failures")
	// ErrBadChallenge is an MFA token that is unknown, used or expired.
	ErrBadChallenge = errors.New("identity: the MFA token is unknown, used or expired")
	// ErrBadCode is a wrong, replayed or locked second factor.
	ErrBadCode = errors.New("identity: the code is wrong or already used, or the second factor is paused after repeated failures")
	// ErrEnrolled refuses a second enrolment; an admin resets MFA first.
	ErrEnrolled = errors.New("identity: MFA is already enrolled for this account")
	// ErrNotEnrolled refuses a code before enrolment.
	ErrNotEnrolled = errors.New("identity: MFA is not enrolled yet; enrol first")
	// ErrNoPendingEnrolment is an activation without enrolment.
	ErrNoPendingEnrolment = errors.New("identity: no enrolment in progress; call enroll first")
	// ErrEmailTaken is returned only to staff and the command line; the
	// registration endpoint hides it.
	ErrEmailTaken = errors.New("identity: this e-mail is already an account's login")
	// ErrUnauthenticated is a missing, unknown, expired or revoked token.
	ErrUnauthenticated = errors.New("identity: not signed in, or the session has ended")
)

// InactiveError is a right password for an account that cannot sign in:
// the person proved who they are, so they are told why.
type InactiveError struct{ Status string }

func (e *InactiveError) Error() string {
	switch e.Status {
	case "pending":
		return "your registration is waiting for approval by ADC staff"
	case "rejected":
		return "your registration was not approved"
	case "disabled":
		return "this account is disabled; contact ADC"
	}
	return "this account cannot sign in yet; try again in a moment"
}

// NormalizeEmail is the login form of an e-mail: trimmed, lower case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateCredentials stores a new account's login and password hash. It
// fails with ErrEmailTaken when the e-mail is another account's login, and
// with a *PasswordError when the password breaks the policy.
func (s *Service) CreateCredentials(ctx context.Context, accountID, email, password string) error {
	if reason := access.CheckPassword(password); reason != "" {
		return &PasswordError{Reason: reason}
	}
	hash, err := access.HashPassword(password)
	if err != nil {
		return err
	}
	return s.StoreCredentials(ctx, accountID, email, hash)
}

// StoreCredentials stores a login with an already computed password hash,
// so a caller can hash before deciding anything (equal timing whatever the
// e-mail).
func (s *Service) StoreCredentials(ctx context.Context, accountID, email, passwordHash string) error {
	n, err := store.New(s.cfg.Pool).CredentialsInsert(ctx, store.CredentialsInsertParams{
		AccountID: accountID, Email: NormalizeEmail(email), PasswordHash: passwordHash, Now: s.now(),
	})
	if err != nil {
		return fmt.Errorf("store credentials: %w", err)
	}
	if n == 0 {
		return ErrEmailTaken
	}
	// The data key seals the person's data and TOTP secret; it is made only
	// for a login that was stored.
	return s.cfg.Keys.Create(ctx, accountID)
}

// PasswordError is a password the policy refuses.
type PasswordError struct{ Reason string }

func (e *PasswordError) Error() string { return e.Reason }

// inTx runs f in a transaction.
func (s *Service) inTx(ctx context.Context, f func(q *store.Queries) error) error {
	return pgx.BeginFunc(ctx, s.cfg.Pool, func(tx pgx.Tx) error { return f(store.New(tx)) })
}

// ResetMFA forgets an account's second factor and recovery codes and ends
// its sessions: the user enrols again at the next login.
func (s *Service) ResetMFA(ctx context.Context, accountID string) error {
	return s.inTx(ctx, func(q *store.Queries) error {
		now := s.now()
		if err := q.CredentialsResetMFA(ctx, store.CredentialsResetMFAParams{AccountID: accountID, Now: now}); err != nil {
			return err
		}
		if err := q.RecoveryCodesDelete(ctx, accountID); err != nil {
			return err
		}
		_, err := q.SessionsRevokeAccount(ctx, store.SessionsRevokeAccountParams{AccountID: accountID, Now: now, Why: "mfa reset"})
		return err
	})
}

// Unlock clears both factors' failure counts and locks (an admin's unlock).
func (s *Service) Unlock(ctx context.Context, accountID string) error {
	return store.New(s.cfg.Pool).CredentialsUnlock(ctx, store.CredentialsUnlockParams{AccountID: accountID, Now: s.now()})
}

// EndSessions revokes every session of an account at once (disabled
// account, MFA reset).
func (s *Service) EndSessions(ctx context.Context, accountID, why string) (int64, error) {
	return store.New(s.cfg.Pool).SessionsRevokeAccount(ctx, store.SessionsRevokeAccountParams{AccountID: accountID, Now: s.now(), Why: why})
}
