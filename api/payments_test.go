package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// payment is a payment as the API shows it.
type payment struct {
	ID         string    `json:"id"`
	DebtID     string    `json:"debt_id"`
	Amount     int64     `json:"amount"`
	ValueDate  string    `json:"value_date"`
	RecordedAt time.Time `json:"recorded_at"`
	Method     string    `json:"method"`
	Reference  string    `json:"reference"`
	Note       string    `json:"note"`
	Allocation struct {
		Fees      int64 `json:"fees"`
		Principal int64 `json:"principal"`
		Credit    int64 `json:"credit"`
	} `json:"allocation"`
	RecordedBy     string     `json:"recorded_by"`
	Reversed       bool       `json:"reversed"`
	ReversedAt     *time.Time `json:"reversed_at"`
	ReversalReason string     `json:"reversal_reason"`
}

// pay records a payment on a debt and returns it.
func (c *client) pay(debtID string, body obj, hdrs ...header) payment {
	c.t.Helper()
	r := c.post("/api/v1/debts/"+debtID+"/payments", body, hdrs...)
	want(c.t, r, http.StatusCreated)
	var p payment
	r.decode(c.t, &p)
	if got := r.Header.Get("Location"); got != "/api/v1/payments/"+p.ID {
		c.t.Errorf("Location %q, payment %s", got, p.ID)
	}
	return p
}

// reverse reverses a payment and returns it.
func (c *client) reverse(id, reason string) payment {
	c.t.Helper()
	r := c.post("/api/v1/payments/"+id+"/reversal", obj{"reason": reason})
	want(c.t, r, http.StatusOK)
	var p payment
	r.decode(c.t, &p)
	return p
}

// payments lists a debt's payments.
func (c *client) payments(debtID string) []payment {
	c.t.Helper()
	r := c.get("/api/v1/debts/" + debtID + "/payments")
	want(c.t, r, http.StatusOK)
	var p page[payment]
	r.decode(c.t, &p)
	if p.NextCursor != "" {
		c.t.Errorf("a payment list with a cursor: %s", r.Body)
	}
	return p.Items
}

