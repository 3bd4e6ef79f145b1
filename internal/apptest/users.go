package apptest

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/internal/signin"
)

// User is an account of a test application, signed in through the API
// (password, TOTP enrolment, activation) like any client.
type User struct {
	ID, Email, Password string
	Role                string
	CreditorID          string
	DebtorID            string
	// Secret is the TOTP secret (base32); Token and CSRF the session.
	Secret, Token, CSRF string
	RecoveryCodes       []string
}

// Password is the password of every test account: long enough, and in no
// list of common passwords.
const Password = "tahsil-test-Kx7#mQ2v"

var userSeq atomic.Int64

// Submitter decides account commands through the app's bus, as the
// command line does, and waits until the read models show the account.
func (a *App) Submitter() identity.Submit {
	return identity.BusSubmitter(a.Bus, a.Registry, a.Pool, events.Actor{Role: "system", UserAgent: "apptest"})
}

// NewStaff creates a signed-in staff account (admin, agent, auditor).
func (a *App) NewStaff(t testing.TB, role string) *User {
	t.Helper()
	u := &User{Email: fmt.Sprintf("%s%d@adc.test", role, userSeq.Add(1)), Password: Password, Role: role}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := a.Identity.CreateStaff(ctx, collection.StaffInput{Email: u.Email, FullName: "Test " + role, Role: role}, Password, a.Submitter())
	if err != nil {
		t.Fatalf("create %s: %v", role, err)
	}
	u.ID = id
	a.SignIn(t, u)
	return u
}

// NewTenant creates a signed-in creditor account (tenant = creditor id) or
// debtor account (tenant = debtor id).
func (a *App) NewTenant(t testing.TB, role, tenant string) *User {
	t.Helper()
	u := &User{Email: fmt.Sprintf("%s%d@client.test", role, userSeq.Add(1)), Password: Password, Role: role}
	cred, debt := "", ""
	if role == collection.RoleCreditor {
		cred, u.CreditorID = tenant, tenant
	} else {
		debt, u.DebtorID = tenant, tenant
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := a.Identity.CreateLinked(ctx, role, cred, debt, u.Email, "Test "+role, Password, a.Submitter())
	if err != nil {
		t.Fatalf("create %s: %v", role, err)
	}
	u.ID = id
	a.SignIn(t, u)
	return u
}

// SignIn goes through the API's sign-in (internal/signin): password, then
// enrolment and activation on the first time, a code afterwards. Codes
// come from the app's clock.
func (a *App) SignIn(t testing.TB, u *User) {
	t.Helper()
	s, err := signin.SignIn(context.Background(), http.DefaultClient, a.URL, u.Email, u.Password, u.Secret, a.Now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Secret != "" {
		u.Secret, u.RecoveryCodes = s.Secret, s.RecoveryCodes
	}
	u.Token, u.CSRF = s.Token, s.CSRF
}

// Code is the TOTP code of a secret at the app's clock moved by offset
// steps (pquerna/otp; the oathtool tests use an independent generator).
func (a *App) Code(t testing.TB, secret string, offset int) string {
	t.Helper()
	code, err := signin.Code(secret, a.Now().Add(time.Duration(offset)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return code
}
