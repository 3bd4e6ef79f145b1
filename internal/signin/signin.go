// Package signin drives Tahsil's sign-in over HTTP the way a client does:
// password, then TOTP enrolment and activation on the first time, a code
// afterwards. The test application, the benchmarks and the demo loader
// use it to get a session.
package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Session is a signed-in session.
type Session struct {
	Token, CSRF   string
	RecoveryCodes []string
	// Secret is the TOTP secret, set when this sign-in enrolled it.
	Secret string
}

// Code is the TOTP code of a secret at an instant.
func Code(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// SignIn signs in at base (the server's URL). secret is the account's TOTP
// secret, or "" when it has none yet (then it enrols). now gives the
// instant codes are computed for.
func SignIn(ctx context.Context, hc *http.Client, base, email, password, secret string, now func() time.Time) (Session, error) {
	var login struct {
		MFAToken           string `json:"mfa_token"`
		EnrollmentRequired bool   `json:"enrollment_required"`
	}
	if err := post(ctx, hc, base+"/api/v1/auth/login", map[string]string{"email": email, "password": password}, &login); err != nil {
		return Session{}, err
	}
	var out struct {
		AccessToken   string   `json:"access_token"`
		CSRFToken     string   `json:"csrf_token"`
		RecoveryCodes []string `json:"recovery_codes"`
	}
	s := Session{}
	if login.EnrollmentRequired {
		var en struct {
			Secret string `json:"secret"`
		}
		if err := post(ctx, hc, base+"/api/v1/auth/mfa/enroll", map[string]string{"mfa_token": login.MFAToken}, &en); err != nil {
			return Session{}, err
		}
		code, err := Code(en.Secret, now())
		if err != nil {
			return Session{}, err
		}
		if err := post(ctx, hc, base+"/api/v1/auth/mfa/activate", map[string]string{"mfa_token": login.MFAToken, "code": code}, &out); err != nil {
			return Session{}, err
		}
		s.Secret = en.Secret
	} else {
		if secret == "" {
			return Session{}, fmt.Errorf("sign in %s: the account has MFA enrolled and no secret was given", email)
		}
		code, err := Code(secret, now())
		if err != nil {
			return Session{}, err
		}
		if err := post(ctx, hc, base+"/api/v1/auth/mfa", map[string]string{"mfa_token": login.MFAToken, "code": code}, &out); err != nil {
			return Session{}, err
		}
	}
	s.Token, s.CSRF, s.RecoveryCodes = out.AccessToken, out.CSRFToken, out.RecoveryCodes
	return s, nil
}

func post(ctx context.Context, hc *http.Client, url string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}

// Bearer wraps a client so every request carries the session's token.
func Bearer(hc *http.Client, token string) *http.Client {
	c := *hc
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = bearer{base: base, token: token}
	return &c
}

type bearer struct {
	base  http.RoundTripper
	token string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}
