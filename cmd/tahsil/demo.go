package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/internal/wait"
	"github.com/adc-dz/tahsil/store"
)

// The demo portfolio: fictional creditors and debtors, in Arabic and Latin
// script, across several wilayas. Identifiers are made up and only have the
// right shape.
var demoCreditors = []map[string]any{
	{"name": "SARL Atlas Équipements", "legal_form": "SARL", "nif": "000216012345678", "rc": "16/00-0123456B18",
		"sector": "Distribution de matériel", "wilaya": 16, "address": "12 rue Didouche Mourad, Alger-Centre",
		"phone": "021 63 45 12", "email": "recouvrement@atlas-equipements.dz", "contact_name": "Nadia Belkacem", "commission_bps": 1200},
	{"name": "مؤسسة النور للتوزيع", "legal_form": "EURL", "nif": "000219087654321", "rc": "19/00-0456789B20",
		"sector": "توزيع المواد الغذائية", "wilaya": 19, "address": "حي 1014 مسكن، سطيف",
		"phone": "0661 23 45 67", "email": "contact@ennour-distribution.dz", "contact_name": "رضا بن عمار", "commission_bps": 1000},
	{"name": "EURL Tassili Informatique", "legal_form": "EURL", "nif": "000231055512345", "sector": "Services informatiques",
		"wilaya": 31, "address": "Boulevard de l'ALN, Oran", "phone": "0770 11 22 33", "email": "finance@tassili-info.dz",
		"contact_name": "Sofiane Merabet", "commission_bps": 1500},
	{"name": "SPA Djurdjura Agro", "legal_form": "SPA", "nif": "000215099988877", "sector": "Agroalimentaire",
		"wilaya": 15, "address": "Zone industrielle Oued Aïssi, Tizi Ouzou", "phone": "026 21 00 45",
		"email": "creances@djurdjura-agro.dz", "contact_name": "Lounès Ait Ahmed", "commission_bps": 800},
}

var demoDebtors = []map[string]any{
	{"kind": "person", "full_name": "محمد بن علي", "nin": "109870123456789012", "phones": []string{"0550 12 34 56"},
		"address": "حي الموز، البليدة", "wilaya": 9, "language": "ar"},
	{"kind": "person", "full_name": "Fatima Zohra Boudiaf", "nin": "209850234567890123", "phones": []string{"0661 98 76 54"},
		"email": "fz.boudiaf@example.dz", "address": "Cité Daksi, Constantine", "wilaya": 25, "language": "fr"},
	{"kind": "person", "full_name": "يوسف قاسمي", "nin": "109900345678901234", "phones": []string{"0770 45 67 89", "0551 22 33 44"},
		"address": "حي 500 مسكن، باتنة", "wilaya": 5, "language": "ar"},
	{"kind": "person", "full_name": "Amina Kaci", "nin": "209950456789012345", "email": "amina.kaci@example.dz",
		"address": "Rue de la Liberté, Béjaïa", "wilaya": 6, "preferred_channel": "email", "language": "fr"},
	{"kind": "person", "full_name": "عبد القادر مرابط", "nin": "109750567890123456", "phones": []string{"0662 10 20 30"},
		"address": "حي النصر، ورقلة", "wilaya": 30, "language": "ar"},
	{"kind": "person", "full_name": "Karim Hadj Ahmed", "nin": "109880678901234567", "phones": []string{"0555 66 77 88"},
		"address": "Cours de la Révolution, Annaba", "wilaya": 23, "language": "fr"},
	{"kind": "company", "full_name": "SARL Sahara Transport", "nif": "000247012398765", "rc": "47/00-0098765B15",
		"phones": []string{"0771 00 11 22"}, "email": "gestion@sahara-transport.dz", "address": "Route de Ouargla, Ghardaïa",
		"wilaya": 47, "language": "fr"},
	{"kind": "person", "full_name": "ليلى بوزيد", "nin": "209920789012345678", "phones": []string{"0663 55 44 33"},
		"address": "حي الكيفان، تلمسان", "wilaya": 13, "language": "ar"},
}

