package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/store"
)

// Attempt says what a sign-in step did, for the audit trail and the
// account's lock events. The caller answers the client the same way
// whatever it holds.
type Attempt struct {
	// AccountID is empty when the e-mail is no account's.
	AccountID string
	Factor    string // password | totp | recovery_code
	Succeeded bool
	// Reason is why it failed: unknown_email, wrong_password, locked,
	// wrong_code, replayed_code, used_recovery_code, inactive.
	Reason string
	// LockedNow is true when this failure locked the factor, until Until
	// or, when Blocked, until an admin unlocks it.
	LockedNow bool
	Until     time.Time
	Blocked   bool
	Failures  int
}

// LoginResult is the answer to a right password.
type LoginResult struct {
	MFAToken           string
	EnrollmentRequired bool
	ExpiresAt          time.Time
}

// Login checks an e-mail and password. It costs one argon2id verification
// whatever the e-mail, so timing does not tell whether it is an account's.
func (s *Service) Login(ctx context.Context, email, password string) (LoginResult, Attempt, error) {
	q := store.New(s.cfg.Pool)
	cred, err := q.CredentialsByEmail(ctx, NormalizeEmail(email))
	if errors.Is(err, pgx.ErrNoRows) {
		access.DummyVerify(password)
		return LoginResult{}, Attempt{Factor: "password", Reason: "unknown_email"}, ErrBadCredentials
	}
	if err != nil {
		return LoginResult{}, Attempt{}, err
	}
	att := Attempt{AccountID: cred.AccountID, Factor: "password"}
	var res LoginResult
	err = s.attemptTx(ctx, func(q *store.Queries) error {
		cred, err := q.CredentialsLock(ctx, cred.AccountID)
		if err != nil {
			return err
		}
		now := s.now()
		f := passwordFactor(cred)
		locked, _ := f.Locked(now)
		ok, verr := access.VerifyPassword(cred.PasswordHash, password)
		if verr != nil {
			return fmt.Errorf("verify password of %s: %w", cred.AccountID, verr)
		}
		switch {
		case locked:
			// The hash was still computed: a locked account answers as fast
			// as any other. A right password does not reset the count.
			att.Reason = "locked"
			return ErrBadCredentials
		case !ok:
			next, lockedNow := f.Fail(now)
			att.Reason, att.Failures, att.LockedNow, att.Blocked = "wrong_password", next.Failures, lockedNow, next.Blocked
			att.Until = next.LockedUntil
			if err := q.CredentialsSetPasswordFactor(ctx, passwordParams(cred.AccountID, next, now)); err != nil {
				return err
			}
			return ErrBadCredentials
		}
		if f.Failures > 0 {
			if err := q.CredentialsSetPasswordFactor(ctx, passwordParams(cred.AccountID, f.Succeed(), now)); err != nil {
				return err
			}
		}
		acc, err := q.AccountGet(ctx, cred.AccountID)
		if errors.Is(err, pgx.ErrNoRows) {
			att.Reason = "inactive"
			return &InactiveError{}
		}
		if err != nil {
			return err
		}
		if acc.Status != "active" {
			att.Reason = "inactive"
			return &InactiveError{Status: acc.Status}
		}
		token, hash, err := access.NewToken("tm_")
		if err != nil {
			return err
		}
		res = LoginResult{MFAToken: token, EnrollmentRequired: cred.TotpSecret == nil, ExpiresAt: now.Add(s.cfg.MFATokenTTL)}
		att.Succeeded = true
		return q.MFAChallengeInsert(ctx, store.MFAChallengeInsertParams{
			TokenHash: hash, AccountID: cred.AccountID, Now: now, ExpiresAt: res.ExpiresAt,
		})
	})
	if err != nil {
		return LoginResult{}, att, err
	}
	return res, att, nil
}

// attemptTx runs one sign-in step in a transaction that commits when the
// step ends with a refusal too: a failure count must be kept precisely
// when the attempt failed. Infrastructure errors roll back.
func (s *Service) attemptTx(ctx context.Context, f func(q *store.Queries) error) error {
	tx, err := s.cfg.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := f(store.New(tx)); err != nil && !isAnswer(err) {
		return err
	} else if cerr := tx.Commit(ctx); cerr != nil {
		return cerr
	} else {
		return err
	}
}

// isAnswer tells the refusals that are answers from infrastructure errors.
func isAnswer(err error) bool {
	var ie *InactiveError
	for _, known := range []error{ErrBadCredentials, ErrBadCode, ErrBadChallenge, ErrEnrolled, ErrNotEnrolled, ErrNoPendingEnrolment} {
		if errors.Is(err, known) {
			return true
		}
	}
	return errors.As(err, &ie)
}

func passwordFactor(c store.Credential) access.Factor {
	return access.Factor{Failures: int(c.PasswordFailures), Locks: int(c.PasswordLocks), LockedUntil: deref(c.PasswordLockedUntil), Blocked: c.PasswordBlocked}
}

func totpFactor(c store.Credential) access.Factor {
	return access.Factor{Failures: int(c.TotpFailures), Locks: int(c.TotpLocks), LockedUntil: deref(c.TotpLockedUntil), Blocked: c.TotpBlocked}
}

func passwordParams(id string, f access.Factor, now time.Time) store.CredentialsSetPasswordFactorParams {
	return store.CredentialsSetPasswordFactorParams{AccountID: id, Failures: int32(f.Failures), Locks: int32(f.Locks),
		LockedUntil: ptr(f.LockedUntil), Blocked: f.Blocked, Now: now}
}

func totpParams(id string, f access.Factor, now time.Time) store.CredentialsSetTOTPFactorParams {
	return store.CredentialsSetTOTPFactorParams{AccountID: id, Failures: int32(f.Failures), Locks: int32(f.Locks),
		LockedUntil: ptr(f.LockedUntil), Blocked: f.Blocked, Now: now}
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
