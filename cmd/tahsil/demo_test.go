package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/store"
)

// TestDemoCode checks which time step the demo loader spends: the one
// before the current step when it is free (the person's current code stays
// valid), else the next free one, and never one the server refuses.
func TestDemoCode(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	stepOf := func(code string, at time.Time) int64 {
		for s := at.Unix()/30 - 3; s <= at.Unix()/30+3; s++ {
			c, _ := totp.GenerateCodeCustom(secret, time.Unix(s*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if c == code {
				return s
			}
		}
		return -1
	}
	base := time.Unix(1_800_000_000/30*30, 0) // the start of a step
	for _, tc := range []struct {
		name     string
		at       time.Time
		lastStep int64
		want     int64 // relative to the step of at
	}{
		{"fresh account: the previous step", base.Add(5 * time.Second), 0, -1},
		{"previous step used: the current one", base.Add(5 * time.Second), base.Unix()/30 - 1, 0},
		{"current step used: the next one", base.Add(5 * time.Second), base.Unix() / 30, +1},
	} {
		code, err := demoCode(context.Background(), secret, tc.lastStep, func() time.Time { return tc.at })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		cur := tc.at.Unix() / 30
		if got := stepOf(code, tc.at) - cur; got != tc.want {
			t.Errorf("%s: step %+d, want %+d", tc.name, got, tc.want)
		}
		if _, err := access.VerifyTOTP(secret, code, tc.at, tc.lastStep); err != nil {
			t.Errorf("%s: the server would refuse the code: %v", tc.name, err)
		}
	}
	// At the end of a step the previous one is about to leave the window:
	// the loader waits for the next step rather than race it.
	now := base.Add(28 * time.Second)
	clock := func() time.Time { return now }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := demoCode(ctx, secret, 0, clock); err == nil {
		t.Error("a code 2 s before the end of the step, want a wait")
	}
}

// TestDemoLoadsCaseFiles runs the demo loader against a test application,
// as `tahsil serve --demo` does. Killed four times mid-load, each time
// just after the server acted on a request whose answer it never read,
// and started again, it ends with the case files demoCases describes.
// Run once more from the start, as when it dies before the state file
// says loaded, it finds every step done and changes no debt. The demo
// creditor and debtor accounts see their own debts only.
func TestDemoLoadsCaseFiles(t *testing.T) {
	t.Parallel()
	// Each load signs in again, with a TOTP code of a time step not used
	// yet: the clock moves a step ahead for each, so none waits for one.
	var ahead atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	app := apptest.Start(t, apptest.Options{Now: clock})
	dir := t.TempDir()
	load := func(crash func(n int, r *http.Request) bool) (demoLogins, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		ahead.Add(int64(30 * time.Second))
		d := &demoLoader{base: app.URL, ids: app.Identity, pool: app.Pool, submit: app.Submitter(), dataDir: dir, log: apptest.Logger(),
			client: &http.Client{Transport: &crashingTransport{crash: crash}}, now: clock}
		return d.load(ctx)
	}
	never := func(int, *http.Request) bool { return false }
	sent := func(method, suffix string) func(int, *http.Request) bool {
		return func(_ int, r *http.Request) bool { return r.Method == method && strings.HasSuffix(r.URL.Path, suffix) }
	}
	for _, crash := range []struct {
		at    string
		crash func(int, *http.Request) bool
	}{
		{"its 20th request, in the first case file", func(n int, _ *http.Request) bool { return n == 20 }},
		{"the payment plan", sent(http.MethodPut, "/plan")},
		{"the promise to pay", sent(http.MethodPost, "/promises")},
		{"the hold", func(n int, r *http.Request) bool {
			return sent(http.MethodPost, "/transitions")(n, r) && strings.Contains(readBody(r), collection.DebtStatusOnHold)
		}},
	} {
		if _, err := load(crash.crash); !errors.Is(err, errCrash) {
			t.Fatalf("a load killed at %s: %v", crash.at, err)
		}
	}
	logins, err := load(never)
	if err != nil {
		t.Fatalf("the load after the crashes: %v", err)
	}

	staff := app.NewStaff(t, "admin")
	agent, err := store.New(app.Pool).CredentialsByEmail(t.Context(), demoAccounts[demoAgentIdx].Email)
	if err != nil {
		t.Fatal(err)
	}
	debts := demoDebts(t, app, staff, "")
	if len(debts) != len(demoCases) {
		t.Fatalf("%d debts after the load, want %d", len(debts), len(demoCases))
	}
	statuses := map[string]int{}
	for _, c := range demoCases {
		statuses[checkDemoCase(t, app, staff, debts[c.Ref], c, agent.AccountID)]++
	}
	if statuses[collection.DebtStatusRecovered] == 0 || statuses[collection.DebtStatusPaymentPlan] == 0 || statuses[collection.DebtStatusOnHold] == 0 {
		t.Errorf("the portfolio's statuses: %v", statuses)
	}
	if n := len(demoDebts(t, app, staff, "?agent_id="+agent.AccountID)); n != countCases(func(c demoCase) bool { return c.Agent }) {
		t.Errorf("%d debts assigned to the demo agent", n)
	}
	var banner bytes.Buffer
	logins.print(&banner, app.URL)
	if !strings.Contains(banner.String(), "oathtool --totp -b "+logins.AdminSecret) ||
		!strings.Contains(banner.String(), fmt.Sprintf("%d case files", len(demoCases))) {
		t.Errorf("the banner:\n%s", banner.String())
	}

	// From the start again: the state file does not say loaded.
	path := filepath.Join(dir, demoStateFile)
	st, err := readDemoState(path)
	if err != nil {
		t.Fatal(err)
	}
	st.Loaded = false
	if err := writeDemoState(path, st); err != nil {
		t.Fatal(err)
	}
	if _, err := load(never); err != nil {
		t.Fatalf("a second load: %v", err)
	}
	again := demoDebts(t, app, staff, "")
	for ref, d := range debts {
		if a := again[ref]; a["version"] != d["version"] || a["balance"] != d["balance"] || a["status"] != d["status"] {
			t.Errorf("debt %s changed in a second load: %v, then %v", ref, d, a)
		}
	}
	if len(again) != len(debts) {
		t.Errorf("%d debts after a second load, want %d", len(again), len(debts))
	}
	for list, want := range map[string]int{"/api/v1/creditors": len(demoCreditors), "/api/v1/debtors": len(demoDebtors)} {
		var page struct{ Items []any }
		demoGet(t, app, staff, list+"?limit=200", &page)
		if len(page.Items) != want {
			t.Errorf("%s lists %d after a second load, want %d", list, len(page.Items), want)
		}
	}
	// Loaded: the next run signs in no more and creates nothing.
	if _, err := load(never); err != nil {
		t.Fatalf("a load of a loaded demo: %v", err)
	}

	st, _ = readDemoState(path)
	for _, tc := range []struct {
		email, field, id string
		want             int
	}{
		{"creditor@demo.test", "creditor_id", st.CreditorID, countCases(func(c demoCase) bool { return c.Creditor == demoCreditorIdx })},
		{"debtor@demo.test", "debtor_id", st.DebtorID, countCases(func(c demoCase) bool { return c.Debtor == demoDebtorIdx })},
	} {
		u := &apptest.User{Email: tc.email, Password: demoPassword}
		app.SignIn(t, u)
		own := demoDebts(t, app, u, "")
		if len(own) != tc.want {
			t.Errorf("%s sees %d debts, want %d", tc.email, len(own), tc.want)
		}
		for ref, d := range own {
			if d[tc.field] != tc.id {
				t.Errorf("%s sees debt %s of %s %v", tc.email, ref, tc.field, d[tc.field])
			}
		}
	}
}

// checkDemoCase checks a loaded debt against its case and returns its
// status.
func checkDemoCase(t *testing.T, app *apptest.App, u *apptest.User, debt map[string]any, c demoCase, agentID string) string {
	t.Helper()
	if debt == nil {
		t.Errorf("debt %s: not loaded", c.Ref)
		return ""
	}
	id := debt["id"].(string)
	var paid int64
	for _, p := range c.Payments {
		paid += p.Amount
	}
	want := collection.DebtStatusOpen
	switch {
	case c.Hold != "":
		want = collection.DebtStatusOnHold
	case c.Plan > 0:
		want = collection.DebtStatusPaymentPlan
	case paid == c.Principal+c.Fees:
		want = collection.DebtStatusRecovered
	case c.Amicable:
		want = collection.DebtStatusAmicable
	}
	balance := c.Principal + c.Fees - paid
	if debt["status"] != want || debt["balance"] != float64(balance) || (debt["agent_id"] == agentID) != c.Agent ||
		c.Hold != "" && debt["hold_reason"] != collection.HoldReasonDispute {
		t.Errorf("debt %s: %v; want status %s, balance %d, assigned %v", c.Ref, debt, want, balance, c.Agent)
	}
	promises := 0
	if c.Promise > 0 {
		promises = 1
	}
	for _, tc := range []struct {
		what string
		want int
	}{
		{"payments", len(c.Payments)},
		{"interactions", len(c.Interactions)},
		{"promises", promises},
	} {
		var page struct{ Items []any }
		demoGet(t, app, u, "/api/v1/debts/"+id+"/"+tc.what, &page)
		if len(page.Items) != tc.want {
			t.Errorf("debt %s has %d %s, want %d", c.Ref, len(page.Items), tc.what, tc.want)
		}
	}
	var plan struct {
		State       string
		Instalments []any
	}
	status := demoGet(t, app, u, "/api/v1/debts/"+id+"/plan", &plan)
	if c.Plan > 0 && (status != http.StatusOK || plan.State != collection.PlanActive || len(plan.Instalments) != c.Plan) ||
		c.Plan == 0 && status != http.StatusNotFound {
		t.Errorf("debt %s: plan %d %+v, want %d instalments", c.Ref, status, plan, c.Plan)
	}
	return want
}

// demoDebts lists the debts u sees, by external reference.
func demoDebts(t *testing.T, app *apptest.App, u *apptest.User, query string) map[string]map[string]any {
	t.Helper()
	if query == "" {
		query = "?limit=200"
	} else {
		query += "&limit=200"
	}
	var page struct{ Items []map[string]any }
	demoGet(t, app, u, "/api/v1/debts"+query, &page)
	out := map[string]map[string]any{}
	for _, d := range page.Items {
		out[d["external_ref"].(string)] = d
	}
	return out
}

// demoGet reads path as u into out (a 200 answer) and returns the status.
func demoGet(t *testing.T, app *apptest.App, u *apptest.User, path string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, app.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+u.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	case http.StatusNotFound:
	default:
		t.Fatalf("GET %s as %s: %d %s", path, u.Email, resp.StatusCode, b)
	}
	return resp.StatusCode
}

func countCases(match func(demoCase) bool) int {
	n := 0
	for _, c := range demoCases {
		if match(c) {
			n++
		}
	}
	return n
}

// readBody reads a request's body and leaves it to be sent.
func readBody(r *http.Request) string {
	if r.GetBody == nil {
		return ""
	}
	b, err := r.GetBody()
	if err != nil {
		return ""
	}
	defer b.Close()
	s, _ := io.ReadAll(b)
	return string(s)
}

var errCrash = errors.New("the loader was killed")

// crashingTransport kills the loader at the first request for which crash
// is true (n counts from 1): the server acts on it, its answer is lost,
// and every later request fails.
type crashingTransport struct {
	crash  func(n int, r *http.Request) bool
	n      int
	killed bool
}

func (c *crashingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.killed {
		return nil, errCrash
	}
	c.n++
	resp, err := http.DefaultTransport.RoundTrip(r)
	if c.crash(c.n, r) {
		c.killed = true
		if err == nil {
			resp.Body.Close()
		}
		return nil, errCrash
	}
	return resp, err
}