// The demo accounts: one per role, all with demoPassword. The creditor
// account acts for demoCreditors[0], the debtor account for demoDebtors[1].
// The e-mails are under demo.test, a name reserved for testing (RFC 2606),
// so no mail can ever reach a real person.
var demoAccounts = []demoAccount{
	{Role: collection.RoleAdmin, Email: "admin@demo.test", Name: "Samira Haddad"},
	{Role: collection.RoleAgent, Email: "agent@demo.test", Name: "Walid Benaissa"},
	{Role: collection.RoleAuditor, Email: "auditor@demo.test", Name: "Houria Mansouri"},
	{Role: collection.RoleCreditor, Email: "creditor@demo.test", Name: "Nadia Belkacem", Tenant: "SARL Atlas Équipements"},
	{Role: collection.RoleDebtor, Email: "debtor@demo.test", Name: "Fatima Zohra Boudiaf", Tenant: "Fatima Zohra Boudiaf"},
}

const (
	// demoPassword is the password of every demo account. It is printed
	// on every start with --demo: demo data only, never a real system.
	demoPassword = "tahsil-demo-2026"
	// demoStateFile, in the data directory, keeps what the loader needs
	// to sign in again and to print the logins on the next start: the demo
	// admin's TOTP secret. Mode 0600; demo only.
	demoStateFile   = "demo.json"
	demoCreditorIdx = 0
	demoDebtorIdx   = 1
	demoAgentIdx    = 1 // in demoAccounts
)

type demoAccount struct {
	Role, Email, Name string
	Tenant            string // the creditor or debtor the account acts for
}

// demoState is the content of demoStateFile.
type demoState struct {
	Note        string `json:"note"`
	AdminEmail  string `json:"admin_email"`
	AdminSecret string `json:"admin_totp_secret"`
	CreditorID  string `json:"creditor_id,omitempty"`
	DebtorID    string `json:"debtor_id,omitempty"`
	// AsOf is the day (in Algiers) the case files' past dates count back
	// from, fixed by the first load: a load resumed on a later day sends
	// the same bodies, which its Idempotency-Keys require.
	AsOf string `json:"as_of,omitempty"`
	// Loaded is set once the records, the accounts and the case files are
	// all there: a later run then signs in no more and creates nothing.
	Loaded bool `json:"loaded"`
}

// demoLogins is what the banner prints after the demo is loaded.
type demoLogins struct {
	AdminSecret string
	StateFile   string
}

// demoLoader loads the demo: it creates the demo admin the way the first
// admin of any installation is created (a command on the bus, as `tahsil
// users create` does), signs in as that admin through the API (password,
// then TOTP enrolment and activation with a code it computes), posts the
// demo creditors and debtors through the API, creates the other demo
// accounts, then opens and works the demo case files (demo_cases.go).
// Every step is idempotent: a second run creates nothing, and a run
// resumed after a crash ends with the same data.
type demoLoader struct {
	base    string // the running API
	ids     *identity.Service
	pool    *pgxpool.Pool
	submit  identity.Submit
	dataDir string
	log     *slog.Logger

	// client and now default to an http.Client and time.Now; a test sets
	// its own.
	client *http.Client
	now    func() time.Time
	token  string
}

func (d *demoLoader) statePath() string { return filepath.Join(d.dataDir, demoStateFile) }

