package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/internal/apptest"
)

// The identity tests (auth_flow, accounts, apikeys, audit) share these
// helpers: an application on a clock the test moves, the sign-in steps as
// a client sends them, and codes from oathtool, a TOTP implementation
// independent of the server's.

// problemType is the type URI of a problem slug.
func problemType(slug string) string { return "https://tahsil.adc.dz/problems/" + slug }

// manualClock is the clock of a test application, moved by the test alone:
// lock ends, session expiry and TOTP steps are then exact instead of raced.
// It is safe for concurrent use (the server reads it on every request).
type manualClock struct{ unixNano atomic.Int64 }

// newManualClock starts a clock at the real time, rounded to ten seconds
// into a 30-second TOTP step: near the real time, so that the security log
// (on this clock) and the events (on the decider's real clock) stay close.
func newManualClock() *manualClock {
	c := &manualClock{}
	c.unixNano.Store(time.Unix(time.Now().Unix()/30*30+10, 0).UnixNano())
	return c
}

// Now is the clock's time.
func (c *manualClock) Now() time.Time { return time.Unix(0, c.unixNano.Load()).UTC() }

// Add moves the clock by d and returns the new time.
func (c *manualClock) Add(d time.Duration) time.Time {
	return time.Unix(0, c.unixNano.Add(int64(d))).UTC()
}

// oathtoolCode is the TOTP code of secret (base32) at `at`, computed by
// oathtool (OATH Toolkit), not by the library the server uses: the two
// implementations must agree on RFC 6238.
func oathtoolCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatalf("oathtool is needed for the TOTP tests (Debian: apt-get install oathtool): %v", err)
	}
	out, err := exec.Command(path, "--totp", "-b", "-N", "@"+strconv.FormatInt(at.Unix(), 10), secret).CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool: %v: %s", err, out)
	}
	code := strings.TrimSpace(string(out))
	if !sixDigits.MatchString(code) {
		t.Fatalf("oathtool printed %q, not a 6-digit code", out)
	}
	return code
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// acceptedCodes are the codes the server accepts at now (one step either
// side), from oathtool. A test that expects a code to be refused checks it
// is not among them by chance (about one chance in 300 000).
func acceptedCodes(t testing.TB, secret string, now time.Time) []string {
	t.Helper()
	return []string{
		oathtoolCode(t, secret, now.Add(-30*time.Second)),
		oathtoolCode(t, secret, now),
		oathtoolCode(t, secret, now.Add(30*time.Second)),
	}
}

// wrongCode is a well-formed code that no accepted step of secret has at now.
func wrongCode(t testing.TB, secret string, now time.Time) string {
	t.Helper()
	accepted := acceptedCodes(t, secret, now)
	for n := 0; ; n++ {
		code := fmt.Sprintf("%06d", (123456+n*111111)%1000000)
		if !slices.Contains(accepted, code) {
			return code
		}
	}
}

// authApp is a test application on a manual clock, with a signed-in admin.
type authApp struct {
	*apptest.App
	clock   *manualClock
	visitor *client
	admin   *apptest.User
}

// startAuth starts an application on a manual clock (opts.Now is replaced)
// and signs in an admin.
func startAuth(t *testing.T, opts apptest.Options) *authApp {
	t.Helper()
	clock := newManualClock()
	opts.Now = clock.Now
	app := apptest.Start(t, opts)
	a := &authApp{App: app, clock: clock, visitor: newClient(t, app)}
	a.admin = app.NewStaff(t, "admin")
	return a
}

// anon is a visitor's client reporting to t.
func (a *authApp) anon(t testing.TB) *client { return a.visitor.on(t) }

// as is a client of u reporting to t.
func (a *authApp) as(t testing.TB, u *apptest.User) *client { return a.visitor.on(t).as(u) }

// bearer is a client sending token as its bearer token.
func (a *authApp) bearer(t testing.TB, token string) *client {
	return a.visitor.on(t).as(&apptest.User{Token: token})
}

