package api_test

import (
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// debtRefPattern is a case file's short reference.
var debtRefPattern = regexp.MustCompile(`^F-[0-9A-HJKMNP-TV-Z]{6}$`)

// debt is a case file as the API shows it.
type debt struct {
	ID             string    `json:"id"`
	Ref            string    `json:"ref"`
	CreditorID     string    `json:"creditor_id"`
	DebtorID       string    `json:"debtor_id"`
	ExternalRef    string    `json:"external_ref"`
	Type           string    `json:"type"`
	Currency       string    `json:"currency"`
	Status         string    `json:"status"`
	HoldReason     string    `json:"hold_reason"`
	Principal      int64     `json:"principal"`
	Charges        int64     `json:"charges"`
	Discount       int64     `json:"discount"`
	WrittenOff     int64     `json:"written_off"`
	Paid           int64     `json:"paid"`
	Credit         int64     `json:"credit"`
	Balance        int64     `json:"balance"`
	AcknowledgedOn string    `json:"acknowledged_on"`
	OriginalDueOn  string    `json:"original_due_on"`
	CurrentDueOn   string    `json:"current_due_on"`
	DaysPastDue    int       `json:"days_past_due"`
	AgentID        string    `json:"agent_id"`
	Description    string    `json:"description"`
	LastPaymentOn  string    `json:"last_payment_on"`
	Version        int64     `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// algiersClock is the clock of the case-file tests: 23:30 UTC of the real
// day, moving with real time. In Algiers (UTC+1 all year) it is then
// already the next day, so a days-past-due or value-date check that used
// the UTC date instead of the Algiers one fails. It returns the clock and
// a function giving a date n days from today in Algiers (YYYY-MM-DD).
func algiersClock() (func() time.Time, func(n int) string) {
	base := time.Now().UTC().Truncate(24 * time.Hour).Add(23*time.Hour + 30*time.Minute)
	started := time.Now()
	now := func() time.Time { return base.Add(time.Since(started)) }
	today := base.Add(time.Hour).Truncate(24 * time.Hour)
	return now, func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
}

// validDebt returns a valid debt body for a creditor and a debtor, with a
// unique external reference.
func validDebt(creditorID, debtorID string) obj {
	return obj{
		"creditor_id": creditorID, "debtor_id": debtorID, "external_ref": fmt.Sprintf("FAC2025N%06d", next()),
		"type": "commercial", "principal": 12_500_000, "fees": 150_000, "acknowledged_on": "2025-01-20",
		"original_due_on": "2025-03-31", "description": "Factures impayées\nlivraisons de janvier",
	}
}

// openDebt opens a case file and returns it.
func (c *client) openDebt(body obj, hdrs ...header) debt {
	c.t.Helper()
	r := c.post("/api/v1/debts", body, hdrs...)
	want(c.t, r, http.StatusCreated)
	var out debt
	r.decode(c.t, &out)
	return out
}

// getDebt reads a case file.
func (c *client) getDebt(id string) debt {
	c.t.Helper()
	r := c.get("/api/v1/debts/" + id)
	want(c.t, r, http.StatusOK)
	var out debt
	r.decode(c.t, &out)
	return out
}

// moveDebt posts a transition and returns the debt after it.
func (c *client) moveDebt(id string, body obj) debt {
	c.t.Helper()
	r := c.post("/api/v1/debts/"+id+"/transitions", body)
	want(c.t, r, http.StatusOK)
	var out debt
	r.decode(c.t, &out)
	return out
}

// debtIDs lists every debt of a list path, following the cursor.
func debtIDs(t testing.TB, c *client, path string, limit int) []string {
	t.Helper()
	return listAll(t, c, path, limit, func(d debt) string { return d.ID })
}

func TestDebts(t *testing.T) {
	t.Parallel()
	now, day := algiersClock()
	app, c := start(t, apptest.Options{Now: now})
	admin := c.as(app.NewStaff(t, "admin"))
	cr := c.createCreditor(validCreditor())
	cr2 := c.createCreditor(with(validCreditor(), obj{"name": "Sonelgaz Distribution"}))
	dr := c.createDebtor(validDebtor())
	dr2 := c.createDebtor(with(validDebtor(), obj{"full_name": "Nadia Bouzid"}))

	var first debt
	t.Run("open", func(t *testing.T) {
		c := c.on(t)
		body := with(validDebt(strings.ToUpper(" "+cr.ID+" "), dr.ID), obj{"external_ref": "  FAC   2025-0001 ",
			"type": " Commercial", "currency": "dzd"})
		r := c.post("/api/v1/debts", body)
		want(t, r, http.StatusCreated)
		r.decode(t, &first)
		if got := r.Header.Get("Location"); got != "/api/v1/debts/"+first.ID {
			t.Errorf("Location %q, id %s", got, first.ID)
		}
		if got := r.Header.Get("ETag"); got != `"1"` {
			t.Errorf(`ETag %q, want "1"`, got)
		}
		if !uuidPattern.MatchString(first.ID) || !debtRefPattern.MatchString(first.Ref) {
			t.Errorf("id %q, ref %q", first.ID, first.Ref)
		}
		// The due date is in the past: 2025-03-31 to today in Algiers.
		due, _ := time.Parse(time.DateOnly, "2025-03-31")
		today, _ := time.Parse(time.DateOnly, day(0))
		wantDebt := debt{
			ID: first.ID, Ref: first.Ref, CreditorID: cr.ID, DebtorID: dr.ID, ExternalRef: "FAC 2025-0001",
			Type: "commercial", Currency: "DZD", Status: "open", Principal: 12_500_000, Charges: 150_000,
			Balance: 12_650_000, AcknowledgedOn: "2025-01-20", OriginalDueOn: "2025-03-31", CurrentDueOn: "2025-03-31",
			DaysPastDue: int(today.Sub(due).Hours() / 24), Description: "Factures impayées\nlivraisons de janvier",
			Version: 1, CreatedAt: first.CreatedAt, UpdatedAt: first.UpdatedAt,
		}
		if first != wantDebt {
			t.Errorf("opened\n got %+v\nwant %+v", first, wantDebt)
		}
		if first.CreatedAt.IsZero() || !first.UpdatedAt.Equal(first.CreatedAt) {
			t.Errorf("created_at %v, updated_at %v", first.CreatedAt, first.UpdatedAt)
		}
		r = c.get("/api/v1/debts/" + first.ID)
		want(t, r, http.StatusOK)
		if got := r.Header.Get("ETag"); got != `"1"` {
			t.Errorf("GET ETag %q", got)
		}
		var got debt
		r.decode(t, &got)
		if got != first {
			t.Errorf("GET\n got %+v\nwant %+v", got, first)
		}
		// Optional fields left out: no fees, no acknowledgement, no
		// description; the currency is DZD.
		minimal := c.openDebt(obj{"creditor_id": cr.ID, "debtor_id": dr.ID, "external_ref": "CHQ-7781", "type": "cheque",
			"principal": 4_000_000, "original_due_on": day(5)})
		if minimal.Charges != 0 || minimal.Balance != 4_000_000 || minimal.AcknowledgedOn != "" || minimal.Description != "" ||
			minimal.Currency != "DZD" || minimal.DaysPastDue != 0 || minimal.CurrentDueOn != day(5) {
			t.Errorf("minimal debt: %+v", minimal)
		}
		// Unknown and malformed ids are not found alike.
		for _, id := range []string{uuid.Must(uuid.NewV7()).String(), "nope", first.ID[:35]} {
			wantSlug(t, c.get("/api/v1/debts/"+id), http.StatusNotFound, "not-found")
		}
	})
	if first.ID == "" {
		t.Fatal("no debt to work on")
	}
	path := "/api/v1/debts/" + first.ID

	t.Run("the parties must exist and be active", func(t *testing.T) {
		c := c.on(t)
		archivedCr := c.createCreditor(validCreditor())
		want(t, c.delete("/api/v1/creditors/"+archivedCr.ID), http.StatusOK)
		archivedDr := c.createDebtor(validDebtor())
		want(t, c.delete("/api/v1/debtors/"+archivedDr.ID), http.StatusOK)
		missing := uuid.Must(uuid.NewV7()).String()
		for _, tc := range []struct {
			name                 string
			creditor, debtor     string
			fields               []string
			creditorIs, debtorIs string
		}{
			{"missing creditor", missing, dr.ID, []string{"creditor_id"}, "no creditor", ""},
			{"missing debtor", cr.ID, missing, []string{"debtor_id"}, "", "no debtor"},
			{"both missing", missing, uuid.Must(uuid.NewV7()).String(), []string{"creditor_id", "debtor_id"}, "no creditor", "no debtor"},
			{"archived creditor", archivedCr.ID, dr.ID, []string{"creditor_id"}, "archived", ""},
			{"archived debtor", cr.ID, archivedDr.ID, []string{"debtor_id"}, "", "archived"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := wantSlug(t, c.on(t).post("/api/v1/debts", validDebt(tc.creditor, tc.debtor)), http.StatusUnprocessableEntity,
					"validation", tc.fields...)
				if len(p.Errors) != len(tc.fields) {
					t.Errorf("errors %v, want %v", p.fields(), tc.fields)
				}
				for _, e := range p.Errors {
					wantIn := map[string]string{"creditor_id": tc.creditorIs, "debtor_id": tc.debtorIs}[e.Field]
					if !strings.Contains(e.Reason, wantIn) {
						t.Errorf("%s: reason %q does not say %q", e.Field, e.Reason, wantIn)
					}
				}
			})
		}
	})

	t.Run("external_ref is unique per creditor", func(t *testing.T) {
		c := c.on(t)
		body := with(validDebt(cr.ID, dr.ID), obj{"external_ref": "INV-ALGER-42"})
		d := c.openDebt(body)
		for _, ref := range []string{"INV-ALGER-42", "inv-alger-42", "  Inv-Alger-42 "} {
			p := wantSlug(t, c.post("/api/v1/debts", with(body, obj{"external_ref": ref, "principal": 1000})),
				http.StatusConflict, "duplicate", "external_ref")
			if p.ExistingID != d.ID {
				t.Errorf("%q: existing_id %q, want %s", ref, p.ExistingID, d.ID)
			}
		}
		// Even against another debtor: the reference is the creditor's.
		p := wantSlug(t, c.post("/api/v1/debts", with(body, obj{"debtor_id": dr2.ID, "external_ref": "inv-ALGER-42"})),
			http.StatusConflict, "duplicate", "external_ref")
		if p.ExistingID != d.ID {
			t.Errorf("existing_id %q, want %s", p.ExistingID, d.ID)
		}
		// Another creditor may use the same reference.
		other := c.openDebt(with(body, obj{"creditor_id": cr2.ID}))
		if other.ID == d.ID || other.ExternalRef != "INV-ALGER-42" || other.CreditorID != cr2.ID {
			t.Errorf("other creditor's debt: %+v", other)
		}
		if ids := debtIDs(t, c, "/api/v1/debts?creditor_id="+cr2.ID, 50); !slices.Contains(ids, other.ID) {
			t.Errorf("the other creditor's debts %v lack %s", ids, other.ID)
		}
	})

	t.Run("every invalid field is named", func(t *testing.T) {
		c := c.on(t)
		before := debtIDs(t, c, "/api/v1/debts", 200)
		base := validDebt(cr.ID, dr.ID)
		for _, tc := range []struct {
			change obj
			fields []string
		}{
			{obj{"creditor_id": "acme"}, []string{"creditor_id"}},
			{obj{"creditor_id": nil}, []string{"creditor_id"}},
			{obj{"debtor_id": ""}, []string{"debtor_id"}},
			{obj{"debtor_id": "12345"}, []string{"debtor_id"}},
			{obj{"external_ref": nil}, []string{"external_ref"}},
			{obj{"external_ref": "   "}, []string{"external_ref"}},
			{obj{"external_ref": strings.Repeat("x", 65)}, []string{"external_ref"}},
			{obj{"external_ref": "A\u202eB"}, []string{"external_ref"}},
			{obj{"type": nil}, []string{"type"}},
			{obj{"type": "boat"}, []string{"type"}},
			{obj{"principal": nil}, []string{"principal"}},
			{obj{"principal": 0}, []string{"principal"}},
			{obj{"principal": -500}, []string{"principal"}},
			{obj{"principal": int64(1_000_000_000_000_001)}, []string{"principal"}},
			{obj{"principal": "1000"}, []string{"principal"}},
			{obj{"principal": 10.5}, []string{"principal"}},
			{obj{"fees": -1}, []string{"fees"}},
			{obj{"principal": int64(900_000_000_000_000), "fees": int64(200_000_000_000_000)}, []string{"fees"}},
			{obj{"currency": "EUR"}, []string{"currency"}},
			{obj{"acknowledged_on": "2025-02-30"}, []string{"acknowledged_on"}},
			{obj{"original_due_on": nil}, []string{"original_due_on"}},
			{obj{"original_due_on": "31/03/2025"}, []string{"original_due_on"}},
			{obj{"description": strings.Repeat("é", 2001)}, []string{"description"}},
			{obj{"description": "bell\a"}, []string{"description"}},
			{obj{"status": "recovered"}, []string{"status"}},
			{obj{"ref": "F-AAAAAA"}, []string{"ref"}},
			{obj{"balance": 0}, []string{"balance"}},
			// Several at once are all named.
			{obj{"type": "boat", "principal": 0, "currency": "USD", "original_due_on": "soon"},
				[]string{"type", "principal", "currency", "original_due_on"}},
		} {
			p := wantSlug(t, c.post("/api/v1/debts", with(base, tc.change)), http.StatusUnprocessableEntity, "validation", tc.fields...)
			if len(p.Errors) != len(tc.fields) {
				t.Errorf("%v: errors %v, want %v", tc.change, p.fields(), tc.fields)
			}
		}
		wantSlug(t, c.post("/api/v1/debts", "{"), http.StatusBadRequest, "bad-request")
		wantSlug(t, c.post("/api/v1/debts", ""), http.StatusBadRequest, "bad-request")
		wantSlug(t, c.post("/api/v1/debts", "[]"), http.StatusUnprocessableEntity, "validation", "(body)")
		wantProblem(t, c.post("/api/v1/debts", mustJSON(t, base), contentType("text/plain")), http.StatusUnsupportedMediaType)
		if after := debtIDs(t, c, "/api/v1/debts", 200); !slices.Equal(after, before) {
			t.Errorf("refused requests changed the debts: %d before, %d after", len(before), len(after))
		}
	})

	t.Run("Idempotency-Key", func(t *testing.T) {
		c := c.on(t)
		body := validDebt(cr.ID, dr.ID)
		key := "import-" + uuid.NewString()
		r1 := c.post("/api/v1/debts", body, idemKey(key))
		want(t, r1, http.StatusCreated)
		var d1, d2 debt
		r1.decode(t, &d1)
		r2 := c.post("/api/v1/debts", body, idemKey(key))
		want(t, r2, http.StatusCreated)
		r2.decode(t, &d2)
		if d2.ID != d1.ID || d2.Ref != d1.Ref || r2.Header.Get("Location") != r1.Header.Get("Location") {
			t.Errorf("replay answered %+v, first %+v", d2, d1)
		}
		wantSlug(t, c.post("/api/v1/debts", with(body, obj{"principal": 1}), idemKey(key)), http.StatusUnprocessableEntity,
			"idempotency-key-reused", "Idempotency-Key")
		if h := c.history("/api/v1/debts/" + d1.ID); len(h) != 1 {
			t.Errorf("history after a replay: %v", historyTypes(h))
		}
		if ids := debtIDs(t, c, "/api/v1/debts?q="+strings.ToLower(body["external_ref"].(string)), 50); !slices.Equal(ids, []string{d1.ID}) {
			t.Errorf("debts with the replayed reference: %v, want [%s]", ids, d1.ID)
		}
		// Without a key, the same body is a duplicate reference.
		wantSlug(t, c.post("/api/v1/debts", body), http.StatusConflict, "duplicate", "external_ref")
	})

	t.Run("a creditor's account opens debts for itself", func(t *testing.T) {
		u := c.as(app.NewTenant(t, "creditor", cr.ID)).on(t)
		own := u.createDebtor(with(validDebtor(), obj{"full_name": "Rachid Ouali"}))
		body := validDebt("", own.ID)
		delete(body, "creditor_id")
		d := u.openDebt(body)
		if d.CreditorID != cr.ID || d.DebtorID != own.ID || d.Status != "open" {
			t.Errorf("creditor's own debt: %+v", d)
		}
		d = u.openDebt(with(validDebt(strings.ToUpper(cr.ID), own.ID), nil))
		if d.CreditorID != cr.ID {
			t.Errorf("creditor_id %s, want %s", d.CreditorID, cr.ID)
		}
		p := wantSlug(t, u.post("/api/v1/debts", validDebt(cr2.ID, own.ID)), http.StatusForbidden, "field-forbidden", "creditor_id")
		if len(p.Errors) != 1 {
			t.Errorf("errors %v", p.fields())
		}
		// A debtor the creditor may not see reads as missing: one staff
		// registered, or another creditor declared.
		stranger := c.createDebtor(validDebtor())
		p = wantSlug(t, u.post("/api/v1/debts", validDebt(cr.ID, stranger.ID)), http.StatusUnprocessableEntity, "validation", "debtor_id")
		if p.Errors[0].Reason != "no debtor with this id" {
			t.Errorf("reason %q", p.Errors[0].Reason)
		}
		other := c.as(app.NewTenant(t, "creditor", cr2.ID)).on(t).createDebtor(validDebtor())
		wantSlug(t, u.post("/api/v1/debts", validDebt(cr.ID, other.ID)), http.StatusUnprocessableEntity, "validation", "debtor_id")
		wantSlug(t, u.post("/api/v1/debts", validDebt(cr.ID, uuid.Must(uuid.NewV7()).String())), http.StatusUnprocessableEntity,
			"validation", "debtor_id")
		// Once ADC opens a debt of the creditor against a debtor, the
		// creditor sees that debtor, and may open more debts against it.
		c.openDebt(validDebt(cr.ID, stranger.ID))
		want(t, u.get("/api/v1/debtors/"+stranger.ID), http.StatusOK)
		if got := u.openDebt(validDebt(cr.ID, stranger.ID)); got.DebtorID != stranger.ID || got.CreditorID != cr.ID {
			t.Errorf("debt against a debtor of the creditor's debts: %+v", got)
		}
		// Working the file is ADC's.
		wantSlug(t, u.post("/api/v1/debts/"+d.ID+"/transitions", obj{"to": "amicable"}), http.StatusForbidden, "forbidden")
		wantSlug(t, u.patch("/api/v1/debts/"+d.ID, obj{"agent_id": u.user.ID}), http.StatusForbidden, "forbidden")
		wantSlug(t, u.get("/api/v1/debts/"+d.ID+"/history"), http.StatusForbidden, "forbidden")
		if got := u.getDebt(d.ID); got.Version != 1 {
			t.Errorf("the creditor's debt changed: %+v", got)
		}
	})

	t.Run("transitions", func(t *testing.T) {
		c := c.on(t)
		move := func(to string, extra obj) response {
			t.Helper()
			return c.post(path+"/transitions", with(obj{"to": to}, extra))
		}
		d := c.moveDebt(first.ID, obj{"to": "amicable"})
		if d.Status != "amicable" || d.Version != 2 {
			t.Errorf("to amicable: %+v", d)
		}
		wrong := func(to, current string, extra obj) {
			t.Helper()
			p := wantSlug(t, move(to, extra), http.StatusConflict, "wrong_status")
			if !strings.Contains(p.Detail, "is "+current) {
				t.Errorf("to %s: detail %q does not name the current status %s", to, p.Detail, current)
			}
		}
		wrong("open", "amicable", nil)
		p := wantSlug(t, move("legal", nil), http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "escalate_legal") {
			t.Errorf("to legal: %q does not point to the proposal", p.Detail)
		}
		wrong("written_off", "amicable", nil)
		wrong("recovered", "amicable", nil)
		wantSlug(t, move("amicable", nil), http.StatusUnprocessableEntity, "no-change")
		wantSlug(t, move("closed", nil), http.StatusUnprocessableEntity, "validation", "to")
		wantSlug(t, c.post(path+"/transitions", obj{}), http.StatusUnprocessableEntity, "validation", "to")
		wantSlug(t, c.post(path+"/transitions", obj{"to": "payment_plan", "why": "x"}), http.StatusUnprocessableEntity, "validation", "why")
		wantSlug(t, move("payment_plan", obj{"hold_reason": "dispute"}), http.StatusUnprocessableEntity, "validation", "hold_reason")
		wantSlug(t, c.post("/api/v1/debts/"+uuid.Must(uuid.NewV7()).String()+"/transitions", obj{"to": "amicable"}),
			http.StatusNotFound, "not-found")

		d = c.moveDebt(first.ID, obj{"to": "payment_plan", "reason": "échéancier accepté"})
		if d.Status != "payment_plan" {
			t.Errorf("to payment_plan: %+v", d)
		}
		// A hold needs its kind and a reason.
		wantSlug(t, move("on_hold", obj{"reason": "contestation"}), http.StatusUnprocessableEntity, "validation", "hold_reason")
		wantSlug(t, move("on_hold", obj{"hold_reason": "dispute"}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, move("on_hold", obj{"hold_reason": "vacation", "reason": "x"}), http.StatusUnprocessableEntity, "validation", "hold_reason")
		// With If-Match, a stale version changes nothing.
		wantSlug(t, c.post(path+"/transitions", obj{"to": "on_hold", "hold_reason": "dispute", "reason": "conteste"}, ifMatch(`"2"`)),
			http.StatusPreconditionFailed, "version-conflict", "If-Match")
		r := c.post(path+"/transitions", obj{"to": "on_hold", "hold_reason": "dispute", "reason": "le débiteur conteste le montant"},
			ifMatch(fmt.Sprintf(`"%d"`, d.Version)))
		want(t, r, http.StatusOK)
		r.decode(t, &d)
		if d.Status != "on_hold" || d.HoldReason != "dispute" || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, d.Version) {
			t.Errorf("on hold: %+v, ETag %s", d, r.Header.Get("ETag"))
		}
		// Off hold goes back where it came from, nowhere else.
		wrong("amicable", "on_hold", nil)
		wrong("open", "on_hold", nil)
		wantSlug(t, move("on_hold", obj{"hold_reason": "hardship", "reason": "x"}), http.StatusUnprocessableEntity, "no-change")
		d = c.moveDebt(first.ID, obj{"to": "payment_plan", "reason": "litige réglé"})
		if d.Status != "payment_plan" || d.HoldReason != "" {
			t.Errorf("back from hold: %+v", d)
		}
		d = c.moveDebt(first.ID, obj{"to": "amicable"})
		if d.Status != "amicable" {
			t.Errorf("back to amicable: %+v", d)
		}
	})

	t.Run("withdrawn and uncollectible are final", func(t *testing.T) {
		c := c.on(t)
		d := c.openDebt(with(validDebt(cr.ID, dr2.ID), obj{"original_due_on": day(-30)}))
		if d.DaysPastDue != 30 {
			t.Errorf("days_past_due %d, want 30", d.DaysPastDue)
		}
		p := "/api/v1/debts/" + d.ID
		wantSlug(t, c.post(p+"/transitions", obj{"to": "withdrawn"}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.post(p+"/transitions", obj{"to": "uncollectible"}), http.StatusUnprocessableEntity, "validation", "reason")
		d = c.moveDebt(d.ID, obj{"to": "withdrawn", "reason": "le créancier retire le dossier"})
		if d.Status != "withdrawn" || d.DaysPastDue != 0 || d.Balance != 12_650_000 {
			t.Errorf("withdrawn: %+v", d)
		}
		for _, to := range []string{"open", "amicable", "on_hold", "uncollectible"} {
			body := obj{"to": to, "reason": "x"}
			if to == "on_hold" {
				body["hold_reason"] = "other"
			}
			pr := wantSlug(t, c.post(p+"/transitions", body), http.StatusConflict, "wrong_status")
			if !strings.Contains(pr.Detail, "withdrawn") {
				t.Errorf("to %s: detail %q does not name withdrawn", to, pr.Detail)
			}
		}
		wantSlug(t, c.patch(p, obj{"agent_id": c.user.ID}), http.StatusConflict, "wrong_status")
		wantSlug(t, c.patch(p, obj{"current_due_on": day(10), "reason": "x"}), http.StatusConflict, "wrong_status")
		wantSlug(t, c.post(p+"/charges", obj{"kind": "fee", "amount": 100, "reason": "x"}), http.StatusConflict, "wrong_status")

		u := c.moveDebt(c.openDebt(validDebt(cr.ID, dr2.ID)).ID, obj{"to": "uncollectible", "reason": "débiteur introuvable"})
		if u.Status != "uncollectible" || u.DaysPastDue != 0 {
			t.Errorf("uncollectible: %+v", u)
		}
	})

	t.Run("assign", func(t *testing.T) {
		c := c.on(t)
		agent2 := app.NewStaff(t, "agent")
		auditor := app.NewStaff(t, "auditor")
		cu := app.NewTenant(t, "creditor", cr2.ID)
		before := c.getDebt(first.ID)
		r := c.patch(path, obj{"agent_id": agent2.ID}, ifMatch(fmt.Sprintf(`"%d"`, before.Version)))
		want(t, r, http.StatusOK)
		var d debt
		r.decode(t, &d)
		if d.AgentID != agent2.ID || d.Version != before.Version+1 || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, d.Version) {
			t.Errorf("assigned: %+v, ETag %s", d, r.Header.Get("ETag"))
		}
		wantSlug(t, c.patch(path, obj{"agent_id": agent2.ID}), http.StatusUnprocessableEntity, "no-change")
		wantSlug(t, c.patch(path, obj{"agent_id": c.user.ID}, ifMatch(fmt.Sprintf(`"%d"`, before.Version))),
			http.StatusPreconditionFailed, "version-conflict", "If-Match")
		// An admin works debts too.
		r = admin.on(t).patch(path, obj{"agent_id": admin.user.ID})
		want(t, r, http.StatusOK)
		r.decode(t, &d)
		if d.AgentID != admin.user.ID {
			t.Errorf("assigned to the admin: %+v", d)
		}
		for name, id := range map[string]string{"auditor": auditor.ID, "creditor": cu.ID, "nobody": uuid.Must(uuid.NewV7()).String(),
			"garbage": "agent-7", "empty": ""} {
			p := wantSlug(t, c.patch(path, obj{"agent_id": id}), http.StatusUnprocessableEntity, "validation", "agent_id")
			if len(p.Errors) != 1 {
				t.Errorf("%s: errors %v", name, p.fields())
			}
		}
		// A disabled agent takes no debt.
		want(t, admin.on(t).post("/api/v1/users/"+agent2.ID+"/disable", obj{"reason": "départ"}), http.StatusOK)
		p := wantSlug(t, c.patch(path, obj{"agent_id": agent2.ID}), http.StatusUnprocessableEntity, "validation", "agent_id")
		if !strings.Contains(p.Errors[0].Reason, "disabled") {
			t.Errorf("reason %q", p.Errors[0].Reason)
		}
		if got := c.getDebt(first.ID); got.AgentID != admin.user.ID {
			t.Errorf("refused assignments changed the agent: %+v", got)
		}
		r = c.patch(path, obj{"agent_id": c.user.ID})
		want(t, r, http.StatusOK)
	})

	t.Run("reschedule", func(t *testing.T) {
		c := c.on(t)
		wantSlug(t, c.patch(path, obj{"current_due_on": day(20)}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.patch(path, obj{"current_due_on": day(20), "reason": "  "}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.patch(path, obj{"current_due_on": "demain", "reason": "x"}), http.StatusUnprocessableEntity, "validation", "current_due_on")
		wantSlug(t, c.patch(path, obj{"current_due_on": "2025-03-31", "reason": "x"}), http.StatusUnprocessableEntity, "no-change")
		p := wantSlug(t, c.patch(path, obj{"current_due_on": day(20), "agent_id": c.user.ID, "reason": "x"}),
			http.StatusUnprocessableEntity, "validation")
		if len(p.Errors) == 0 {
			t.Error("a patch of both names no field")
		}
		wantSlug(t, c.patch(path, obj{}), http.StatusUnprocessableEntity, "validation", "")
		wantSlug(t, c.patch(path, obj{"reason": "rien"}), http.StatusUnprocessableEntity, "validation", "")
		wantSlug(t, c.patch(path, obj{"original_due_on": day(3)}), http.StatusUnprocessableEntity, "validation", "original_due_on")
		wantSlug(t, c.patch(path, obj{"status": "open"}), http.StatusUnprocessableEntity, "validation", "status")
		r := c.patch(path, obj{"current_due_on": day(20), "reason": "le débiteur attend un virement"})
		want(t, r, http.StatusOK)
		var d debt
		r.decode(t, &d)
		if d.CurrentDueOn != day(20) || d.OriginalDueOn != "2025-03-31" || d.DaysPastDue != 0 {
			t.Errorf("rescheduled: %+v", d)
		}
		r = c.patch(path, obj{"current_due_on": day(-3), "reason": "le virement n'est pas venu"})
		want(t, r, http.StatusOK)
		r.decode(t, &d)
		if d.CurrentDueOn != day(-3) || d.DaysPastDue != 3 {
			t.Errorf("rescheduled to 3 days ago: %+v", d)
		}
	})

	t.Run("charges", func(t *testing.T) {
		c := c.on(t)
		before := c.getDebt(first.ID)
		r := c.post(path+"/charges", obj{"kind": "fee", "amount": 250_000, "reason": "frais de relance", "on": day(-1)})
		want(t, r, http.StatusCreated)
		var d debt
		r.decode(t, &d)
		if d.Charges != before.Charges+250_000 || d.Balance != before.Balance+250_000 || d.Principal != before.Principal ||
			d.Version != before.Version+1 {
			t.Errorf("after a fee: %+v\nbefore %+v", d, before)
		}
		r = c.post(path+"/charges", obj{"kind": "legal_cost", "amount": 1_000_000, "reason": "frais d'huissier"})
		want(t, r, http.StatusCreated)
		r.decode(t, &d)
		if d.Charges != before.Charges+1_250_000 || d.Balance != before.Balance+1_250_000 {
			t.Errorf("after a legal cost: %+v", d)
		}
		for _, tc := range []struct {
			body  obj
			field string
		}{
			{obj{"kind": "penalty", "amount": 100, "reason": "x"}, "kind"},
			{obj{"amount": 100, "reason": "x"}, "kind"},
			{obj{"kind": "fee", "amount": 0, "reason": "x"}, "amount"},
			{obj{"kind": "fee", "amount": -100, "reason": "x"}, "amount"},
			{obj{"kind": "fee", "amount": 100}, "reason"},
			{obj{"kind": "fee", "amount": 100, "reason": "x", "on": "hier"}, "on"},
			{obj{"kind": "fee", "amount": "100", "reason": "x"}, "amount"},
			{obj{"kind": "fee", "amount": 100, "reason": "x", "charge_id": uuid.NewString()}, "charge_id"},
		} {
			wantSlug(t, c.post(path+"/charges", tc.body), http.StatusUnprocessableEntity, "validation", tc.field)
		}
		if got := c.getDebt(first.ID); got.Charges != d.Charges || got.Version != d.Version {
			t.Errorf("refused charges changed the debt: %+v", got)
		}
	})

	t.Run("history", func(t *testing.T) {
		c := c.on(t)
		h := c.history(path)
		wantTypes := []string{"debt.opened",
			"debt.status_changed", "debt.status_changed", "debt.status_changed", "debt.status_changed", "debt.status_changed",
			"debt.assigned", "debt.assigned", "debt.assigned",
			"debt.rescheduled", "debt.rescheduled",
			"debt.charge_added", "debt.charge_added"}
		if got := historyTypes(h); !slices.Equal(got, wantTypes) {
			t.Fatalf("history\n got %v\nwant %v", got, wantTypes)
		}
		for i, e := range h {
			if e.Version != int64(i+1) {
				t.Errorf("event %d has version %d", i, e.Version)
			}
			if i > 0 && e.OccurredAt.Before(h[i-1].OccurredAt) {
				t.Errorf("event %d occurred before event %d", i, i-1)
			}
		}
		if h[0].Actor["user_id"] != c.user.ID || h[0].Actor["role"] != "agent" {
			t.Errorf("opened by %v", h[0].Actor)
		}
		if got := string(h[3].Data); !strings.Contains(got, `"to":"on_hold"`) || !strings.Contains(got, `"hold_reason":"dispute"`) {
			t.Errorf("the hold event: %s", got)
		}
		if got := string(h[7].Data); !strings.Contains(got, admin.user.ID) {
			t.Errorf("the assignment to the admin: %s", got)
		}
		// The auditor reads it too; the history of a missing debt is 404.
		auditor := c.as(app.NewStaff(t, "auditor"))
		if got := historyTypes(auditor.history(path)); !slices.Equal(got, wantTypes) {
			t.Errorf("auditor's history: %v", got)
		}
		wantSlug(t, c.get("/api/v1/debts/"+uuid.Must(uuid.NewV7()).String()+"/history"), http.StatusNotFound, "not-found")
	})
}

// TestDebtList builds a small portfolio of case files in varied states and
// checks every filter of the list against the set it must select, the
// three orders, cursor paging and the CSV export.
func TestDebtList(t *testing.T) {
	t.Parallel()
	now, day := algiersClock()
	app, c := start(t, apptest.Options{Now: now})
	agent2 := app.NewStaff(t, "agent")
	crA := c.createCreditor(with(validCreditor(), obj{"name": "Alpha Distribution"}))
	crB := c.createCreditor(with(validCreditor(), obj{"name": "Beta Immobilier"}))
	alger := c.createDebtor(with(validDebtor(), obj{"full_name": "Amine Khelifi", "wilaya": 16}))
	oran := c.createDebtor(with(validDebtor(), obj{"full_name": "Yasmine Benali", "wilaya": 31, "email": "y.benali@example.dz"}))
	wilayaOf := map[string]int{alger.ID: 16, oran.ID: 31}

	// The portfolio, in the order it is opened. due is days from today in
	// Algiers; the balances are all different, so sort=balance has no ties.
	type spec struct {
		name      string
		cr, dr    string
		typ, ext  string
		principal int64
		fees      int64
		due       int
	}
	specs := []spec{
		{"d1", crA.ID, alger.ID, "commercial", "ALPHA1001", 100_000, 0, -40},
		{"d2", crA.ID, oran.ID, "loan", "ALPHA1002", 250_000, 0, -10},
		{"d3", crB.ID, alger.ID, "rent", "=SUM(A1:A9)", 50_000, 0, 5},
		{"d4", crB.ID, oran.ID, "cheque", "BETA2004", 300_000, 5_000, -100},
		{"d5", crA.ID, alger.ID, "utility", "ALPHA1005", 80_000, 0, -1},
		{"d6", crA.ID, oran.ID, "personal", "ALPHA1006", 120_000, 0, 0},
		{"d7", crB.ID, alger.ID, "commercial", "BETA2007", 60_000, 0, -30},
		{"d8", crA.ID, oran.ID, "other", "ALPHA1008", 70_000, 0, -365},
	}
	ids := map[string]string{}
	var created []string // ids, oldest first
	for _, s := range specs {
		d := c.openDebt(obj{"creditor_id": s.cr, "debtor_id": s.dr, "external_ref": s.ext, "type": s.typ,
			"principal": s.principal, "fees": s.fees, "original_due_on": day(s.due)})
		ids[s.name] = d.ID
		created = append(created, d.ID)
	}
	// Work them into varied states.
	want(t, c.patch("/api/v1/debts/"+ids["d1"], obj{"agent_id": c.user.ID}), http.StatusOK)
	c.moveDebt(ids["d2"], obj{"to": "amicable"})
	c.moveDebt(ids["d4"], obj{"to": "on_hold", "hold_reason": "hardship", "reason": "chômage"})
	want(t, c.post("/api/v1/debts/"+ids["d5"]+"/payments", obj{"amount": 80_000, "value_date": day(0), "method": "cash"}), http.StatusCreated)
	want(t, c.patch("/api/v1/debts/"+ids["d6"], obj{"agent_id": agent2.ID}), http.StatusOK)
	want(t, c.post("/api/v1/debts/"+ids["d7"]+"/payments", obj{"amount": 20_000, "value_date": day(-2), "method": "ccp",
		"reference": "CCP-778899"}), http.StatusCreated)
	c.moveDebt(ids["d8"], obj{"to": "withdrawn", "reason": "retiré par le créancier"})

	type row struct {
		debt
		wilaya int
		dpd    int
	}
	model := map[string]row{}
	wantState := map[string]struct {
		status  string
		balance int64
	}{
		"d1": {"open", 100_000}, "d2": {"amicable", 250_000}, "d3": {"open", 50_000}, "d4": {"on_hold", 305_000},
		"d5": {"recovered", 0}, "d6": {"open", 120_000}, "d7": {"open", 40_000}, "d8": {"withdrawn", 70_000},
	}
	for i, s := range specs {
		d := c.getDebt(ids[s.name])
		if w := wantState[s.name]; d.Status != w.status || d.Balance != w.balance {
			t.Fatalf("%s: status %s balance %d, want %s %d", s.name, d.Status, d.Balance, w.status, w.balance)
		}
		dpd := 0
		if d.Status != "recovered" && d.Status != "withdrawn" {
			dpd = max(0, -s.due)
		}
		// Counted from today in Algiers, where it is already tomorrow.
		if d.DaysPastDue != dpd {
			t.Errorf("%s (due %s, %s): days_past_due %d, want %d", s.name, d.CurrentDueOn, d.Status, d.DaysPastDue, dpd)
		}
		model[d.ID] = row{debt: d, wilaya: wilayaOf[d.DebtorID], dpd: dpd}
		_ = i
	}
	isOpen := func(r row) bool { return r.Status != "recovered" && r.Status != "withdrawn" }
	newest := func(keep func(r row) bool) []string {
		var out []string
		for i := len(created) - 1; i >= 0; i-- {
			if keep(model[created[i]]) {
				out = append(out, created[i])
			}
		}
		return out
	}

	t.Run("filters", func(t *testing.T) {
		c := c.on(t)
		for _, tc := range []struct {
			query string
			keep  func(r row) bool
		}{
			{"status=open", func(r row) bool { return r.Status == "open" }},
			{"status=recovered", func(r row) bool { return r.Status == "recovered" }},
			{"status=on_hold", func(r row) bool { return r.Status == "on_hold" }},
			{"creditor_id=" + crA.ID, func(r row) bool { return r.CreditorID == crA.ID }},
			{"creditor_id=" + strings.ToUpper(crB.ID), func(r row) bool { return r.CreditorID == crB.ID }},
			{"debtor_id=" + oran.ID, func(r row) bool { return r.DebtorID == oran.ID }},
			{"agent_id=me", func(r row) bool { return r.AgentID == c.user.ID }},
			{"agent_id=" + agent2.ID, func(r row) bool { return r.AgentID == agent2.ID }},
			{"wilaya=16", func(r row) bool { return r.wilaya == 16 }},
			{"wilaya=31", func(r row) bool { return r.wilaya == 31 }},
			{"type=commercial", func(r row) bool { return r.Type == "commercial" }},
			{"type=cheque", func(r row) bool { return r.Type == "cheque" }},
			{"min_days_past_due=30", func(r row) bool { return isOpen(r) && r.dpd >= 30 }},
			{"min_days_past_due=10", func(r row) bool { return isOpen(r) && r.dpd >= 10 }},
			{"min_days_past_due=1", func(r row) bool { return isOpen(r) && r.dpd >= 1 }},
			{"min_days_past_due=0", isOpen},
			{"max_days_past_due=0", func(r row) bool { return isOpen(r) && r.dpd == 0 }},
			{"max_days_past_due=10", func(r row) bool { return isOpen(r) && r.dpd <= 10 }},
			{"min_days_past_due=5&max_days_past_due=60", func(r row) bool { return isOpen(r) && r.dpd >= 5 && r.dpd <= 60 }},
			{"min_balance=100000", func(r row) bool { return r.Balance >= 100_000 }},
			{"max_balance=60000", func(r row) bool { return r.Balance <= 60_000 }},
			{"min_balance=50000&max_balance=120000", func(r row) bool { return r.Balance >= 50_000 && r.Balance <= 120_000 }},
			{"max_balance=0", func(r row) bool { return r.Balance == 0 }},
			{"due_from=" + day(-40) + "&due_to=" + day(0), func(r row) bool { return r.CurrentDueOn >= day(-40) && r.CurrentDueOn <= day(0) }},
			{"due_to=" + day(-100), func(r row) bool { return r.CurrentDueOn <= day(-100) }},
			{"due_from=" + day(1), func(r row) bool { return r.CurrentDueOn >= day(1) }},
			{"q=khelifi", func(r row) bool { return r.DebtorID == alger.ID }},
			{"q=" + url.QueryEscape("  BENALI "), func(r row) bool { return r.DebtorID == oran.ID }},
			{"q=alpha1005", func(r row) bool { return r.ExternalRef == "ALPHA1005" }},
			{"q=" + url.QueryEscape(" "), func(row) bool { return true }},
			{"creditor_id=" + crA.ID + "&status=open&wilaya=31", func(r row) bool {
				return r.CreditorID == crA.ID && r.Status == "open" && r.wilaya == 31
			}},
			{"type=commercial&min_days_past_due=1&debtor_id=" + alger.ID, func(r row) bool {
				return r.Type == "commercial" && isOpen(r) && r.dpd >= 1 && r.DebtorID == alger.ID
			}},
			{"status=recovered&min_days_past_due=0", func(row) bool { return false }},
		} {
			t.Run(tc.query, func(t *testing.T) {
				expected := newest(tc.keep)
				got := debtIDs(t, c.on(t), "/api/v1/debts?"+tc.query, 200)
				if !slices.Equal(got, expected) {
					t.Errorf("got %v\nwant %v", names(got, ids), names(expected, ids))
				}
			})
		}
	})

	t.Run("orders and paging", func(t *testing.T) {
		c := c.on(t)
		all := newest(func(row) bool { return true })
		byDue := slices.Clone(all)
		slices.SortFunc(byDue, func(a, b string) int {
			if x := strings.Compare(model[a].CurrentDueOn, model[b].CurrentDueOn); x != 0 {
				return x
			}
			return strings.Compare(a, b)
		})
		byBalance := slices.Clone(all)
		slices.SortFunc(byBalance, func(a, b string) int {
			if x := model[b].Balance - model[a].Balance; x != 0 {
				return int(x / max(x, -x))
			}
			return strings.Compare(b, a)
		})
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", all},
			{"sort=newest", all},
			{"sort=due", byDue},
			{"sort=balance", byBalance},
		} {
			for _, limit := range []int{200, 3, 1} {
				path := "/api/v1/debts?" + tc.query
				if got := debtIDs(t, c, path, limit); !slices.Equal(got, tc.want) {
					t.Errorf("%s by %d: %v\nwant %v", tc.query, limit, names(got, ids), names(tc.want, ids))
				}
			}
		}
		// Paging keeps the filter.
		var openByDue []string
		for _, id := range byDue {
			if isOpen(model[id]) {
				openByDue = append(openByDue, id)
			}
		}
		if got := debtIDs(t, c, "/api/v1/debts?min_days_past_due=0&sort=due", 2); !slices.Equal(got, openByDue) {
			t.Errorf("open debts by due date, 2 a page: %v\nwant %v", names(got, ids), names(openByDue, ids))
		}
		// A page holds the limit and says whether more follow: a page
		// that holds exactly the rest has no cursor.
		var p page[debt]
		r := c.get("/api/v1/debts?sort=balance&limit=8")
		want(t, r, http.StatusOK)
		r.decode(t, &p)
		if len(p.Items) != 8 || p.NextCursor != "" {
			t.Errorf("the 8 debts in a page of 8: %d items, cursor %q", len(p.Items), p.NextCursor)
		}
		r = c.get("/api/v1/debts?sort=balance&limit=7")
		want(t, r, http.StatusOK)
		p = page[debt]{}
		r.decode(t, &p)
		if len(p.Items) != 7 || p.NextCursor == "" {
			t.Fatalf("a page of 7: %d items, cursor %q", len(p.Items), p.NextCursor)
		}
		r = c.get("/api/v1/debts?sort=balance&limit=7&cursor=" + p.NextCursor)
		want(t, r, http.StatusOK)
		p = page[debt]{}
		r.decode(t, &p)
		if len(p.Items) != 1 || p.Items[0].ID != byBalance[7] || p.NextCursor != "" {
			t.Errorf("the last page: %s", r.Body)
		}
		// A cursor belongs to its order.
		cursors := map[string]string{}
		for _, sort := range []string{"newest", "due", "balance"} {
			r := c.get("/api/v1/debts?limit=2&sort=" + sort)
			want(t, r, http.StatusOK)
			p = page[debt]{}
			r.decode(t, &p)
			cursors[sort] = p.NextCursor
		}
		for _, tc := range [][2]string{{"newest", "due"}, {"due", "balance"}, {"balance", "newest"}, {"due", "newest"}} {
			wantSlug(t, c.get("/api/v1/debts?sort="+tc[1]+"&cursor="+cursors[tc[0]]), http.StatusUnprocessableEntity, "validation", "cursor")
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		c := c.on(t)
		for _, tc := range []struct{ query, field string }{
			{"status=closed", "status"},
			{"status=OPEN", "status"},
			{"status=open&status=legal", "status"},
			{"type=boat", "type"},
			{"wilaya=99", "wilaya"},
			{"wilaya=oran", "wilaya"},
			{"min_days_past_due=-1", "min_days_past_due"},
			{"min_days_past_due=ten", "min_days_past_due"},
			{"max_days_past_due=36501", "max_days_past_due"},
			{"min_balance=-5", "min_balance"},
			{"min_balance=1.5", "min_balance"},
			{"max_balance=beaucoup", "max_balance"},
			{"due_from=2025-13-01", "due_from"},
			{"due_to=demain", "due_to"},
			{"creditor_id=acme", "creditor_id"},
			{"debtor_id=42", "debtor_id"},
			{"agent_id=you", "agent_id"},
			{"q=" + strings.Repeat("a", 101), "q"},
			{"sort=name", "sort"},
			{"format=xml", "format"},
			{"limit=0", "limit"},
			{"limit=201", "limit"},
			{"limit=many", "limit"},
			{"cursor=!!!", "cursor"},
			{"cursor=" + base64URL("2025-01-01|not-an-id"), "cursor"},
			{"page=2", "page"},
			{"creditor=" + crA.ID, "creditor"},
		} {
			wantSlug(t, c.get("/api/v1/debts?"+tc.query), http.StatusUnprocessableEntity, "validation", tc.field)
		}
		p := wantSlug(t, c.get("/api/v1/debts?type=boat&sort=name&limit=0"), http.StatusUnprocessableEntity, "validation",
			"type", "sort", "limit")
		if len(p.Errors) != 3 {
			t.Errorf("errors %v", p.fields())
		}
	})

	t.Run("a creditor's and a debtor's lists", func(t *testing.T) {
		c := c.on(t)
		ofA := newest(func(r row) bool { return r.CreditorID == crA.ID })
		if got := debtIDs(t, c, "/api/v1/creditors/"+crA.ID+"/debts", 3); !slices.Equal(got, ofA) {
			t.Errorf("creditor A's debts: %v\nwant %v", names(got, ids), names(ofA, ids))
		}
		// The path names the creditor; a creditor_id parameter cannot widen it.
		if got := debtIDs(t, c, "/api/v1/creditors/"+crA.ID+"/debts?creditor_id="+crB.ID, 50); !slices.Equal(got, ofA) {
			t.Errorf("creditor A's debts asking for B's: %v", names(got, ids))
		}
		openOfOran := newest(func(r row) bool { return r.DebtorID == oran.ID && isOpen(r) })
		if got := debtIDs(t, c, "/api/v1/debtors/"+oran.ID+"/debts?min_days_past_due=0", 50); !slices.Equal(got, openOfOran) {
			t.Errorf("Oran's open debts: %v\nwant %v", names(got, ids), names(openOfOran, ids))
		}
		byBalance := debtIDs(t, c, "/api/v1/debtors/"+alger.ID+"/debts?sort=balance", 1)
		if len(byBalance) != 4 || model[byBalance[0]].Balance < model[byBalance[3]].Balance {
			t.Errorf("Alger's debts by balance: %v", names(byBalance, ids))
		}
		missing := uuid.Must(uuid.NewV7()).String()
		wantSlug(t, c.get("/api/v1/creditors/"+missing+"/debts"), http.StatusNotFound, "not-found")
		wantSlug(t, c.get("/api/v1/debtors/"+missing+"/debts"), http.StatusNotFound, "not-found")
		wantSlug(t, c.get("/api/v1/creditors/"+crA.ID+"/debts?sort=oldest"), http.StatusUnprocessableEntity, "validation", "sort")
	})

	t.Run("CSV export", func(t *testing.T) {
		c := c.on(t)
		for _, query := range []string{
			"sort=due", "creditor_id=" + crB.ID, "min_days_past_due=0&sort=balance", "status=written_off",
		} {
			var jsonPage page[debt]
			r := c.get("/api/v1/debts?limit=200&" + query)
			want(t, r, http.StatusOK)
			r.decode(t, &jsonPage)
			r = c.get("/api/v1/debts?format=csv&limit=1&" + query)
			want(t, r, http.StatusOK)
			if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", query, ct)
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
				t.Errorf("%s: Content-Disposition %q", query, cd)
			}
			body, ok := strings.CutPrefix(string(r.Body), "\uFEFF")
			if !ok {
				t.Fatalf("%s: no byte-order mark: %q", query, r.Body[:min(20, len(r.Body))])
			}
			records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			header := []string{"ref", "external_ref", "creditor_id", "debtor_id", "type", "status", "principal", "charges",
				"discount", "written_off", "paid", "credit", "balance", "currency", "original_due_on", "current_due_on",
				"days_past_due", "agent_id", "last_payment_on", "created_at"}
			if !slices.Equal(records[0], header) {
				t.Fatalf("%s: header %v", query, records[0])
			}
			rows := records[1:]
			if len(rows) != len(jsonPage.Items) {
				t.Fatalf("%s: %d CSV rows, %d JSON items", query, len(rows), len(jsonPage.Items))
			}
			for i, d := range jsonPage.Items {
				ext := d.ExternalRef
				if strings.HasPrefix(ext, "=") {
					ext = "'" + ext // a spreadsheet would evaluate it
				}
				wantRow := []string{d.Ref, ext, d.CreditorID, d.DebtorID, d.Type, d.Status, dinars(d.Principal), dinars(d.Charges),
					dinars(d.Discount), dinars(d.WrittenOff), dinars(d.Paid), dinars(d.Credit), dinars(d.Balance), d.Currency,
					d.OriginalDueOn, d.CurrentDueOn, fmt.Sprint(d.DaysPastDue), d.AgentID, d.LastPaymentOn,
					d.CreatedAt.UTC().Format(time.RFC3339)}
				if !slices.Equal(rows[i], wantRow) {
					t.Errorf("%s: row %d\n got %q\nwant %q", query, i, rows[i], wantRow)
				}
			}
		}
		// The creditor's list exports the same way.
		r := c.get("/api/v1/creditors/" + crA.ID + "/debts?format=csv")
		want(t, r, http.StatusOK)
		records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.Body), "\uFEFF"))).ReadAll()
		if err != nil || len(records) != 1+len(newest(func(r row) bool { return r.CreditorID == crA.ID })) {
			t.Errorf("creditor A's export: %d records, %v", len(records), err)
		}
		wantSlug(t, c.get("/api/v1/debts?format=CSV"), http.StatusUnprocessableEntity, "validation", "format")
		// A bad cursor is a problem, not a CSV file with an error in it.
		var p page[debt]
		r = c.get("/api/v1/debts?limit=2&sort=newest")
		want(t, r, http.StatusOK)
		r.decode(t, &p)
		wantSlug(t, c.get("/api/v1/debts?format=csv&sort=due&cursor="+p.NextCursor), http.StatusUnprocessableEntity, "validation", "cursor")
		// From a cursor, the export holds the rest of the list.
		r = c.get("/api/v1/debts?format=csv&sort=newest&cursor=" + p.NextCursor)
		want(t, r, http.StatusOK)
		records, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.Body), "\uFEFF"))).ReadAll()
		if err != nil || len(records) != 1+len(specs)-2 {
			t.Errorf("export from the second page: %d records, %v", len(records), err)
		}
	})
}

// names turns debt ids into the portfolio's names, for readable failures.
func names(list []string, ids map[string]string) []string {
	out := make([]string, len(list))
	for i, id := range list {
		out[i] = id
		for name, x := range ids {
			if x == id {
				out[i] = name
			}
		}
	}
	return out
}

// dinars writes centimes as the CSV export does: dinars, two decimals.
func dinars(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