func (d *demoLoader) load(ctx context.Context) (demoLogins, error) {
	if d.client == nil {
		d.client = &http.Client{Timeout: 30 * time.Second}
	}
	if d.now == nil {
		d.now = time.Now
	}
	if err := d.waitReady(ctx); err != nil {
		return demoLogins{}, err
	}
	st, err := readDemoState(d.statePath())
	if err != nil {
		return demoLogins{}, err
	}
	admin := demoAccounts[0]
	if err := d.ensureAccount(ctx, admin, ""); err != nil {
		return demoLogins{}, fmt.Errorf("demo admin: %w", err)
	}
	logins := demoLogins{StateFile: d.statePath()}
	if st.Loaded && st.AdminSecret != "" {
		all, err := d.allAccountsExist(ctx)
		if err != nil {
			return demoLogins{}, err
		}
		if all {
			logins.AdminSecret = st.AdminSecret
			d.log.Info("demo data already loaded", "state", d.statePath())
			return logins, nil
		}
	}
	if err := d.signIn(ctx, &st); err != nil {
		return demoLogins{}, fmt.Errorf("demo admin sign-in: %w", err)
	}
	defer d.signOut()
	if st.AsOf == "" {
		st.AsOf = collection.DateIn(d.now(), algiers()).String()
		if err := writeDemoState(d.statePath(), st); err != nil {
			return demoLogins{}, err
		}
	}
	var parties demoParties
	for i, c := range demoCreditors {
		id, err := d.create(ctx, "/api/v1/creditors", fmt.Sprintf("demo-creditor-%d", i+1), c)
		if err != nil {
			return demoLogins{}, err
		}
		parties.creditors = append(parties.creditors, id)
	}
	for i, c := range demoDebtors {
		id, err := d.create(ctx, "/api/v1/debtors", fmt.Sprintf("demo-debtor-%d", i+1), c)
		if err != nil {
			return demoLogins{}, err
		}
		parties.debtors = append(parties.debtors, id)
	}
	st.CreditorID, st.DebtorID = parties.creditors[demoCreditorIdx], parties.debtors[demoDebtorIdx]
	for _, a := range demoAccounts[1:] {
		tenant := ""
		switch a.Role {
		case collection.RoleCreditor:
			tenant = st.CreditorID
		case collection.RoleDebtor:
			tenant = st.DebtorID
		}
		if err := d.ensureAccount(ctx, a, tenant); err != nil {
			return demoLogins{}, fmt.Errorf("demo %s account: %w", a.Role, err)
		}
	}
	// The case files come last: they are assigned to the demo agent.
	if err := d.loadCases(ctx, st.AsOf, parties); err != nil {
		return demoLogins{}, fmt.Errorf("demo case files: %w", err)
	}
	st.Loaded = true
	if err := writeDemoState(d.statePath(), st); err != nil {
		return demoLogins{}, err
	}
	logins.AdminSecret = st.AdminSecret
	d.log.Info("demo data loaded", "creditors", len(demoCreditors), "debtors", len(demoDebtors), "debts", len(demoCases),
		"accounts", len(demoAccounts))
	return logins, nil
}

// waitReady waits for the server's /readyz: the demo runs right after
// start-up, while the projections may still be catching up.
func (d *demoLoader) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return wait.Until(ctx, func() (bool, error) { return health(ctx, d.base) == nil, nil })
}

