package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	MFAToken           string    `json:"mfa_token"`
	EnrollmentRequired bool      `json:"enrollment_required"`
	ExpiresAt          time.Time `json:"expires_at"`
}

// badCredentials is the one answer to every failed password step, whatever
// the reason: an unknown e-mail, a wrong password and a locked account
// cannot be told apart.
func badCredentials() *Problem {
	return problem(http.StatusUnauthorized, "invalid-credentials", "Sign-in failed",
		"the e-mail or password is wrong, or sign-in is paused for a while after repeated failures")
}

func badCode() *Problem {
	return problem(http.StatusUnauthorized, "invalid-code", "Code refused",
		"the code is wrong or was already used, or the second factor is paused for a while after repeated failures")
}

func badChallenge() *Problem {
	return problem(http.StatusUnauthorized, "invalid-mfa-token", "Sign in again",
		"the MFA token is unknown, used or expired (it lasts 5 minutes); sign in with your password again",
		collection.FieldError{Field: "mfa_token", Reason: "unknown, used or expired"})
}

// throttleIP refuses a sign-in step from an address that sent too many.
// It runs before anything is looked up or hashed.
func (s *Server) throttleIP(c echo.Context) error {
	if ok, wait := s.cfg.LoginLimiter.Allow(c.RealIP(), s.cfg.Now()); !ok {
		s.securityFact(c, identity.Principal{}, "login.throttled", "denied", "ip", c.RealIP(), nil)
		return tooMany(c, wait, "too many sign-in attempts from your address")
	}
	return nil
}

