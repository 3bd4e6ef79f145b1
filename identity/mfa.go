package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/store"
)

// Enrolment is what an authenticator app needs: the secret (base32), the
// otpauth URI and the same URI as a QR code (PNG).
type Enrolment struct {
	Secret     string
	OTPAuthURI string
	QRPNG      []byte
}

// Client is where a request came from, kept with the session it opens.
type Client struct {
	IP        string
	UserAgent string
}

// challenge resolves a live MFA token to its account.
func (s *Service) challenge(ctx context.Context, q *store.Queries, token string) (store.MfaChallenge, error) {
	ch, err := q.MFAChallengeGet(ctx, store.MFAChallengeGetParams{TokenHash: access.HashToken(token), Now: s.now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return ch, ErrBadChallenge
	}
	return ch, err
}

// Enroll starts (or restarts) an enrolment: a new 160-bit secret, kept
// sealed as pending until a code from it activates it.
func (s *Service) Enroll(ctx context.Context, mfaToken string) (Enrolment, error) {
	var out Enrolment
	err := s.inTx(ctx, func(q *store.Queries) error {
		ch, err := s.challenge(ctx, q, mfaToken)
		if err != nil {
			return err
		}
		cred, err := q.CredentialsLock(ctx, ch.AccountID)
		if err != nil {
			return err
		}
		if cred.TotpSecret != nil {
			return ErrEnrolled
		}
		key, err := access.NewTOTPKey(s.cfg.Issuer, cred.Email)
		if err != nil {
			return err
		}
		png, err := access.TOTPQRPNG(key, 256)
		if err != nil {
			return err
		}
		sealed, err := s.cfg.Sealer.Seal(ctx, cred.AccountID, key.Secret())
		if err != nil {
			return fmt.Errorf("seal TOTP secret: %w", err)
		}
		out = Enrolment{Secret: key.Secret(), OTPAuthURI: key.URL(), QRPNG: png}
		return q.CredentialsSetPending(ctx, store.CredentialsSetPendingParams{AccountID: cred.AccountID, TotpPending: sealed, Now: s.now()})
	})
	return out, err
}

// Activation is the end of a first login: the recovery codes, shown once,
// and the session.
type Activation struct {
	RecoveryCodes []string
	Session       Session
}

// Activate confirms an enrolment with one valid code from the pending
// secret, issues ten recovery codes and opens a session.
func (s *Service) Activate(ctx context.Context, mfaToken, code string, from Client) (Activation, Attempt, error) {
	var out Activation
	att := Attempt{Factor: "totp"}
	err := s.attemptTx(ctx, func(q *store.Queries) error {
		ch, err := s.challenge(ctx, q, mfaToken)
		if err != nil {
			return err
		}
		att.AccountID = ch.AccountID
		cred, err := q.CredentialsLock(ctx, ch.AccountID)
		if err != nil {
			return err
		}
		if cred.TotpSecret != nil {
			return ErrEnrolled
		}
		if cred.TotpPending == nil {
			return ErrNoPendingEnrolment
		}
		step, err := s.checkTOTP(ctx, q, cred, cred.TotpPending, code, &att)
		if err != nil {
			return err
		}
		now := s.now()
		if err := q.CredentialsActivateTOTP(ctx, store.CredentialsActivateTOTPParams{AccountID: cred.AccountID, LastStep: step, Now: now}); err != nil {
			return err
		}
		codes, hashes, err := access.NewRecoveryCodes()
		if err != nil {
			return err
		}
		if err := q.RecoveryCodesDelete(ctx, cred.AccountID); err != nil {
			return err
		}
		if err := q.RecoveryCodesInsert(ctx, store.RecoveryCodesInsertParams{AccountID: cred.AccountID, CodeHashes: hashes}); err != nil {
			return err
		}
		if err := q.MFAChallengeUse(ctx, store.MFAChallengeUseParams{TokenHash: ch.TokenHash, Now: now}); err != nil {
			return err
		}
		out.RecoveryCodes = codes
		out.Session, err = s.openSession(ctx, q, cred.AccountID, from)
		att.Succeeded = err == nil
		return err
	})
	return out, att, err
}

// Verify is the second step of a later login: a TOTP code or, instead, one
// of the recovery codes. Each is accepted once.
func (s *Service) Verify(ctx context.Context, mfaToken, code, recoveryCode string, from Client) (Session, Attempt, error) {
	var out Session
	att := Attempt{Factor: "totp"}
	if recoveryCode != "" {
		att.Factor = "recovery_code"
	}
	err := s.attemptTx(ctx, func(q *store.Queries) error {
		ch, err := s.challenge(ctx, q, mfaToken)
		if err != nil {
			return err
		}
		att.AccountID = ch.AccountID
		cred, err := q.CredentialsLock(ctx, ch.AccountID)
		if err != nil {
			return err
		}
		if cred.TotpSecret == nil {
			return ErrNotEnrolled
		}
		now := s.now()
		if recoveryCode != "" {
			if err := s.checkRecovery(ctx, q, cred, recoveryCode, &att); err != nil {
				return err
			}
		} else {
			step, err := s.checkTOTP(ctx, q, cred, cred.TotpSecret, code, &att)
			if err != nil {
				return err
			}
			if err := q.CredentialsSetLastStep(ctx, store.CredentialsSetLastStepParams{AccountID: cred.AccountID, LastStep: step, Now: now}); err != nil {
				return err
			}
		}
		if err := q.MFAChallengeUse(ctx, store.MFAChallengeUseParams{TokenHash: ch.TokenHash, Now: now}); err != nil {
			return err
		}
		out, err = s.openSession(ctx, q, cred.AccountID, from)
		att.Succeeded = err == nil
		return err
	})
	return out, att, err
}

// checkTOTP verifies a code against a sealed secret under the second
// factor's lock, counting a failure when it is wrong.
func (s *Service) checkTOTP(ctx context.Context, q *store.Queries, cred store.Credential, sealed []byte, code string, att *Attempt) (int64, error) {
	now := s.now()
	f := totpFactor(cred)
	if locked, _ := f.Locked(now); locked {
		att.Reason = "locked"
		return 0, ErrBadCode
	}
	var secret string
	if err := s.cfg.Sealer.Open(ctx, cred.AccountID, sealed, &secret); err != nil {
		return 0, fmt.Errorf("open TOTP secret: %w", err)
	}
	step, err := access.VerifyTOTP(secret, code, now, cred.TotpLastStep)
	if err == nil {
		if f.Failures > 0 {
			if err := q.CredentialsSetTOTPFactor(ctx, totpParams(cred.AccountID, f.Succeed(), now)); err != nil {
				return 0, err
			}
		}
		return step, nil
	}
	att.Reason = "wrong_code"
	if errors.Is(err, access.ErrTOTPReplayed) {
		att.Reason = "replayed_code"
	}
	return 0, s.failTOTP(ctx, q, cred, f, att)
}

func (s *Service) checkRecovery(ctx context.Context, q *store.Queries, cred store.Credential, code string, att *Attempt) error {
	now := s.now()
	f := totpFactor(cred)
	if locked, _ := f.Locked(now); locked {
		att.Reason = "locked"
		return ErrBadCode
	}
	n, err := q.RecoveryCodeUse(ctx, store.RecoveryCodeUseParams{AccountID: cred.AccountID, CodeHash: access.HashRecoveryCode(code), Now: now})
	if err != nil {
		return err
	}
	if n == 1 {
		if f.Failures > 0 {
			return q.CredentialsSetTOTPFactor(ctx, totpParams(cred.AccountID, f.Succeed(), now))
		}
		return nil
	}
	att.Reason = "wrong_recovery_code"
	return s.failTOTP(ctx, q, cred, f, att)
}

func (s *Service) failTOTP(ctx context.Context, q *store.Queries, cred store.Credential, f access.Factor, att *Attempt) error {
	now := s.now()
	next, lockedNow := f.Fail(now)
	att.Failures, att.LockedNow, att.Blocked, att.Until = next.Failures, lockedNow, next.Blocked, next.LockedUntil
	if err := q.CredentialsSetTOTPFactor(ctx, totpParams(cred.AccountID, next, now)); err != nil {
		return err
	}
	return ErrBadCode
}