// ensureAccount creates a demo account unless its e-mail is already a
// login. tenant is the creditor or debtor id of a linked account.
func (d *demoLoader) ensureAccount(ctx context.Context, a demoAccount, tenant string) error {
	if _, err := store.New(d.pool).CredentialsByEmail(ctx, a.Email); err == nil {
		return nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var err error
	switch a.Role {
	case collection.RoleCreditor:
		_, err = d.ids.CreateLinked(ctx, a.Role, tenant, "", a.Email, a.Name, demoPassword, d.submit)
	case collection.RoleDebtor:
		_, err = d.ids.CreateLinked(ctx, a.Role, "", tenant, a.Email, a.Name, demoPassword, d.submit)
	default:
		_, err = d.ids.CreateStaff(ctx, collection.StaffInput{Email: a.Email, FullName: a.Name, Role: a.Role}, demoPassword, d.submit)
	}
	if errors.Is(err, identity.ErrEmailTaken) {
		return nil // created meanwhile
	}
	return err
}

func (d *demoLoader) allAccountsExist(ctx context.Context) (bool, error) {
	q := store.New(d.pool)
	for _, a := range demoAccounts {
		_, err := q.CredentialsByEmail(ctx, a.Email)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// signIn signs in as the demo admin. The first time it enrols TOTP and
// keeps the secret in the state file before activating it; later it
// verifies a code from the kept secret.
func (d *demoLoader) signIn(ctx context.Context, st *demoState) error {
	admin := demoAccounts[0]
	var login struct {
		MFAToken           string `json:"mfa_token"`
		EnrollmentRequired bool   `json:"enrollment_required"`
	}
	if err := d.postJSON(ctx, "/api/v1/auth/login", map[string]string{"email": admin.Email, "password": demoPassword}, &login); err != nil {
		return err
	}
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	if login.EnrollmentRequired {
		var en struct {
			Secret string `json:"secret"`
		}
		if err := d.postJSON(ctx, "/api/v1/auth/mfa/enroll", map[string]string{"mfa_token": login.MFAToken}, &en); err != nil {
			return err
		}
		*st = demoState{AdminSecret: en.Secret, CreditorID: st.CreditorID, DebtorID: st.DebtorID}
		if err := writeDemoState(d.statePath(), *st); err != nil {
			return err
		}
		code, err := demoCode(ctx, en.Secret, 0, d.now)
		if err != nil {
			return err
		}
		if err := d.postJSON(ctx, "/api/v1/auth/mfa/activate", map[string]string{"mfa_token": login.MFAToken, "code": code}, &sess); err != nil {
			return err
		}
	} else {
		if st.AdminSecret == "" {
			return fmt.Errorf("%s has enrolled TOTP, but its secret is not in %s (deleted?): start again from an empty data directory, "+
				"or have another admin reset its MFA (POST /api/v1/users/{id}/mfa-reset)", admin.Email, d.statePath())
		}
		cred, err := store.New(d.pool).CredentialsByEmail(ctx, admin.Email)
		if err != nil {
			return err
		}
		code, err := demoCode(ctx, st.AdminSecret, cred.TotpLastStep, d.now)
		if err != nil {
			return err
		}
		if err := d.postJSON(ctx, "/api/v1/auth/mfa", map[string]string{"mfa_token": login.MFAToken, "code": code}, &sess); err != nil {
			return err
		}
	}
	d.token = sess.AccessToken
	return nil
}

// demoCode returns a TOTP code of secret that the server accepts now and
// that spends as little as possible of the person's own codes.
//
// A code is accepted once: the server stores the last time step used and
// refuses any step not after it. It also accepts the step before the
// current one, for clocks that drift. So the loader uses that previous
// step: the code the person's authenticator shows at the same moment (the
// current step) stays valid, and they can sign in right after the demo
// loads. When lastStep leaves no earlier step, it takes the next unused
// one, waiting until the server accepts it (at most one step).
func demoCode(ctx context.Context, secret string, lastStep int64, now func() time.Time) (string, error) {
	const period = 30
	for {
		t := now()
		cur := t.Unix() / period
		step := max(cur-1, lastStep+1)
		var wait time.Duration
		switch {
		case step == cur-1 && t.Unix()%period >= period-4:
			// The previous step leaves the window when the current one
			// ends: a request in flight could arrive too late.
			wait = time.Unix((cur+1)*period, 0).Sub(t)
		case step > cur+1:
			wait = time.Unix((step-1)*period, 0).Sub(t)
		default:
			return totp.GenerateCodeCustom(secret, time.Unix(step*period, 0), totp.ValidateOpts{
				Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
			})
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(wait + 100*time.Millisecond):
		}
	}
}

func (d *demoLoader) signOut() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.call(ctx, http.MethodPost, "/api/v1/auth/logout", "", nil, nil); err != nil {
		d.log.Warn("demo admin sign-out", "err", err)
	}
	d.token = ""
}

// create posts a record with its Idempotency-Key and returns its id: from
// the 201, from the 409 of a record an earlier run loaded under another
// key, or, after a 202, from the same request repeated once the command is
// decided (a retry with the same key is safe).
func (d *demoLoader) create(ctx context.Context, path, key string, body any) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	status, err := d.send(ctx, http.MethodPost, path, key, body, &out)
	var p *demoProblem
	switch {
	case errors.As(err, &p) && p.Status == http.StatusConflict && p.ExistingID != "":
		return p.ExistingID, nil
	case err != nil:
		return "", err
	case status == http.StatusCreated && out.ID != "":
		return out.ID, nil
	}
	return "", fmt.Errorf("POST %s: answered %d", path, status)
}

// step takes one step of a case file's work. A 409 answers a step an
// earlier run already took (the status already reached, the payment
// reference already recorded): it is done.
func (d *demoLoader) step(ctx context.Context, method, path, key string, body, out any) error {
	status, err := d.send(ctx, method, path, key, body, out)
	var p *demoProblem
	switch {
	case errors.As(err, &p) && p.Status == http.StatusConflict:
		d.log.Debug("demo step already taken", "request", method+" "+path, "detail", p.Detail)
		return nil
	case err != nil:
		return err
	case status == http.StatusOK || status == http.StatusCreated:
		return nil
	}
	return fmt.Errorf("%s %s: answered %d", method, path, status)
}

// send is call that waits out a 202: the command is in the log, not yet
// decided or projected. The same request once it is answers as the first
// would have: a keyed one replays it, an unkeyed step answers 409 (done).
func (d *demoLoader) send(ctx context.Context, method, path, key string, body, out any) (int, error) {
	for attempt := 0; ; attempt++ {
		status, err := d.call(ctx, method, path, key, body, out)
		if err != nil || status != http.StatusAccepted || attempt == 120 {
			return status, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// get reads path into out.
func (d *demoLoader) get(ctx context.Context, path string, out any) error {
	_, err := d.call(ctx, http.MethodGet, path, "", nil, out)
	return err
}

// postJSON posts body and decodes a 200 answer into out.
func (d *demoLoader) postJSON(ctx context.Context, path string, body, out any) error {
	status, err := d.call(ctx, http.MethodPost, path, "", body, out)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("POST %s: answered %d", path, status)
	}
	return nil
}

// demoProblem is an error answer (RFC 9457) as the loader reads it: the
// status, the fields refused and, in a 409, the record that exists.
type demoProblem struct {
	Status     int    `json:"-"`
	Title      string `json:"title"`
	Detail     string `json:"detail"`
	ExistingID string `json:"existing_id"`
	Errors     []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
	request, statusText string
}

func (p *demoProblem) Error() string {
	return fmt.Sprintf("%s: %s: %s %s", p.request, p.statusText, p.Title, p.Detail)
}

// call sends one request with the session, if any, and decodes a 200 or
// 201 answer into out. An error status comes back as a *demoProblem.
func (d *demoLoader) call(ctx context.Context, method, path, key string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 400 {
		p := &demoProblem{Status: resp.StatusCode, request: method + " " + path, statusText: resp.Status}
		_ = json.Unmarshal(msg, p)
		return resp.StatusCode, p
	}
	if out != nil && len(msg) > 0 && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated) {
		if err := json.Unmarshal(msg, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func readDemoState(path string) (demoState, error) {
	var st demoState
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("demo state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("demo state %s: %w", path, err)
	}
	return st, nil
}

// writeDemoState replaces the state file atomically, readable by its
// owner only: it holds a TOTP secret.
func writeDemoState(path string, st demoState) error {
	st.Note = "Tahsil demo data only: the TOTP secret of the demo admin " + demoAccounts[0].Email +
		", kept so that `tahsil serve --demo` can sign in and print the logins again. Never use the demo on a real system."
	st.AdminEmail = demoAccounts[0].Email
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("demo state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("demo state: %w", err)
	}
	return nil
}

// print writes what the demo holds and its logins for the banner.
func (l demoLogins) print(w io.Writer, base string) {
	fmt.Fprintf(w, "  Demo data: %d creditors, %d debtors and %d case files (debts) with their payments, a plan, a promise,\n"+
		"  calls and letters. Staff see them all, the creditor and the debtor their own.\n",
		len(demoCreditors), len(demoDebtors), len(demoCases))
	fmt.Fprintf(w, "  Demo logins (demo data only), password %s for all:\n", demoPassword)
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	for _, a := range demoAccounts {
		note := ""
		switch {
		case a.Role == collection.RoleAdmin:
			note = fmt.Sprintf("TOTP secret %s   code: oathtool --totp -b %s", l.AdminSecret, l.AdminSecret)
		case a.Tenant != "":
			note = "acts for " + a.Tenant
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", a.Role, a.Email, note)
	}
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	fmt.Fprintf(w, "  The admin's secret is kept in %s (mode 0600, demo only): add it to any authenticator app.\n", l.StateFile)
	fmt.Fprintf(w, "  The others enrol an authenticator app at their first sign-in (QR code and secret from /api/v1/auth/mfa/enroll).\n")
	fmt.Fprintf(w, "  A code is accepted once: if yours is refused, wait for the next one (30 s).\n")
	fmt.Fprintf(w, "  Sign in: POST %s/api/v1/auth/login, then /api/v1/auth/mfa; see README.md, \"Accounts and sign-in\".\n", base)
}

// demoCommand loads the demo into the server at TAHSIL_URL: `tahsil demo`.
// It creates the accounts through the bus of that server's
// infrastructure, so it runs where the server's configuration applies
// (the same data directory, or the same broker and database addresses).
func demoCommand(ctx context.Context, cfg config, log *slog.Logger) error {
	if err := health(ctx, cfg.URL); err != nil {
		return fmt.Errorf("demo: no ready Tahsil at %s (TAHSIL_URL): %w; start `tahsil serve` first, or run `tahsil serve --demo`", cfg.URL, err)
	}
	c, err := openConsole(ctx, cfg, log, shareRequired)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer c.close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	d := &demoLoader{
		base: cfg.URL, ids: c.ids, pool: c.in.pool, dataDir: cfg.DataDir, log: log,
		submit: identity.BusSubmitter(c.bus, c.in.registry, c.in.pool, operator("demo")),
	}
	logins, err := d.load(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Printf("demo data loaded at %s\n", cfg.URL)
	logins.print(os.Stdout, cfg.URL)
	return nil
}