func (s *Server) login(c echo.Context) error {
	if err := s.throttleIP(c); err != nil {
		return err
	}
	var in loginRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	var fe collection.FieldErrors
	if strings.TrimSpace(in.Email) == "" {
		fe.Add("email", "required")
	}
	if in.Password == "" {
		fe.Add("password", "required")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	res, att, err := s.cfg.Identity.Login(c.Request().Context(), in.Email, in.Password)
	s.recordAttempt(c, att, in.Email)
	var inactive *identity.InactiveError
	switch {
	case errors.Is(err, identity.ErrBadCredentials):
		return badCredentials()
	case errors.As(err, &inactive):
		return problem(http.StatusForbidden, "account-inactive", "This account cannot sign in", inactive.Error())
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, loginResponse{MFAToken: res.MFAToken, EnrollmentRequired: res.EnrollmentRequired, ExpiresAt: res.ExpiresAt})
}

type mfaRequest struct {
	MFAToken     string `json:"mfa_token"`
	Code         string `json:"code,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
}

type enrollResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
	QRPNG      string `json:"qr_png"`
}

func (s *Server) mfaEnroll(c echo.Context) error {
	if err := s.throttleIP(c); err != nil {
		return err
	}
	var in struct {
		MFAToken string `json:"mfa_token"`
	}
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	if in.MFAToken == "" {
		return invalidRequest("the MFA token from the password step is required", collection.FieldError{Field: "mfa_token", Reason: "required"})
	}
	en, err := s.cfg.Identity.Enroll(c.Request().Context(), in.MFAToken)
	if err != nil {
		return mfaError(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, enrollResponse{Secret: en.Secret, OTPAuthURI: en.OTPAuthURI, QRPNG: base64.StdEncoding.EncodeToString(en.QRPNG)})
}

type sessionResponse struct {
	RecoveryCodes []string  `json:"recovery_codes,omitempty"`
	AccessToken   string    `json:"access_token"`
	CSRFToken     string    `json:"csrf_token"`
	ExpiresAt     time.Time `json:"expires_at"`
	IdleTimeout   int       `json:"idle_timeout_seconds"`
}

func (s *Server) mfaActivate(c echo.Context) error {
	if err := s.throttleIP(c); err != nil {
		return err
	}
	var in mfaRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	if err := requireMFAFields(in, false); err != nil {
		return err
	}
	act, att, err := s.cfg.Identity.Activate(c.Request().Context(), in.MFAToken, in.Code, s.client(c))
	s.recordAttempt(c, att, "")
	if err != nil {
		return mfaError(err)
	}
	// The enrolment is a lifecycle fact of the account: it is decided and
	// logged before the session is handed out.
	who := actor(c)
	who.UserID = att.AccountID
	if _, err := s.submitAs(c.Request().Context(), who, newID(), collection.AnyVersion, collection.EnrollMFA{ID: att.AccountID}, att.AccountID, correlationID(c)); err != nil && !errors.Is(err, events.ErrPending) {
		if rej, ok := collection.AsRejection(err); !ok || rej.Code != collection.CodeNoChange {
			s.log.Error("mfa enrolled but the event was not recorded", "account", att.AccountID, "err", err)
		}
	}
	return s.sessionAnswer(c, act.Session, act.RecoveryCodes)
}

func (s *Server) mfaVerify(c echo.Context) error {
	if err := s.throttleIP(c); err != nil {
		return err
	}
	var in mfaRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	if err := requireMFAFields(in, true); err != nil {
		return err
	}
	sess, att, err := s.cfg.Identity.Verify(c.Request().Context(), in.MFAToken, in.Code, in.RecoveryCode, s.client(c))
	s.recordAttempt(c, att, "")
	if err != nil {
		return mfaError(err)
	}
	return s.sessionAnswer(c, sess, nil)
}

func requireMFAFields(in mfaRequest, recoveryAllowed bool) error {
	var fe collection.FieldErrors
	if in.MFAToken == "" {
		fe.Add("mfa_token", "required")
	}
	switch {
	case in.Code != "" && in.RecoveryCode != "":
		fe.Add("recovery_code", "send either code or recovery_code, not both")
	case in.RecoveryCode != "" && !recoveryAllowed:
		fe.Add("recovery_code", "activation needs a code from the authenticator app")
	case in.Code == "" && in.RecoveryCode == "":
		fe.Add("code", "required: the 6-digit code of the authenticator app")
	}
	return fe.Err()
}

func mfaError(err error) error {
	switch {
	case errors.Is(err, identity.ErrBadChallenge):
		return badChallenge()
	case errors.Is(err, identity.ErrBadCode):
		return badCode()
	case errors.Is(err, identity.ErrEnrolled):
		return problem(http.StatusConflict, "mfa-enrolled", "MFA already enrolled",
			"this account already has an authenticator; send a code to POST /api/v1/auth/mfa, or ask an admin to reset MFA")
	case errors.Is(err, identity.ErrNotEnrolled):
		return problem(http.StatusConflict, "mfa-not-enrolled", "MFA not enrolled",
			"this account has no authenticator yet; enrol with POST /api/v1/auth/mfa/enroll")
	case errors.Is(err, identity.ErrNoPendingEnrolment):
		return problem(http.StatusConflict, "no-enrolment", "No enrolment in progress",
			"call POST /api/v1/auth/mfa/enroll first, then activate with a code from the new secret")
	}
	return err
}

// sessionAnswer hands out a session: the bearer token in the body for API
// clients, and the same session as a __Host- cookie for browsers.
func (s *Server) sessionAnswer(c echo.Context, sess identity.Session, recovery []string) error {
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, sessionResponse{
		RecoveryCodes: recovery, AccessToken: sess.Token, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt,
		IdleTimeout: int(s.cfg.Identity.IdleTimeout() / time.Second),
	})
}

func (s *Server) logout(c echo.Context) error {
	p := principalOf(c)
	if p.SessionID == "" {
		return problem(http.StatusConflict, "not-a-session", "Not a session",
			"an API key is not signed in; revoke it with DELETE /api/v1/api-keys/{id}")
	}
	if err := s.cfg.Identity.Logout(c.Request().Context(), p.SessionID); err != nil {
		return err
	}
	s.securityFact(c, p, "session.ended", "succeeded", "session", p.SessionID, map[string]any{"reason": "logout"})
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return c.NoContent(http.StatusNoContent)
}

type meResponse struct {
	ID          string              `json:"id"`
	Role        access.Role         `json:"role"`
	Email       string              `json:"email"`
	FullName    string              `json:"full_name"`
	CreditorID  string              `json:"creditor_id,omitempty"`
	DebtorID    string              `json:"debtor_id,omitempty"`
	SessionID   string              `json:"session_id,omitempty"`
	APIKeyID    string              `json:"api_key_id,omitempty"`
	Scopes      []access.Permission `json:"scopes,omitempty"`
	Permissions []access.Permission `json:"permissions"`
}

func (s *Server) me(c echo.Context) error {
	p := principalOf(c)
	acc, err := s.q.AccountGet(c.Request().Context(), p.AccountID)
	if err != nil {
		return err
	}
	perms := []access.Permission{}
	for _, perm := range access.PermissionsOf(p.Role) {
		if p.Can(perm) {
			perms = append(perms, perm)
		}
	}
	return c.JSON(http.StatusOK, meResponse{
		ID: p.AccountID, Role: p.Role, Email: acc.Email, FullName: acc.FullName, CreditorID: p.CreditorID, DebtorID: p.DebtorID,
		SessionID: p.SessionID, APIKeyID: p.APIKeyID, Scopes: p.Scopes, Permissions: perms,
	})
}

func (s *Server) client(c echo.Context) identity.Client {
	return identity.Client{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

// recordAttempt puts a sign-in step in the audit trail. Steps of a known
// account become events of its aggregate (and a lock, when this failure
// locked a factor); those naming no account go to the security log, with
// the e-mail masked. Events are submitted in the background, so the answer
// takes the same time whether the e-mail is an account's or not.
func (s *Server) recordAttempt(c echo.Context, att identity.Attempt, email string) {
	if att.Factor == "" {
		return
	}
	if att.AccountID == "" {
		if att.Reason != "" {
			s.securityFact(c, identity.Principal{}, "login.failed", "failed", "email", maskEmail(email),
				map[string]any{"reason": att.Reason, "factor": att.Factor})
		}
		return
	}
	outcome := "failed"
	if att.Succeeded {
		outcome = "succeeded"
	}
	cmds := []collection.Command{collection.RecordLogin{ID: att.AccountID, Outcome: outcome, Factor: att.Factor, Reason: att.Reason}}
	if att.LockedNow {
		cmds = append(cmds, collection.LockAccount{ID: att.AccountID, Factor: lockFactor(att.Factor), Until: att.Until,
			Failures: att.Failures, Permanent: att.Blocked})
	}
	act := actor(c)
	act.UserID = att.AccountID
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, cmd := range cmds {
			if _, err := s.submitAs(ctx, act, newID(), collection.AnyVersion, cmd, att.AccountID); err != nil {
				s.log.Error("sign-in fact not recorded", "account", att.AccountID, "command", cmd.CommandType(), "err", err)
			}
		}
	}()
}

func lockFactor(f string) string {
	if f == "recovery_code" {
		return "totp"
	}
	return f
}

// maskEmail keeps enough of an e-mail that was no account's to spot a
// pattern in the audit, and not enough to be a list of addresses.
func maskEmail(email string) string {
	email = identity.NormalizeEmail(email)
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}