// resign signs u in again, half a minute later so that a new TOTP step
// has begun (a code is accepted once). Sessions of other users age too.
func (a *authApp) resign(t testing.TB, u *apptest.User) {
	t.Helper()
	a.clock.Add(30 * time.Second)
	a.SignIn(t, u)
}

// newAccount creates an active staff account that has not signed in yet
// (no session, no MFA): for the password step alone.
func (a *authApp) newAccount(t testing.TB, role string) *apptest.User {
	t.Helper()
	u := &apptest.User{Email: fmt.Sprintf("%s-%d@adc.test", role, next()), Password: apptest.Password, Role: role}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := a.Identity.CreateStaff(ctx, collection.StaffInput{Email: u.Email, FullName: "Test " + role, Role: role},
		u.Password, a.Submitter())
	if err != nil {
		t.Fatalf("create %s: %v", role, err)
	}
	u.ID = id
	return u
}

// loginAnswer is the answer to a right password.
type loginAnswer struct {
	MFAToken           string    `json:"mfa_token"`
	EnrollmentRequired bool      `json:"enrollment_required"`
	ExpiresAt          time.Time `json:"expires_at"`
}

// enrolAnswer is the answer to POST /api/v1/auth/mfa/enroll.
type enrolAnswer struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
	QRPNG      string `json:"qr_png"`
}

// sessionAnswer is the answer to the last MFA step.
type sessionAnswer struct {
	RecoveryCodes []string  `json:"recovery_codes"`
	AccessToken   string    `json:"access_token"`
	CSRFToken     string    `json:"csrf_token"`
	ExpiresAt     time.Time `json:"expires_at"`
	IdleTimeout   int       `json:"idle_timeout_seconds"`
}

// meAnswer is GET /api/v1/me.
type meAnswer struct {
	ID          string   `json:"id"`
	Role        string   `json:"role"`
	Email       string   `json:"email"`
	FullName    string   `json:"full_name"`
	CreditorID  string   `json:"creditor_id"`
	DebtorID    string   `json:"debtor_id"`
	SessionID   string   `json:"session_id"`
	APIKeyID    string   `json:"api_key_id"`
	Scopes      []string `json:"scopes"`
	Permissions []string `json:"permissions"`
}

// accountRow is an account or a registration as staff see it.
type accountRow struct {
	ID           string            `json:"id"`
	Status       string            `json:"status"`
	Kind         string            `json:"kind"`
	Role         string            `json:"role"`
	CreditorID   string            `json:"creditor_id"`
	DebtorID     string            `json:"debtor_id"`
	Email        string            `json:"email"`
	FullName     string            `json:"full_name"`
	Phone        string            `json:"phone"`
	Declared     map[string]string `json:"declared"`
	MFAEnrolled  bool              `json:"mfa_enrolled"`
	StatusReason string            `json:"status_reason"`
	Version      int64             `json:"version"`
}

// login sends the password step.
func (a *authApp) login(t testing.TB, email, password string, hdrs ...header) response {
	t.Helper()
	return a.anon(t).post("/api/v1/auth/login", obj{"email": email, "password": password}, hdrs...)
}

// mustLogin sends the password step and wants an MFA token.
func (a *authApp) mustLogin(t testing.TB, email, password string) loginAnswer {
	t.Helper()
	r := a.login(t, email, password)
	want(t, r, http.StatusOK)
	var out loginAnswer
	r.decode(t, &out)
	if !strings.HasPrefix(out.MFAToken, "tm_") {
		t.Fatalf("mfa_token %q", out.MFAToken)
	}
	return out
}

// verify sends the second step of a later login with a TOTP code.
func (a *authApp) verify(t testing.TB, mfaToken, code string) response {
	t.Helper()
	return a.anon(t).post("/api/v1/auth/mfa", obj{"mfa_token": mfaToken, "code": code})
}

