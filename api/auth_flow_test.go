package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
)

// recoveryCodePattern is six groups of four Crockford base-32 symbols.
var recoveryCodePattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$`)

// TestMFAWithOathtool signs in end to end with codes from oathtool: the
// server's TOTP must agree with an independent implementation, accept each
// code once, one step either side and no further, and take each of the ten
// recovery codes once.
func TestMFAWithOathtool(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})
	email := fmt.Sprintf("oath-%d@adc.test", next())
	r := a.as(t, a.admin).post("/api/v1/users", obj{"email": email, "full_name": "Nadia Oath", "role": "agent", "password": apptest.Password})
	want(t, r, http.StatusCreated)
	var acc accountRow
	r.decode(t, &acc)

	var secret string
	var recovery []string
	var activationStep time.Time // the clock when the activation code was made

	t.Run("enrol and activate", func(t *testing.T) {
		now := a.clock.Now()
		la := a.mustLogin(t, email, apptest.Password)
		if !la.EnrollmentRequired {
			t.Error("enrollment_required is false for a new account")
		}
		if !la.ExpiresAt.Equal(now.Add(5 * time.Minute)) {
			t.Errorf("mfa token expires_at %v, want %v", la.ExpiresAt, now.Add(5*time.Minute))
		}
		// No code before enrolment.
		wantSlug(t, a.verify(t, la.MFAToken, "123456"), http.StatusConflict, "mfa-not-enrolled")

		r := a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": la.MFAToken})
		want(t, r, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("enrolment Cache-Control %q, want no-store", cc)
		}
		var en enrolAnswer
		r.decode(t, &en)
		secret = en.Secret
		if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) {
			t.Errorf("secret %q is not 160 bits of base32", secret)
		}
		u, err := url.Parse(en.OTPAuthURI)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("secret") != secret || q.Get("issuer") != "Tahsil" ||
			!strings.Contains(u.Path, email) {
			t.Errorf("otpauth URI %q", en.OTPAuthURI)
		}
		png, err := base64.StdEncoding.DecodeString(en.QRPNG)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("qr_png is not a base64 PNG (%v)", err)
		}

		// A code from another secret does not activate.
		wantSlug(t, a.anon(t).post("/api/v1/auth/mfa/activate", obj{"mfa_token": la.MFAToken, "code": wrongCode(t, secret, now)}),
			http.StatusUnauthorized, "invalid-code")

		activationStep = a.clock.Now()
		r = a.anon(t).post("/api/v1/auth/mfa/activate", obj{"mfa_token": la.MFAToken, "code": oathtoolCode(t, secret, activationStep)})
		s := session(t, r)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("session Cache-Control %q, want no-store", cc)
		}
		if !s.ExpiresAt.Equal(activationStep.Add(12 * time.Hour)) {
			t.Errorf("session expires_at %v, want 12 h after %v", s.ExpiresAt, activationStep)
		}
		if s.IdleTimeout != 1800 {
			t.Errorf("idle_timeout_seconds %d, want 1800", s.IdleTimeout)
		}
		recovery = s.RecoveryCodes
		if len(recovery) != 10 {
			t.Fatalf("%d recovery codes, want 10", len(recovery))
		}
		for _, c := range recovery {
			if !recoveryCodePattern.MatchString(c) {
				t.Errorf("recovery code %q", c)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(recovery)))) != 10 {
			t.Errorf("recovery codes repeat: %v", recovery)
		}
		m := a.bearer(t, s.AccessToken).me()
		if m.ID != acc.ID || m.Role != "agent" || m.Email != email || m.SessionID == "" {
			t.Errorf("me %+v", m)
		}
		// The MFA token was used up, and the account is enrolled now.
		wantSlug(t, a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": la.MFAToken}), http.StatusUnauthorized, "invalid-mfa-token")
		la = a.mustLogin(t, email, apptest.Password)
		if la.EnrollmentRequired {
			t.Error("enrollment_required after activation")
		}
		wantSlug(t, a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": la.MFAToken}), http.StatusConflict, "mfa-enrolled")
		r = a.as(t, a.admin).get("/api/v1/users/" + acc.ID)
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if !acc.MFAEnrolled {
			t.Error("the account does not show mfa_enrolled")
		}
	})

	t.Run("a code works once", func(t *testing.T) {
		now := a.clock.Now()
		used := oathtoolCode(t, secret, activationStep)
		la := a.mustLogin(t, email, apptest.Password)
		if next := oathtoolCode(t, secret, now.Add(30*time.Second)); next == used {
			t.Log("the next step has the same code by chance; the replay cannot be told apart")
		} else {
			wantSlug(t, a.verify(t, la.MFAToken, used), http.StatusUnauthorized, "invalid-code")
		}
		// One step ahead (+30 s) is accepted...
		ahead := oathtoolCode(t, secret, now.Add(30*time.Second))
		s := session(t, a.verify(t, la.MFAToken, ahead))
		a.bearer(t, s.AccessToken).me()
		// ...once: the MFA token is used, and on a new one the code is replayed.
		wantSlug(t, a.verify(t, la.MFAToken, ahead), http.StatusUnauthorized, "invalid-mfa-token")
		la = a.mustLogin(t, email, apptest.Password)
		if oathtoolCode(t, secret, now.Add(60*time.Second)) == ahead {
			t.Log("the step after has the same code by chance; the replay cannot be told apart")
		} else {
			wantSlug(t, a.verify(t, la.MFAToken, ahead), http.StatusUnauthorized, "invalid-code")
		}
	})

	t.Run("one step either side and no further", func(t *testing.T) {
		// The last used step is activation+1; three steps later, the code
		// of the step before now (-30 s) is new, and accepted.
		now := a.clock.Add(90 * time.Second)
		la := a.mustLogin(t, email, apptest.Password)
		session(t, a.verify(t, la.MFAToken, oathtoolCode(t, secret, now.Add(-30*time.Second))))

		now = a.clock.Add(120 * time.Second)
		la = a.mustLogin(t, email, apptest.Password)
		accepted := acceptedCodes(t, secret, now)
		for _, off := range []time.Duration{-60 * time.Second, 60 * time.Second, -90 * time.Second, 90 * time.Second} {
			code := oathtoolCode(t, secret, now.Add(off))
			if slices.Contains(accepted, code) {
				t.Logf("the code at %v equals an accepted one by chance", off)
				continue
			}
			wantSlug(t, a.verify(t, la.MFAToken, code), http.StatusUnauthorized, "invalid-code")
		}
		// Four failures: the fifth would lock. The right code still works,
		// and spaces (as apps show "123 456") are ignored.
		code := oathtoolCode(t, secret, now)
		session(t, a.verify(t, la.MFAToken, code[:3]+" "+code[3:]))
	})

	t.Run("the MFA token lasts five minutes", func(t *testing.T) {
		a.clock.Add(30 * time.Second)
		la := a.mustLogin(t, email, apptest.Password)
		now := a.clock.Add(4*time.Minute + 59*time.Second)
		session(t, a.verify(t, la.MFAToken, oathtoolCode(t, secret, now)))

		now = a.clock.Add(30 * time.Second)
		la = a.mustLogin(t, email, apptest.Password)
		now = a.clock.Add(5 * time.Minute)
		wantSlug(t, a.verify(t, la.MFAToken, oathtoolCode(t, secret, now)), http.StatusUnauthorized, "invalid-mfa-token")
		// An expired token was no attempt on the account: a new one works.
		la = a.mustLogin(t, email, apptest.Password)
		session(t, a.verify(t, la.MFAToken, oathtoolCode(t, secret, now)))
	})

	t.Run("ten recovery codes, each once", func(t *testing.T) {
		for i, rc := range recovery {
			if i == 3 {
				// Typed loosely: lower case, no dashes.
				rc = strings.ToLower(strings.ReplaceAll(rc, "-", ""))
			}
			la := a.mustLogin(t, email, apptest.Password)
			s := session(t, a.useRecovery(t, la.MFAToken, rc))
			a.bearer(t, s.AccessToken).me()
		}
		la := a.mustLogin(t, email, apptest.Password)
		for _, rc := range []string{recovery[0], recovery[9], "0000-0000-0000-0000-0000-0000"} {
			wantSlug(t, a.useRecovery(t, la.MFAToken, rc), http.StatusUnauthorized, "invalid-code")
		}
		// A TOTP code still works after all recovery codes are used.
		session(t, a.verify(t, la.MFAToken, oathtoolCode(t, secret, a.clock.Add(30*time.Second))))
	})

	t.Run("malformed steps", func(t *testing.T) {
		la := a.mustLogin(t, email, apptest.Password)
		wantSlug(t, a.anon(t).post("/api/v1/auth/mfa", obj{"mfa_token": la.MFAToken}), http.StatusUnprocessableEntity, "validation", "code")
		wantSlug(t, a.anon(t).post("/api/v1/auth/mfa", obj{"mfa_token": la.MFAToken, "code": "123456", "recovery_code": recovery[0]}),
			http.StatusUnprocessableEntity, "validation", "recovery_code")
		wantSlug(t, a.anon(t).post("/api/v1/auth/mfa", obj{"code": "123456"}), http.StatusUnprocessableEntity, "validation", "mfa_token")
		wantSlug(t, a.verify(t, "tm_unknown", "123456"), http.StatusUnauthorized, "invalid-mfa-token", "mfa_token")
		for _, code := range []string{"12345", "1234567", "abcdef", "12345a"} {
			wantSlug(t, a.verify(t, la.MFAToken, code), http.StatusUnauthorized, "invalid-code")
		}
	})
}

// TestLockout locks the password factor after five wrong passwords for 15
// minutes, counts second-factor failures apart, and lets an admin unlock.
func TestLockout(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})
	u := a.NewStaff(t, "agent")

	lockedBody := func(t *testing.T) []byte {
		t.Helper()
		var last response
		for i := range access.MaxFailuresBeforeLock {
			last = a.login(t, u.Email, "wrong password "+fmt.Sprint(i))
			wantSlug(t, last, http.StatusUnauthorized, "invalid-credentials")
		}
		return last.Body
	}

	t.Run("five wrong passwords lock for 15 minutes", func(t *testing.T) {
		admin := a.as(t, a.admin)
		start := a.clock.Now()
		wrong := lockedBody(t)
		r := a.login(t, u.Email, u.Password)
		wantSlug(t, r, http.StatusUnauthorized, "invalid-credentials")
		if !bytes.Equal(r.Body, wrong) {
			t.Errorf("a right password during the lock answers\n%s\nnot as a wrong one\n%s", r.Body, wrong)
		}
		locks := admin.waitAudit(qs("action", "account.locked", "subject", u.ID), 1)
		d := locks[0].detail(t)
		if d["factor"] != "password" || d["failures"] != float64(5) || locks[0].Source != "event" {
			t.Errorf("lock entry %+v %v", locks[0], d)
		}
		if until, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(d["until"])); !until.Equal(start.Add(15 * time.Minute)) {
			t.Errorf("locked until %v, want %v", d["until"], start.Add(15*time.Minute))
		}
		fails := admin.waitAudit(qs("action", "account.login_failed", "subject", u.ID), 6)
		reasons := map[any]int{}
		for _, f := range fails {
			reasons[f.detail(t)["reason"]]++
		}
		if reasons["wrong_password"] != 5 || reasons["locked"] != 1 {
			t.Errorf("login_failed reasons %v", reasons)
		}

		a.clock.Add(15*time.Minute - time.Second)
		wantSlug(t, a.login(t, u.Email, u.Password), http.StatusUnauthorized, "invalid-credentials")
		a.clock.Add(time.Second)
		la := a.mustLogin(t, u.Email, u.Password)
		session(t, a.verify(t, la.MFAToken, a.Code(t, u.Secret, 0)))
		// The success started afresh: four wrong passwords do not lock.
		for range access.MaxFailuresBeforeLock - 1 {
			a.login(t, u.Email, "still wrong")
		}
		a.mustLogin(t, u.Email, u.Password)
	})

	t.Run("second-factor failures are counted apart", func(t *testing.T) {
		admin := a.as(t, a.admin)
		now := a.clock.Add(30 * time.Second)
		la := a.mustLogin(t, u.Email, u.Password)
		for range access.MaxFailuresBeforeLock {
			wantSlug(t, a.verify(t, la.MFAToken, wrongCode(t, u.Secret, now)), http.StatusUnauthorized, "invalid-code")
		}
		// The second factor is locked: the right code and a recovery
		// code are refused alike...
		wantSlug(t, a.verify(t, la.MFAToken, a.Code(t, u.Secret, 0)), http.StatusUnauthorized, "invalid-code")
		wantSlug(t, a.useRecovery(t, la.MFAToken, u.RecoveryCodes[0]), http.StatusUnauthorized, "invalid-code")
		// ...while the password, which did not fail, still opens the first step.
		la = a.mustLogin(t, u.Email, u.Password)
		locks := admin.waitAudit(qs("action", "account.locked", "subject", u.ID), 2)
		if d := locks[0].detail(t); d["factor"] != "totp" || d["failures"] != float64(5) {
			t.Errorf("latest lock %v, want totp after 5 failures", d)
		}
		a.clock.Add(14 * time.Minute)
		la = a.mustLogin(t, u.Email, u.Password)
		wantSlug(t, a.verify(t, la.MFAToken, a.Code(t, u.Secret, 0)), http.StatusUnauthorized, "invalid-code")
		a.clock.Add(time.Minute)
		session(t, a.verify(t, la.MFAToken, a.Code(t, u.Secret, 0)))
	})

	t.Run("an admin unlocks", func(t *testing.T) {
		a.resign(t, a.admin)
		admin := a.as(t, a.admin)
		lockedBody(t)
		wantSlug(t, a.login(t, u.Email, u.Password), http.StatusUnauthorized, "invalid-credentials")
		admin.waitAudit(qs("action", "account.locked", "subject", u.ID), 3)
		r := admin.post("/api/v1/users/"+u.ID+"/unlock", nil)
		want(t, r, http.StatusOK)
		var acc accountRow
		r.decode(t, &acc)
		if acc.ID != u.ID || acc.Status != "active" {
			t.Errorf("unlocked account %+v", acc)
		}
		// The password works at once; then lock the second factor and
		// unlock that too.
		now := a.clock.Add(30 * time.Second)
		la := a.mustLogin(t, u.Email, u.Password)
		for range access.MaxFailuresBeforeLock {
			a.verify(t, la.MFAToken, wrongCode(t, u.Secret, now))
		}
		wantSlug(t, a.verify(t, la.MFAToken, a.Code(t, u.Secret, 0)), http.StatusUnauthorized, "invalid-code")
		admin.waitAudit(qs("action", "account.locked", "subject", u.ID), 4)
		want(t, admin.post("/api/v1/users/"+u.ID+"/unlock", nil), http.StatusOK)
		session(t, a.verify(t, la.MFAToken, a.Code(t, u.Secret, 0)))
		unlocks := admin.waitAudit(qs("action", "account.unlocked", "subject", u.ID), 2)
		if unlocks[0].ActorID != a.admin.ID || unlocks[0].ActorRole != "admin" {
			t.Errorf("unlock entry %+v", unlocks[0])
		}
		// Only admins unlock.
		agent := a.NewStaff(t, "agent")
		wantSlug(t, a.as(t, agent).post("/api/v1/users/"+u.ID+"/unlock", nil), http.StatusForbidden, "forbidden")
	})
}

// TestLoginThrottle answers 429 with Retry-After once an address has used
// its sign-in attempts, before any password is checked.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	lim, err := access.NewLimiter(rate.Every(time.Minute), 3, 100)
	if err != nil {
		t.Fatal(err)
	}
	a := startAuth(t, apptest.Options{LoginLimiter: lim})
	u := a.newAccount(t, "agent")
	// The admin's sign-in took the three attempts; three minutes give
	// them back.
	a.clock.Add(3 * time.Minute)

	for _, email := range []string{"nobody@adc.test", u.Email, u.Email} {
		wantSlug(t, a.login(t, email, "wrong password"), http.StatusUnauthorized, "invalid-credentials")
	}
	tooMany := func(r response, retry string) {
		t.Helper()
		p := wantSlug(t, r, http.StatusTooManyRequests, "rate-limited")
		if got := r.Header.Get("Retry-After"); got != retry {
			t.Errorf("Retry-After %q, want %q", got, retry)
		}
		if !strings.Contains(p.Detail, retry+" s") {
			t.Errorf("detail %q does not say when to retry", p.Detail)
		}
	}
	// The right password is not even checked.
	tooMany(a.login(t, u.Email, u.Password), "60")
	// The address is the peer's: a forwarded-for header from an untrusted
	// peer changes nothing.
	tooMany(a.login(t, u.Email, u.Password, xForwardedFor("203.0.113.7")), "60")
	// Every sign-in step and registration share the budget.
	tooMany(a.anon(t).post("/api/v1/auth/mfa", obj{"mfa_token": "tm_x", "code": "123456"}), "60")
	tooMany(a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": "tm_x"}), "60")
	tooMany(a.anon(t).post("/api/v1/registrations", registration("creditor")), "60")

	// A second before the next attempt is due, the wait is about a
	// second (the limiter rounds up, and float arithmetic may add one).
	a.clock.Add(59 * time.Second)
	r := a.login(t, u.Email, u.Password)
	wantSlug(t, r, http.StatusTooManyRequests, "rate-limited")
	if got := r.Header.Get("Retry-After"); got != "1" && got != "2" {
		t.Errorf("Retry-After %q a second before the next attempt, want 1 (or 2)", got)
	}
	a.clock.Add(time.Second)
	a.mustLogin(t, u.Email, u.Password)
	tooMany(a.login(t, u.Email, u.Password), "60")

	rows := a.as(t, a.admin).audit(qs("action", "login.throttled"))
	if len(rows) != 7 {
		t.Errorf("%d login.throttled entries, want 7", len(rows))
	}
	for _, e := range rows {
		if e.Source != "security" || e.Outcome != "denied" || e.SubjectType != "ip" || e.SubjectID != "127.0.0.1" {
			t.Errorf("throttle entry %+v", e)
		}
	}
}

// TestNoUserEnumeration: the sign-in and registration answers do not tell
// whether an e-mail is an account's.
func TestNoUserEnumeration(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})
	u := a.newAccount(t, "agent")
	unknown := fmt.Sprintf("nobody-%d@adc.test", next())

	t.Run("same answer", func(t *testing.T) {
		v := a.newAccount(t, "agent")
		ref := a.login(t, unknown, u.Password)
		wantSlug(t, ref, http.StatusUnauthorized, "invalid-credentials")
		answers := map[string]response{
			"wrong password":             a.login(t, u.Email, "not the password at all"),
			"unknown e-mail, upper case": a.login(t, strings.ToUpper(unknown), u.Password),
		}
		for range access.MaxFailuresBeforeLock {
			a.login(t, v.Email, "wrong password")
		}
		answers["locked account, right password"] = a.login(t, v.Email, v.Password)
		answers["locked account, wrong password"] = a.login(t, v.Email, "wrong password")
		for what, r := range answers {
			if r.Status != ref.Status || !bytes.Equal(r.Body, ref.Body) || r.Header.Get("Content-Type") != ref.Header.Get("Content-Type") {
				t.Errorf("%s: %d %s\nunknown e-mail: %d %s", what, r.Status, r.Body, ref.Status, ref.Body)
			}
		}
	})

	t.Run("comparable time", func(t *testing.T) {
		// Both paths compute one argon2id hash, which dominates. Samples
		// are interleaved so that both see the same load; a round that
		// the machine disturbed is measured again.
		const samples, factor = 7, 3.0
		measure := func(email string) time.Duration {
			start := time.Now()
			r := a.login(t, email, "a wrong password, timed")
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("login: %s", r)
			}
			return time.Since(start)
		}
		measure(unknown)
		measure(u.Email)
		var ratio float64
		for round := range 3 {
			var known, unk []time.Duration
			for i := range samples {
				if i%2 == 0 {
					unk = append(unk, measure(unknown))
					known = append(known, measure(u.Email))
				} else {
					known = append(known, measure(u.Email))
					unk = append(unk, measure(unknown))
				}
			}
			mk, mu := median(known), median(unk)
			ratio = float64(max(mk, mu)) / float64(min(mk, mu))
			t.Logf("round %d: median %v for an account's e-mail, %v for an unknown one (x%.2f)", round, mk, mu, ratio)
			if ratio < factor {
				return
			}
		}
		t.Errorf("the medians differ by x%.2f, more than x%.0f", ratio, factor)
	})

	t.Run("registration", func(t *testing.T) {
		u := a.newAccount(t, "agent") // the one above is locked by now
		fresh := registration("creditor")
		taken := with(registration("creditor"), obj{"email": "  " + strings.ToUpper(u.Email) + " "})
		r1 := a.anon(t).post("/api/v1/registrations", fresh)
		r2 := a.anon(t).post("/api/v1/registrations", taken)
		want(t, r1, http.StatusAccepted)
		if r2.Status != r1.Status || !bytes.Equal(r1.Body, r2.Body) || r1.Header.Get("Content-Type") != r2.Header.Get("Content-Type") {
			t.Errorf("a taken e-mail answers %s\na new one %s", r2, r1)
		}
		// No second account for the taken e-mail; a note on the existing one.
		admin := a.as(t, a.admin)
		r := admin.get("/api/v1/registrations?status=pending&limit=200")
		want(t, r, http.StatusOK)
		var p page[accountRow]
		r.decode(t, &p)
		var emails []string
		for _, acc := range p.Items {
			emails = append(emails, acc.Email)
		}
		if !slices.Contains(emails, fresh["email"].(string)) || slices.Contains(emails, u.Email) {
			t.Errorf("pending registrations %v", emails)
		}
		notes := admin.waitAudit(qs("action", "account.registration_attempted", "subject", u.ID), 1)
		if notes[0].ActorRole != "visitor" {
			t.Errorf("note %+v", notes[0])
		}
		// The existing account is unchanged: its password still works.
		la := a.mustLogin(t, u.Email, u.Password)
		if !la.EnrollmentRequired {
			t.Error("the existing account changed")
		}
	})
}

// TestSessions: idle and absolute expiry, logout, the MFA token's limits,
// disabled accounts, cookies with CSRF tokens, and GET /me.
func TestSessions(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})

	t.Run("me", func(t *testing.T) {
		u := a.NewStaff(t, "agent")
		m := a.as(t, u).me()
		if m.ID != u.ID || m.Role != "agent" || m.Email != u.Email || m.FullName != "Test agent" || m.SessionID == "" ||
			m.APIKeyID != "" || m.CreditorID != "" {
			t.Errorf("me %+v", m)
		}
		if !slices.Contains(m.Permissions, "self") || !slices.Contains(m.Permissions, "creditors:create") ||
			slices.Contains(m.Permissions, "users:manage") || slices.Contains(m.Permissions, "audit:read") {
			t.Errorf("agent permissions %v", m.Permissions)
		}
		wantUnauthenticated(t, a.anon(t).get("/api/v1/me"))
		wantUnauthenticated(t, a.bearer(t, "ts_forged").get("/api/v1/me"))
		wantUnauthenticated(t, a.anon(t).get("/api/v1/me", header{"Authorization", "Basic " + u.Token}))
	})

	t.Run("the MFA token is no session", func(t *testing.T) {
		u := a.newAccount(t, "agent")
		la := a.mustLogin(t, u.Email, u.Password)
		c := a.bearer(t, la.MFAToken)
		wantUnauthenticated(t, c.get("/api/v1/me"))
		wantUnauthenticated(t, c.get("/api/v1/creditors"))
		wantUnauthenticated(t, c.post("/api/v1/auth/logout", nil))
		wantUnauthenticated(t, c.post("/api/v1/creditors", validCreditor()))
		// It still does its one job.
		r := a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": la.MFAToken})
		want(t, r, http.StatusOK)
	})

	t.Run("idle expiry", func(t *testing.T) {
		u := a.NewStaff(t, "agent")
		c := a.as(t, u)
		a.clock.Add(29 * time.Minute)
		c.me()
		a.clock.Add(29 * time.Minute) // 58 min after sign-in, 29 since last use
		c.me()
		a.clock.Add(31 * time.Minute)
		wantUnauthenticated(t, c.get("/api/v1/me"))
		a.resign(t, u)
		a.as(t, u).me()
	})

	t.Run("absolute expiry", func(t *testing.T) {
		u := a.NewStaff(t, "agent")
		c := a.as(t, u)
		for i := 1; i < 36; i++ { // 35 × 20 min = 11 h 40 min
			a.clock.Add(20 * time.Minute)
			if r := c.get("/api/v1/me"); r.Status != http.StatusOK {
				t.Fatalf("after %v: %s", time.Duration(i)*20*time.Minute, r)
			}
		}
		a.clock.Add(20 * time.Minute) // 12 h
		wantUnauthenticated(t, c.get("/api/v1/me"))
	})

	t.Run("logout", func(t *testing.T) {
		u := a.NewStaff(t, "agent")
		c := a.as(t, u)
		sid := c.me().SessionID
		other := &apptest.User{Email: u.Email, Password: u.Password, Secret: u.Secret}
		a.resign(t, other) // a second session of the same account
		r := c.post("/api/v1/auth/logout", nil)
		want(t, r, http.StatusNoContent)
		wantUnauthenticated(t, c.get("/api/v1/me"))
		wantUnauthenticated(t, c.post("/api/v1/auth/logout", nil))
		// Only that session ended.
		a.as(t, other).me()
		a.resign(t, a.admin)
		ended := a.as(t, a.admin).audit(qs("action", "session.ended", "subject", sid))
		if len(ended) != 1 || ended[0].ActorID != u.ID || ended[0].detail(t)["reason"] != "logout" {
			t.Errorf("session.ended entries %+v", ended)
		}
	})

	t.Run("disable and enable", func(t *testing.T) {
		a.resign(t, a.admin)
		admin := a.as(t, a.admin)
		u := a.NewStaff(t, "agent")
		c := a.as(t, u)
		c.me()
		r := admin.post("/api/v1/users/"+u.ID+"/disable", obj{"reason": "left the company"})
		want(t, r, http.StatusOK)
		var acc accountRow
		r.decode(t, &acc)
		if acc.Status != "disabled" {
			t.Errorf("disabled account %+v", acc)
		}
		wantUnauthenticated(t, c.get("/api/v1/me"))
		p := wantSlug(t, a.login(t, u.Email, u.Password), http.StatusForbidden, "account-inactive")
		if !strings.Contains(p.Detail, "disabled") {
			t.Errorf("detail %q", p.Detail)
		}
		// A wrong password learns nothing of the status.
		wantSlug(t, a.login(t, u.Email, "wrong password"), http.StatusUnauthorized, "invalid-credentials")

		r = admin.post("/api/v1/users/"+u.ID+"/enable", nil)
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if acc.Status != "active" {
			t.Errorf("enabled account %+v", acc)
		}
		wantUnauthenticated(t, c.get("/api/v1/me")) // the old session stays ended
		a.resign(t, u)
		a.as(t, u).me()

		// An admin disables and re-roles others only.
		wantSlug(t, admin.post("/api/v1/users/"+a.admin.ID+"/disable", obj{}), http.StatusConflict, "own-account")
		wantSlug(t, admin.do(http.MethodPut, "/api/v1/users/"+a.admin.ID+"/role", obj{"role": "agent"}), http.StatusConflict, "own-account")
		if m := admin.me(); m.Role != "admin" {
			t.Errorf("admin became %q", m.Role)
		}
	})

	t.Run("cookie and CSRF token", func(t *testing.T) {
		u := a.NewStaff(t, "agent")
		a.clock.Add(30 * time.Second)
		la := a.mustLogin(t, u.Email, u.Password)
		r := a.verify(t, la.MFAToken, a.Code(t, u.Secret, 0))
		s := session(t, r)
		var ck *http.Cookie
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == api.SessionCookie {
				ck = c
			}
		}
		if ck == nil {
			t.Fatalf("no %s cookie in %q", api.SessionCookie, r.Header.Values("Set-Cookie"))
		}
		if ck.Value != s.AccessToken || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("cookie %+v", ck)
		}
		cookie := header{"Cookie", api.SessionCookie + "=" + ck.Value}
		c := a.anon(t)
		if r := c.get("/api/v1/me", cookie); r.Status != http.StatusOK {
			t.Fatalf("GET with the cookie: %s", r)
		}
		wantSlug(t, c.post("/api/v1/creditors", validCreditor(), cookie), http.StatusForbidden, "csrf")
		wantSlug(t, c.post("/api/v1/creditors", validCreditor(), cookie, header{api.CSRFHeader, "tc_wrong"}), http.StatusForbidden, "csrf")
		wantSlug(t, c.post("/api/v1/creditors", validCreditor(), cookie, header{api.CSRFHeader, u.CSRF}), http.StatusForbidden, "csrf")
		want(t, c.post("/api/v1/creditors", validCreditor(), cookie, header{api.CSRFHeader, s.CSRFToken}), http.StatusCreated)
		// A bearer token needs no CSRF token: no browser sends it by itself.
		want(t, a.bearer(t, s.AccessToken).post("/api/v1/creditors", validCreditor()), http.StatusCreated)

		wantSlug(t, c.post("/api/v1/auth/logout", nil, cookie), http.StatusForbidden, "csrf")
		r = c.post("/api/v1/auth/logout", nil, cookie, header{api.CSRFHeader, s.CSRFToken})
		want(t, r, http.StatusNoContent)
		cleared := false
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			cleared = cleared || (c.Name == api.SessionCookie && c.Value == "" && c.MaxAge < 0)
		}
		if !cleared {
			t.Errorf("logout does not clear the cookie: %q", r.Header.Values("Set-Cookie"))
		}
		wantUnauthenticated(t, c.get("/api/v1/me", cookie))

		a.resign(t, a.admin)
		denied := a.as(t, a.admin).audit(qs("action", "access.denied", "actor", u.ID))
		if len(denied) != 4 {
			t.Errorf("%d access.denied entries for the CSRF refusals, want 4", len(denied))
		}
		for _, e := range denied {
			if e.detail(t)["reason"] != "csrf" {
				t.Errorf("denial %+v", e)
			}
		}
	})
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsHoldNoSecrets runs the sign-in, API-key and failure paths
// through an API server that logs everything, down to debug, and checks
// that no password, code, secret or token reaches the log, the security
// log or the event log. The server is a second one over the test
// application's database, bus and identity store, since apptest's own
// logger is fixed; the decider and projections never see a secret.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	progress := projections.NewProgress(a.Pool, apptest.ProjectionNames(), logger)
	done := make(chan struct{})
	go func() { defer close(done); _ = progress.Run(ctx) }()
	claimKey := make([]byte, 32)
	rand.Read(claimKey)
	lim, err := access.NewLimiter(1000, 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{
		Pool: a.Pool, Bus: a.Bus, Progress: progress, Registry: a.Registry, Sealer: a.Sealer, Keys: a.Keys,
		ClaimKey: claimKey, Logger: logger, ProjectionWait: 10 * time.Second, Identity: a.Identity, Now: a.clock.Now,
		LoginLimiter: lim, Blobs: a.Blobs,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(); cancel(); <-done })
	a.visitor.base = hs.URL

	// Everything secret that crosses the API in this test.
	var secrets []string
	keep := func(s ...string) { secrets = append(secrets, s...) }
	keep(apptest.Password, a.admin.Token, a.admin.CSRF)

	// A first sign-in with enrolment, on the logged server.
	u := a.newAccount(t, "agent")
	la := a.mustLogin(t, u.Email, u.Password)
	r := a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": la.MFAToken})
	want(t, r, http.StatusOK)
	var en enrolAnswer
	r.decode(t, &en)
	code := oathtoolCode(t, en.Secret, a.clock.Now())
	r = a.anon(t).post("/api/v1/auth/mfa/activate", obj{"mfa_token": la.MFAToken, "code": code})
	s := session(t, r)
	keep(la.MFAToken, en.Secret, code, s.AccessToken, s.CSRFToken)
	keep(s.RecoveryCodes...)
	u.Token, u.Secret = s.AccessToken, en.Secret

	// Failures of every step: wrong passwords up to a lock, wrong and
	// replayed codes, a used recovery code, unknown tokens.
	wrongPasswords := []string{"Wrong-Pass-1-zq8", "Wrong-Pass-2-zq8", "Wrong-Pass-3-zq8", "Wrong-Pass-4-zq8", "Wrong-Pass-5-zq8"}
	keep(wrongPasswords...)
	unknownEmail := fmt.Sprintf("ghost-%d@adc.test", next())
	a.login(t, unknownEmail, wrongPasswords[0])
	la = a.mustLogin(t, u.Email, u.Password)
	keep(la.MFAToken)
	wrong := wrongCode(t, en.Secret, a.clock.Now())
	keep(wrong)
	wantSlug(t, a.verify(t, la.MFAToken, wrong), http.StatusUnauthorized, "invalid-code")
	session(t, a.useRecovery(t, la.MFAToken, s.RecoveryCodes[0]))
	la = a.mustLogin(t, u.Email, u.Password)
	keep(la.MFAToken)
	wantSlug(t, a.useRecovery(t, la.MFAToken, s.RecoveryCodes[0]), http.StatusUnauthorized, "invalid-code")
	code2 := oathtoolCode(t, en.Secret, a.clock.Add(30*time.Second))
	keep(code2)
	s2 := session(t, a.verify(t, la.MFAToken, code2))
	keep(s2.AccessToken, s2.CSRFToken)
	for _, pw := range wrongPasswords {
		a.login(t, u.Email, pw)
	}
	a.login(t, u.Email, u.Password) // locked
	wantUnauthenticated(t, a.bearer(t, "ts_"+strings.Repeat("x", 43)).get("/api/v1/me"))

	// A creditor's API key, used and revoked; a registration.
	admin := a.as(t, a.admin)
	cr := admin.createCreditor(validCreditor())
	cu := a.NewTenant(t, "creditor", cr.ID)
	keep(cu.Token, cu.CSRF, cu.Secret)
	keep(cu.RecoveryCodes...)
	r = a.as(t, cu).post("/api/v1/api-keys", obj{"name": "ERP", "scopes": []string{"creditors:read"}})
	want(t, r, http.StatusCreated)
	var key struct {
		ID, Token string
	}
	r.decode(t, &key)
	keep(key.Token)
	want(t, a.bearer(t, key.Token).get("/api/v1/creditors/"+cr.ID), http.StatusOK)
	want(t, a.as(t, cu).delete("/api/v1/api-keys/"+key.ID), http.StatusOK)
	wantUnauthenticated(t, a.bearer(t, key.Token).get("/api/v1/creditors/"+cr.ID))
	regPassword := "Registration-Secret-77x"
	keep(regPassword)
	want(t, a.anon(t).post("/api/v1/registrations", with(registration("debtor"), obj{"password": regPassword})), http.StatusAccepted)
	want(t, a.anon(t).post("/api/v1/registrations", with(registration("debtor"), obj{"email": u.Email, "password": regPassword})),
		http.StatusAccepted)
	want(t, a.as(t, u).post("/api/v1/auth/logout", nil), http.StatusNoContent)

	// Let the sign-in facts land, then look everywhere.
	admin.waitAudit(qs("action", "account.locked", "subject", u.ID), 1)
	hs.Close()
	srv.Close()
	stores := map[string]string{"server log": logs.String()}
	for name, query := range map[string]string{
		"security_log":     "SELECT coalesce(string_agg(concat_ws(' ', subject_id, user_agent, detail::text), E'\n'), '') FROM security_log",
		"event_log":        "SELECT coalesce(string_agg(concat_ws(' ', data::text, actor::text, encode(coalesce(personal, ''), 'escape')), E'\n'), '') FROM event_log",
		"command_outcomes": "SELECT coalesce(string_agg(coalesce(rejection::text, ''), E'\n'), '') FROM command_outcomes",
	} {
		var text string
		if err := a.Pool.QueryRow(context.Background(), query).Scan(&text); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stores[name] = text
	}
	if !strings.Contains(stores["security_log"], "unknown_email") {
		t.Errorf("the security log has no failed login: %.300s", stores["security_log"])
	}
	for name, text := range stores {
		for _, sec := range secrets {
			switch {
			case sixDigits.MatchString(sec):
				// A TOTP code: six digits standing alone in the log, or a
				// JSON string in the tables; not inside the digits of a
				// timestamp or an id, where a code could match by chance.
				alone := regexp.MustCompile(`(^|[^0-9])` + sec + `([^0-9]|$)`).MatchString(text)
				if (name == "server log" && alone) || strings.Contains(text, `"`+sec+`"`) {
					t.Errorf("the %s holds a TOTP code", name)
				}
			case strings.Contains(text, sec):
				t.Errorf("the %s holds a secret %.6s…", name, sec)
			}
		}
		// Hashes of tokens are no secret, but the tokens' prefixes with
		// a body are: no ts_/tk_/tm_/tc_ token of 40+ characters.
		if m := regexp.MustCompile(`t[skmc]_[A-Za-z0-9_-]{40,}`).FindString(text); m != "" {
			t.Errorf("the %s holds a token %.8s…", name, m)
		}
		if strings.Contains(text, unknownEmail) {
			t.Errorf("the %s holds an unknown e-mail in clear", name)
		}
	}
	t.Logf("server log: %d bytes", len(stores["server log"]))
}