func TestPayments(t *testing.T) {
	t.Parallel()
	now, day := algiersClock()
	app, c := start(t, apptest.Options{Now: now})
	admin := c.as(app.NewStaff(t, "admin"))
	cr := c.createCreditor(validCreditor())
	dr := c.createDebtor(validDebtor())
	newDebt := func(principal, fees int64) debt {
		return c.openDebt(with(validDebt(cr.ID, dr.ID), obj{"principal": principal, "fees": fees, "original_due_on": day(-20)}))
	}

	// 100 000 of principal, 5 000 of fees and a 1 000 charge: 6 000 of
	// fees outstanding, paid first.
	d := newDebt(100_000, 5_000)
	want(t, c.post("/api/v1/debts/"+d.ID+"/charges", obj{"kind": "fee", "amount": 1_000, "reason": "frais de dossier"}), http.StatusCreated)
	var cash, cheque payment

	t.Run("record: fees first, then principal", func(t *testing.T) {
		c := c.on(t)
		// Today in Algiers, already tomorrow in UTC: not in the future.
		cash = c.pay(d.ID, obj{"amount": 10_000, "value_date": day(0), "method": "Cash", "note": "versé au guichet\nreçu n° 12"})
		if cash.DebtID != d.ID || cash.Amount != 10_000 || cash.ValueDate != day(0) || cash.Method != "cash" ||
			cash.Reference != "" || cash.Note != "versé au guichet\nreçu n° 12" || cash.RecordedBy != c.user.ID ||
			cash.Reversed || cash.ReversedAt != nil || cash.RecordedAt.IsZero() || !uuidPattern.MatchString(cash.ID) {
			t.Errorf("payment: %+v", cash)
		}
		if a := cash.Allocation; a.Fees != 6_000 || a.Principal != 4_000 || a.Credit != 0 {
			t.Errorf("allocation %+v, want fees 6000 principal 4000", a)
		}
		got := c.getDebt(d.ID)
		if got.Paid != 10_000 || got.Balance != 96_000 || got.Status != "open" || got.LastPaymentOn != day(0) || got.Credit != 0 {
			t.Errorf("debt after the payment: %+v", got)
		}
		r := c.get("/api/v1/payments/" + cash.ID)
		want(t, r, http.StatusOK)
		var read payment
		r.decode(t, &read)
		if read != cash {
			t.Errorf("GET\n got %+v\nwant %+v", read, cash)
		}
		// The fees are paid: the next payment is all principal.
		cheque = c.pay(d.ID, obj{"amount": 20_000, "value_date": day(-3), "method": "cheque", "reference": " CHQ  0012345 "})
		if a := cheque.Allocation; a.Fees != 0 || a.Principal != 20_000 || cheque.Reference != "CHQ 0012345" {
			t.Errorf("cheque: %+v", cheque)
		}
		if got := c.getDebt(d.ID); got.Balance != 76_000 || got.LastPaymentOn != day(0) {
			t.Errorf("after the cheque: %+v", got)
		}
	})

	t.Run("one method and reference, one payment", func(t *testing.T) {
		c := c.on(t)
		for _, ref := range []string{"CHQ 0012345", "chq0012345", "Chq 001 2345"} {
			p := wantSlug(t, c.post("/api/v1/debts/"+d.ID+"/payments", obj{"amount": 1_000, "value_date": day(0), "method": "cheque",
				"reference": ref}), http.StatusConflict, "already-exists")
			if !strings.Contains(p.Detail, cheque.ID) {
				t.Errorf("%q: detail %q does not name payment %s", ref, p.Detail, cheque.ID)
			}
		}
		// The same reference by another method is another payment; a
		// backdated one takes its place by value date.
		transfer := c.pay(d.ID, obj{"amount": 6_000, "value_date": day(-10), "method": "bank_transfer", "reference": "CHQ 0012345"})
		list := c.payments(d.ID)
		if got := []string{list[0].ID, list[1].ID, list[2].ID}; len(list) != 3 || !slices.Equal(got, []string{transfer.ID, cheque.ID, cash.ID}) {
			t.Errorf("payments by value date: %+v", list)
		}
		if got := c.getDebt(d.ID); got.Balance != 70_000 || got.Paid != 36_000 || got.LastPaymentOn != day(0) {
			t.Errorf("after a backdated payment: %+v", got)
		}
	})

	t.Run("every invalid field is named", func(t *testing.T) {
		c := c.on(t)
		path := "/api/v1/debts/" + d.ID + "/payments"
		base := obj{"amount": 1_000, "value_date": day(0), "method": "ccp", "reference": "CCP-1"}
		for _, tc := range []struct {
			change obj
			fields []string
		}{
			{obj{"amount": 0}, []string{"amount"}},
			{obj{"amount": -1_000}, []string{"amount"}},
			{obj{"amount": nil}, []string{"amount"}},
			{obj{"amount": "1000"}, []string{"amount"}},
			{obj{"amount": 10.5}, []string{"amount"}},
			{obj{"value_date": nil}, []string{"value_date"}},
			{obj{"value_date": "2025-02-30"}, []string{"value_date"}},
			{obj{"value_date": day(1)}, []string{"value_date"}},
			{obj{"value_date": day(365)}, []string{"value_date"}},
			{obj{"method": "bitcoin"}, []string{"method"}},
			{obj{"method": nil}, []string{"method"}},
			{obj{"reference": nil}, []string{"reference"}},
			{obj{"method": "cheque", "reference": "  "}, []string{"reference"}},
			{obj{"method": "baridimob", "reference": nil}, []string{"reference"}},
			{obj{"reference": strings.Repeat("9", 65)}, []string{"reference"}},
			{obj{"note": strings.Repeat("n", 501)}, []string{"note"}},
			{obj{"overpayment": "yes"}, []string{"overpayment"}},
			{obj{"allocation": obj{"fees": 1000}}, []string{"allocation"}},
			{obj{"payment_id": uuid.NewString()}, []string{"payment_id"}},
			{obj{"amount": 0, "value_date": day(2), "method": "wire"}, []string{"amount", "value_date", "method"}},
		} {
			p := wantSlug(t, c.post(path, with(base, tc.change)), http.StatusUnprocessableEntity, "validation", tc.fields...)
			if len(p.Errors) != len(tc.fields) {
				t.Errorf("%v: errors %v, want %v", tc.change, p.fields(), tc.fields)
			}
		}
		p := wantSlug(t, c.post(path, with(base, obj{"value_date": day(1)})), http.StatusUnprocessableEntity, "validation", "value_date")
		if !strings.Contains(p.Errors[0].Reason, "future") || !strings.Contains(p.Errors[0].Reason, day(0)) {
			t.Errorf("future value date: %q", p.Errors[0].Reason)
		}
		// More than the balance, without overpayment.
		p = wantSlug(t, c.post(path, with(base, obj{"amount": 70_001})), http.StatusUnprocessableEntity, "validation", "amount")
		if !strings.Contains(p.Errors[0].Reason, "overpayment") {
			t.Errorf("over the balance: %q", p.Errors[0].Reason)
		}
		// Cash and other need no reference.
		c.pay(d.ID, obj{"amount": 500, "value_date": day(-1), "method": "other"})
		wantSlug(t, c.post("/api/v1/debts/"+uuid.Must(uuid.NewV7()).String()+"/payments", base), http.StatusNotFound, "not-found")
		wantSlug(t, c.post(path, "{"), http.StatusBadRequest, "bad-request")
		if got := c.getDebt(d.ID); got.Balance != 69_500 || len(c.payments(d.ID)) != 4 {
			t.Errorf("refused payments changed the debt: %+v", got)
		}
	})

	t.Run("reversal", func(t *testing.T) {
		c := c.on(t)
		before := c.getDebt(d.ID)
		wantSlug(t, c.post("/api/v1/payments/"+cheque.ID+"/reversal", obj{}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, c.post("/api/v1/payments/"+cheque.ID+"/reversal", obj{"reason": "x", "amount": 1}), http.StatusUnprocessableEntity,
			"validation", "amount")
		rev := c.reverse(cheque.ID, "chèque impayé (sans provision)")
		if !rev.Reversed || rev.ReversedAt == nil || rev.ReversalReason != "chèque impayé (sans provision)" || rev.ID != cheque.ID ||
			rev.Amount != cheque.Amount || rev.ValueDate != cheque.ValueDate || rev.Allocation != cheque.Allocation {
			t.Errorf("reversed: %+v", rev)
		}
		after := c.getDebt(d.ID)
		if after.Balance != before.Balance+20_000 || after.Paid != before.Paid-20_000 || after.Status != "open" {
			t.Errorf("after the reversal: %+v\nbefore %+v", after, before)
		}
		// The payment stays, marked; it is reversed once.
		list := c.payments(d.ID)
		i := slices.IndexFunc(list, func(p payment) bool { return p.ID == cheque.ID })
		if i < 0 || !list[i].Reversed || len(list) != 4 {
			t.Errorf("payments after the reversal: %+v", list)
		}
		p := wantSlug(t, c.post("/api/v1/payments/"+cheque.ID+"/reversal", obj{"reason": "encore"}), http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "already reversed") {
			t.Errorf("detail %q", p.Detail)
		}
		// The cheque presented again is a new payment with the same reference.
		again := c.pay(d.ID, obj{"amount": 20_000, "value_date": day(0), "method": "cheque", "reference": "CHQ 0012345"})
		if again.ID == cheque.ID {
			t.Error("the cheque presented again has the first one's id")
		}
		wantSlug(t, c.post("/api/v1/payments/"+uuid.Must(uuid.NewV7()).String()+"/reversal", obj{"reason": "x"}), http.StatusNotFound, "not-found")
	})

	t.Run("a payment that clears the balance recovers the debt; its reversal reopens it", func(t *testing.T) {
		c := c.on(t)
		o := newDebt(50_000, 0)
		c.moveDebt(o.ID, obj{"to": "amicable"})
		wantSlug(t, c.post("/api/v1/debts/"+o.ID+"/payments", obj{"amount": 60_000, "value_date": day(0), "method": "cash"}),
			http.StatusUnprocessableEntity, "validation", "amount")
		over := c.pay(o.ID, obj{"amount": 60_000, "value_date": day(0), "method": "cash", "overpayment": true})
		if a := over.Allocation; a.Fees != 0 || a.Principal != 50_000 || a.Credit != 10_000 {
			t.Errorf("overpayment allocation %+v", a)
		}
		got := c.getDebt(o.ID)
		if got.Status != "recovered" || got.Balance != 0 || got.Credit != 10_000 || got.Paid != 60_000 || got.DaysPastDue != 0 {
			t.Errorf("recovered with credit: %+v", got)
		}
		p := wantSlug(t, c.post("/api/v1/debts/"+o.ID+"/payments", obj{"amount": 100, "value_date": day(0), "method": "cash"}),
			http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "recovered") {
			t.Errorf("detail %q", p.Detail)
		}
		c.reverse(over.ID, "erreur de saisie")
		got = c.getDebt(o.ID)
		if got.Status != "amicable" || got.Balance != 50_000 || got.Credit != 0 || got.Paid != 0 || got.DaysPastDue != 20 {
			t.Errorf("reopened: %+v", got)
		}
		wantSlug(t, c.post("/api/v1/payments/"+over.ID+"/reversal", obj{"reason": "encore"}), http.StatusConflict, "wrong_status")
		if got, wantTypes := historyTypes(c.history("/api/v1/debts/"+o.ID)), []string{"debt.opened", "debt.status_changed",
			"debt.payment_recorded", "debt.status_changed", "debt.payment_reversed", "debt.status_changed"}; !slices.Equal(got, wantTypes) {
			t.Errorf("history %v, want %v", got, wantTypes)
		}

		// The exact balance recovers it too, with no credit; reopened, it
		// goes back to open.
		e := newDebt(30_000, 2_000)
		exact := c.pay(e.ID, obj{"amount": 32_000, "value_date": day(-1), "method": "edahabia", "reference": "TX-99812"})
		if a := exact.Allocation; a.Fees != 2_000 || a.Principal != 30_000 || a.Credit != 0 {
			t.Errorf("exact allocation %+v", a)
		}
		if got := c.getDebt(e.ID); got.Status != "recovered" || got.Balance != 0 || got.Credit != 0 {
			t.Errorf("recovered: %+v", got)
		}
		c.reverse(exact.ID, "transaction annulée")
		if got := c.getDebt(e.ID); got.Status != "open" || got.Balance != 32_000 {
			t.Errorf("reopened: %+v", got)
		}
		// Paid in two, the second clears it.
		c.pay(e.ID, obj{"amount": 12_000, "value_date": day(-5), "method": "cash"})
		c.pay(e.ID, obj{"amount": 20_000, "value_date": day(0), "method": "cash"})
		if got := c.getDebt(e.ID); got.Status != "recovered" || got.Paid != 32_000 || got.LastPaymentOn != day(0) {
			t.Errorf("paid in two: %+v", got)
		}
	})

	t.Run("no payment or reversal on a final debt", func(t *testing.T) {
		c := c.on(t)
		f := newDebt(40_000, 0)
		paid := c.pay(f.ID, obj{"amount": 1_000, "value_date": day(0), "method": "cash"})
		pr := c.propose(f.ID, obj{"action": "write_off", "reason": "irrécouvrable"})
		admin.on(t).decide(pr.ID, obj{"approve": true})
		wantSlug(t, c.post("/api/v1/payments/"+paid.ID+"/reversal", obj{"reason": "x"}), http.StatusConflict, "wrong_status")
		wantSlug(t, c.post("/api/v1/debts/"+f.ID+"/payments", obj{"amount": 1_000, "value_date": day(0), "method": "cash"}),
			http.StatusConflict, "wrong_status")
		w := newDebt(40_000, 0)
		c.moveDebt(w.ID, obj{"to": "withdrawn", "reason": "retiré"})
		wantSlug(t, c.post("/api/v1/debts/"+w.ID+"/payments", obj{"amount": 1_000, "value_date": day(0), "method": "cash"}),
			http.StatusConflict, "wrong_status")
	})

	t.Run("Idempotency-Key", func(t *testing.T) {
		c := c.on(t)
		k := newDebt(90_000, 0)
		body := obj{"amount": 15_000, "value_date": day(0), "method": "cib", "reference": "AUTH-5521"}
		key := uuid.NewString()
		first := c.pay(k.ID, body, idemKey(key))
		second := c.pay(k.ID, body, idemKey(key))
		if second.ID != first.ID {
			t.Errorf("replay recorded payment %s, first %s", second.ID, first.ID)
		}
		wantSlug(t, c.post("/api/v1/debts/"+k.ID+"/payments", with(body, obj{"amount": 16_000}), idemKey(key)),
			http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key")
		if got := c.getDebt(k.ID); got.Paid != 15_000 || len(c.payments(k.ID)) != 1 {
			t.Errorf("after a replay: %+v", got)
		}
		// A key is scoped to its path: the same key and body on another
		// debt is another payment, not a replay of this one.
		k2 := newDebt(90_000, 0)
		other := c.pay(k2.ID, body, idemKey(key))
		if other.ID == first.ID || other.DebtID != k2.ID {
			t.Errorf("the same key on another debt answered %+v", other)
		}
		if got := c.getDebt(k2.ID); got.Paid != 15_000 {
			t.Errorf("the other debt after its payment: %+v", got)
		}
		// A rejected payment replays its rejection.
		over := obj{"amount": 500_000, "value_date": day(0), "method": "cash"}
		key = uuid.NewString()
		wantSlug(t, c.post("/api/v1/debts/"+k.ID+"/payments", over, idemKey(key)), http.StatusUnprocessableEntity, "validation", "amount")
		wantSlug(t, c.post("/api/v1/debts/"+k.ID+"/payments", over, idemKey(key)), http.StatusUnprocessableEntity, "validation", "amount")
	})

	t.Run("creditors and debtors read payments, never write them", func(t *testing.T) {
		for _, u := range []*client{c.as(app.NewTenant(t, "creditor", cr.ID)).on(t), c.as(app.NewTenant(t, "debtor", dr.ID)).on(t),
			c.as(app.NewStaff(t, "auditor")).on(t)} {
			list := u.payments(d.ID)
			if len(list) != 5 {
				t.Errorf("%s reads %d payments of the debt, want 5", u.user.Role, len(list))
			}
			want(t, u.get("/api/v1/payments/"+cash.ID), http.StatusOK)
			wantSlug(t, u.post("/api/v1/debts/"+d.ID+"/payments", obj{"amount": 100, "value_date": day(0), "method": "cash"}),
				http.StatusForbidden, "forbidden")
			wantSlug(t, u.post("/api/v1/payments/"+cash.ID+"/reversal", obj{"reason": "x"}), http.StatusForbidden, "forbidden")
		}
		if got := c.on(t).getDebt(d.ID); len(c.on(t).payments(d.ID)) != 5 || got.Status != "open" {
			t.Errorf("the debt after the tenants' attempts: %+v", got)
		}
	})
}