// useRecovery sends the second step with a recovery code instead.
func (a *authApp) useRecovery(t testing.TB, mfaToken, recoveryCode string) response {
	t.Helper()
	return a.anon(t).post("/api/v1/auth/mfa", obj{"mfa_token": mfaToken, "recovery_code": recoveryCode})
}

// session decodes a session answer, checking its tokens look like tokens.
func session(t testing.TB, r response) sessionAnswer {
	t.Helper()
	want(t, r, http.StatusOK)
	var s sessionAnswer
	r.decode(t, &s)
	if !strings.HasPrefix(s.AccessToken, "ts_") || !strings.HasPrefix(s.CSRFToken, "tc_") {
		t.Fatalf("session tokens %q / %q", s.AccessToken, s.CSRFToken)
	}
	return s
}

// me reads GET /api/v1/me.
func (c *client) me() meAnswer {
	c.t.Helper()
	r := c.get("/api/v1/me")
	want(c.t, r, http.StatusOK)
	var m meAnswer
	r.decode(c.t, &m)
	return m
}

// wantUnauthenticated checks the 401 of a dead or unknown token.
func wantUnauthenticated(t testing.TB, r response) {
	t.Helper()
	p := wantProblem(t, r, http.StatusUnauthorized)
	if p.Type != problemType("unauthenticated") {
		t.Errorf("type %q, want unauthenticated: %s", p.Type, r.Body)
	}
	if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate %q", got)
	}
}

// wantSlug checks a problem's status and type.
func wantSlug(t testing.TB, r response, status int, slug string, fields ...string) problem {
	t.Helper()
	p := wantProblem(t, r, status, fields...)
	if p.Type != problemType(slug) {
		t.Errorf("type %q, want %q: %s", p.Type, problemType(slug), r.Body)
	}
	return p
}

// auditRow is one entry of GET /api/v1/audit.
type auditRow struct {
	At          time.Time       `json:"at"`
	Source      string          `json:"source"`
	ID          string          `json:"id"`
	Action      string          `json:"action"`
	Outcome     string          `json:"outcome"`
	ActorID     string          `json:"actor_id"`
	ActorRole   string          `json:"actor_role"`
	IP          string          `json:"ip"`
	SubjectType string          `json:"subject_type"`
	SubjectID   string          `json:"subject_id"`
	Detail      json.RawMessage `json:"detail"`
}

// detail decodes the entry's detail.
func (e auditRow) detail(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Detail, &m); err != nil {
		t.Fatalf("detail %s: %v", e.Detail, err)
	}
	return m
}

// audit reads one page of the audit trail filtered by q (see qs).
func (c *client) audit(q url.Values) []auditRow {
	c.t.Helper()
	r := c.get("/api/v1/audit?" + q.Encode())
	want(c.t, r, http.StatusOK)
	var p page[auditRow]
	r.decode(c.t, &p)
	return p.Items
}

// waitAudit polls the audit trail until the entries matching q hold at
// least n entries: login facts are recorded in the background.
func (c *client) waitAudit(q url.Values, n int) []auditRow {
	c.t.Helper()
	var rows []auditRow
	eventually(c.t, 20*time.Second, fmt.Sprintf("%d audit entries for %s", n, q.Encode()), func() bool {
		rows = c.audit(q)
		return len(rows) >= n
	})
	return rows
}

// qs builds a query from name, value pairs.
func qs(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// registration returns a valid registration body of kind creditor or
// debtor, with a unique e-mail and identity number.
func registration(kind string) obj {
	b := obj{
		"kind": kind, "email": fmt.Sprintf("reg-%s-%d@client.test", kind, next()), "full_name": "Samira Benali",
		"phone": uniqueMobile(), "password": apptest.Password,
	}
	if kind == "creditor" {
		b["nif"] = uniqueNIF()
	} else {
		b["nin"] = uniqueNIN()
	}
	return b
}

// median of durations (sorted in place).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
