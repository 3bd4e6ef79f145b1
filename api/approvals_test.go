package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// proposal is a maker-checker proposal as the API shows it.
type proposal struct {
	ID             string     `json:"id"`
	DebtID         string     `json:"debt_id"`
	CreditorID     string     `json:"creditor_id"`
	Action         string     `json:"action"`
	Discount       int64      `json:"discount"`
	Reason         string     `json:"reason"`
	ProposedBy     string     `json:"proposed_by"`
	ProposedAt     time.Time  `json:"proposed_at"`
	Status         string     `json:"status"`
	DecidedBy      string     `json:"decided_by"`
	DecidedAt      *time.Time `json:"decided_at"`
	DecisionReason string     `json:"decision_reason"`
}

// propose makes a proposal on a debt and returns it.
func (c *client) propose(debtID string, body obj) proposal {
	c.t.Helper()
	r := c.post("/api/v1/debts/"+debtID+"/proposals", body)
	want(c.t, r, http.StatusCreated)
	var p proposal
	r.decode(c.t, &p)
	if got := r.Header.Get("Location"); got != "/api/v1/approvals/"+p.ID {
		c.t.Errorf("Location %q, proposal %s", got, p.ID)
	}
	return p
}

// decide approves or refuses a proposal and returns it.
func (c *client) decide(id string, body obj) proposal {
	c.t.Helper()
	r := c.post("/api/v1/approvals/"+id, body)
	want(c.t, r, http.StatusOK)
	var p proposal
	r.decode(c.t, &p)
	return p
}

func TestApprovals(t *testing.T) {
	t.Parallel()
	app, c := start(t, apptest.Options{})
	admin1 := c.as(app.NewStaff(t, "admin"))
	admin2 := c.as(app.NewStaff(t, "admin"))
	auditor := c.as(app.NewStaff(t, "auditor"))
	cr := c.createCreditor(validCreditor())
	dr := c.createDebtor(validDebtor())
	// Every debt here owes 12 500 000 centimes of principal and 150 000 of fees.
	const balance = 12_650_000
	newDebt := func() debt { return c.openDebt(validDebt(cr.ID, dr.ID)) }

	w := newDebt() // written off
	var writeOff proposal
	t.Run("an agent proposes", func(t *testing.T) {
		c := c.on(t)
		writeOff = c.propose(w.ID, obj{"action": "write_off", "reason": "débiteur insolvable, liquidation judiciaire"})
		if writeOff.Action != "write_off" || writeOff.Status != "pending" || writeOff.ProposedBy != c.user.ID ||
			writeOff.DebtID != w.ID || writeOff.CreditorID != cr.ID || writeOff.Discount != 0 || writeOff.DecidedBy != "" ||
			writeOff.DecidedAt != nil || writeOff.ProposedAt.IsZero() || !uuidPattern.MatchString(writeOff.ID) {
			t.Errorf("proposal: %+v", writeOff)
		}
		for _, reader := range []*client{c, admin1.on(t), auditor.on(t)} {
			r := reader.get("/api/v1/approvals/" + writeOff.ID)
			want(t, r, http.StatusOK)
			var got proposal
			r.decode(t, &got)
			if got.ID != writeOff.ID || got.Status != "pending" || got.Reason != writeOff.Reason {
				t.Errorf("%s reads %+v", reader.user.Role, got)
			}
		}
		// The proposal alone changes nothing but the history.
		if d := c.getDebt(w.ID); d.Status != "open" || d.Balance != balance || d.Version != 2 {
			t.Errorf("debt after the proposal: %+v", d)
		}
		// Neither the agent nor the auditor decides: only an admin holds
		// debts:approve.
		wantSlug(t, c.post("/api/v1/approvals/"+writeOff.ID, obj{"approve": true}), http.StatusForbidden, "forbidden")
		wantSlug(t, auditor.on(t).post("/api/v1/approvals/"+writeOff.ID, obj{"approve": true}), http.StatusForbidden, "forbidden")
		wantSlug(t, auditor.on(t).post("/api/v1/debts/"+w.ID+"/proposals", obj{"action": "write_off", "reason": "x"}),
			http.StatusForbidden, "forbidden")
	})

	t.Run("invalid proposals", func(t *testing.T) {
		c := c.on(t)
		d := newDebt()
		p := "/api/v1/debts/" + d.ID + "/proposals"
		for _, tc := range []struct {
			body   obj
			fields []string
		}{
			{obj{}, []string{"action", "reason"}},
			{obj{"action": "forgive", "reason": "x"}, []string{"action"}},
			{obj{"action": "settlement", "reason": "x"}, []string{"discount"}},
			{obj{"action": "settlement", "discount": -5, "reason": "x"}, []string{"discount"}},
			{obj{"action": "settlement", "discount": balance, "reason": "x"}, []string{"discount"}},
			{obj{"action": "settlement", "discount": balance + 1, "reason": "x"}, []string{"discount"}},
			{obj{"action": "settlement", "discount": "100", "reason": "x"}, []string{"discount"}},
			{obj{"action": "write_off", "discount": 100, "reason": "x"}, []string{"discount"}},
			{obj{"action": "escalate_legal"}, []string{"reason"}},
			{obj{"action": "escalate_legal", "reason": "   "}, []string{"reason"}},
			{obj{"action": "escalate_legal", "reason": strings.Repeat("x", 501)}, []string{"reason"}},
			{obj{"action": "write_off", "reason": "x", "by": c.user.ID}, []string{"by"}},
		} {
			wantSlug(t, c.post(p, tc.body), http.StatusUnprocessableEntity, "validation", tc.fields...)
		}
		wantSlug(t, c.post("/api/v1/debts/"+uuid.Must(uuid.NewV7()).String()+"/proposals", obj{"action": "write_off", "reason": "x"}),
			http.StatusNotFound, "not-found")
		// One pending proposal per action.
		c.propose(d.ID, obj{"action": "settlement", "discount": 100_000, "reason": "accord amiable"})
		wantSlug(t, c.post(p, obj{"action": "settlement", "discount": 200_000, "reason": "x"}), http.StatusConflict, "already-exists")
		c.propose(d.ID, obj{"action": "write_off", "reason": "on verra"})
		// An escalation starts from open, amicable or payment_plan.
		c.moveDebt(d.ID, obj{"to": "on_hold", "hold_reason": "dispute", "reason": "contestation"})
		pr := wantSlug(t, c.post(p, obj{"action": "escalate_legal", "reason": "x"}), http.StatusConflict, "wrong_status")
		if !strings.Contains(pr.Detail, "on_hold") {
			t.Errorf("detail %q does not name on_hold", pr.Detail)
		}
		// A closed debt takes no proposal.
		c.moveDebt(d.ID, obj{"to": "withdrawn", "reason": "retiré"})
		wantSlug(t, c.post(p, obj{"action": "write_off", "reason": "x"}), http.StatusConflict, "wrong_status")
		if got := c.getDebt(d.ID); got.Discount != 0 || got.Balance != balance {
			t.Errorf("refused proposals changed the debt: %+v", got)
		}
	})

	s := newDebt() // settled in part
	t.Run("the maker cannot be the checker", func(t *testing.T) {
		a1, a2 := admin1.on(t), admin2.on(t)
		p := a1.propose(s.ID, obj{"action": "settlement", "discount": 2_650_000, "reason": "remise accordée contre paiement rapide"})
		if p.Discount != 2_650_000 || p.ProposedBy != a1.user.ID {
			t.Errorf("proposal: %+v", p)
		}
		for _, body := range []obj{{"approve": true}, {"approve": false, "reason": "je me ravise"}} {
			pr := wantSlug(t, a1.post("/api/v1/approvals/"+p.ID, body), http.StatusForbidden, "maker-checker")
			if !strings.Contains(pr.Detail, a1.user.ID) {
				t.Errorf("detail %q does not name the maker", pr.Detail)
			}
		}
		if d := a1.getDebt(s.ID); d.Discount != 0 || d.Balance != balance {
			t.Errorf("the maker's approval changed the debt: %+v", d)
		}
		got := a2.decide(p.ID, obj{"approve": true, "reason": "conforme à la politique"})
		if got.Status != "approved" || got.DecidedBy != a2.user.ID || got.DecidedAt == nil || got.DecisionReason != "conforme à la politique" {
			t.Errorf("approved: %+v", got)
		}
		d := a2.getDebt(s.ID)
		if d.Discount != 2_650_000 || d.Balance != balance-2_650_000 || d.Status != "open" || d.Paid != 0 {
			t.Errorf("debt after the discount: %+v", d)
		}
		// Decided once.
		wantSlug(t, admin2.on(t).post("/api/v1/approvals/"+p.ID, obj{"approve": true}), http.StatusConflict, "wrong_status")
		wantSlug(t, admin2.on(t).post("/api/v1/approvals/"+p.ID, obj{"approve": false, "reason": "x"}), http.StatusConflict, "wrong_status")
		// The discount cancels the outstanding fees first.
		h := c.on(t).history("/api/v1/debts/" + s.ID)
		if got, wantTypes := historyTypes(h), []string{"debt.opened", "debt.action_proposed", "debt.proposal_approved",
			"debt.discount_granted"}; !slices.Equal(got, wantTypes) {
			t.Fatalf("history %v, want %v", got, wantTypes)
		}
		var granted struct {
			Amount     int64 `json:"amount"`
			Allocation struct {
				Fees, Principal, Credit int64
			} `json:"allocation"`
		}
		if err := json.Unmarshal(h[3].Data, &granted); err != nil {
			t.Fatal(err)
		}
		if granted.Amount != 2_650_000 || granted.Allocation.Fees != 150_000 || granted.Allocation.Principal != 2_500_000 ||
			granted.Allocation.Credit != 0 {
			t.Errorf("discount granted: %s", h[3].Data)
		}
		if h[1].Actor["user_id"] != a1.user.ID || h[2].Actor["user_id"] != a2.user.ID {
			t.Errorf("maker %v, checker %v", h[1].Actor, h[2].Actor)
		}
	})

	t.Run("a write-off closes the debt", func(t *testing.T) {
		a2 := admin2.on(t)
		// A charge added after the proposal is written off too: the
		// write-off takes the balance at approval.
		want(t, c.on(t).post("/api/v1/debts/"+w.ID+"/charges", obj{"kind": "fee", "amount": 50_000, "reason": "relance"}), http.StatusCreated)
		got := a2.decide(writeOff.ID, obj{"approve": true})
		if got.Status != "approved" || got.DecidedBy != a2.user.ID || got.ProposedBy != c.user.ID {
			t.Errorf("approved: %+v", got)
		}
		d := a2.getDebt(w.ID)
		if d.Status != "written_off" || d.WrittenOff != balance+50_000 || d.Balance != 0 || d.DaysPastDue != 0 {
			t.Errorf("written off: %+v", d)
		}
		if got, wantTypes := historyTypes(a2.history("/api/v1/debts/"+w.ID)), []string{"debt.opened", "debt.action_proposed",
			"debt.charge_added", "debt.proposal_approved", "debt.written_off", "debt.status_changed"}; !slices.Equal(got, wantTypes) {
			t.Errorf("history %v, want %v", got, wantTypes)
		}
		// Final: no transition, no payment, no proposal.
		wantSlug(t, c.on(t).post("/api/v1/debts/"+w.ID+"/transitions", obj{"to": "open"}), http.StatusConflict, "wrong_status")
		wantSlug(t, c.on(t).post("/api/v1/debts/"+w.ID+"/payments", obj{"amount": 100, "value_date": "2025-06-01", "method": "cash"}),
			http.StatusConflict, "wrong_status")
		wantSlug(t, c.on(t).post("/api/v1/debts/"+w.ID+"/proposals", obj{"action": "write_off", "reason": "x"}),
			http.StatusConflict, "wrong_status")
	})

	t.Run("an approved escalation moves the debt to legal", func(t *testing.T) {
		c := c.on(t)
		l := newDebt()
		c.moveDebt(l.ID, obj{"to": "amicable"})
		p := c.propose(l.ID, obj{"action": "escalate_legal", "reason": "aucune réponse aux relances"})
		admin1.on(t).decide(p.ID, obj{"approve": true})
		d := c.getDebt(l.ID)
		if d.Status != "legal" {
			t.Fatalf("after the escalation: %+v", d)
		}
		// legal is left by a hold, and comes back from it.
		wantSlug(t, c.post("/api/v1/debts/"+l.ID+"/transitions", obj{"to": "amicable"}), http.StatusConflict, "wrong_status")
		wantSlug(t, c.post("/api/v1/debts/"+l.ID+"/proposals", obj{"action": "escalate_legal", "reason": "x"}),
			http.StatusConflict, "wrong_status")
		c.moveDebt(l.ID, obj{"to": "on_hold", "hold_reason": "other", "reason": "audience reportée"})
		if d := c.moveDebt(l.ID, obj{"to": "legal"}); d.Status != "legal" {
			t.Errorf("back from hold: %+v", d)
		}
	})

	var refused proposal
	t.Run("refusals", func(t *testing.T) {
		c := c.on(t)
		r := newDebt()
		p := c.propose(r.ID, obj{"action": "settlement", "discount": 5_000_000, "reason": "demande du débiteur"})
		a1 := admin1.on(t)
		wantSlug(t, a1.post("/api/v1/approvals/"+p.ID, obj{"approve": false}), http.StatusUnprocessableEntity, "validation", "reason")
		wantSlug(t, a1.post("/api/v1/approvals/"+p.ID, obj{}), http.StatusUnprocessableEntity, "validation", "approve")
		wantSlug(t, a1.post("/api/v1/approvals/"+p.ID, obj{"approve": "yes"}), http.StatusUnprocessableEntity, "validation", "approve")
		wantSlug(t, a1.post("/api/v1/approvals/"+p.ID, obj{"approve": true, "status": "approved"}), http.StatusUnprocessableEntity,
			"validation", "status")
		wantSlug(t, a1.post("/api/v1/approvals/"+uuid.Must(uuid.NewV7()).String(), obj{"approve": true}), http.StatusNotFound, "not-found")
		refused = a1.decide(p.ID, obj{"approve": false, "reason": "remise trop élevée"})
		if refused.Status != "refused" || refused.DecidedBy != a1.user.ID || refused.DecisionReason != "remise trop élevée" {
			t.Errorf("refused: %+v", refused)
		}
		if d := c.getDebt(r.ID); d.Discount != 0 || d.Balance != balance || d.Status != "open" {
			t.Errorf("the refusal changed the debt: %+v", d)
		}
		wantSlug(t, admin2.on(t).post("/api/v1/approvals/"+p.ID, obj{"approve": true}), http.StatusConflict, "wrong_status")
		// Once refused, the action may be proposed again.
		again := c.propose(r.ID, obj{"action": "settlement", "discount": 1_000_000, "reason": "nouvelle demande"})
		if again.ID == p.ID || again.Status != "pending" {
			t.Errorf("proposed again: %+v", again)
		}
	})

	t.Run("an approval is checked against the debt as it is now", func(t *testing.T) {
		c, a1 := c.on(t), admin1.on(t)
		// Closed since: only a refusal remains.
		closed := newDebt()
		p := c.propose(closed.ID, obj{"action": "write_off", "reason": "x"})
		c.moveDebt(closed.ID, obj{"to": "withdrawn", "reason": "retiré par le créancier"})
		pr := wantSlug(t, a1.post("/api/v1/approvals/"+p.ID, obj{"approve": true}), http.StatusConflict, "wrong_status")
		if !strings.Contains(pr.Detail, "withdrawn") {
			t.Errorf("detail %q", pr.Detail)
		}
		if got := a1.decide(p.ID, obj{"approve": false, "reason": "le dossier est retiré"}); got.Status != "refused" {
			t.Errorf("refused on a closed debt: %+v", got)
		}
		// Paid down to the discount since: the approval settles it.
		small := c.openDebt(with(validDebt(cr.ID, dr.ID), obj{"principal": 50_000, "fees": 0}))
		p = c.propose(small.ID, obj{"action": "settlement", "discount": 20_000, "reason": "remise"})
		want(t, c.post("/api/v1/debts/"+small.ID+"/payments", obj{"amount": 30_000, "value_date": "2025-06-02", "method": "cash"}),
			http.StatusCreated)
		a1.decide(p.ID, obj{"approve": true})
		if d := c.getDebt(small.ID); d.Status != "recovered" || d.Balance != 0 || d.Discount != 20_000 || d.Paid != 30_000 {
			t.Errorf("settled: %+v", d)
		}
		// Paid below the discount since: the approval is refused.
		q := c.openDebt(with(validDebt(cr.ID, dr.ID), obj{"principal": 50_000, "fees": 0}))
		p = c.propose(q.ID, obj{"action": "settlement", "discount": 20_000, "reason": "remise"})
		want(t, c.post("/api/v1/debts/"+q.ID+"/payments", obj{"amount": 40_000, "value_date": "2025-06-02", "method": "cash"}),
			http.StatusCreated)
		wantSlug(t, a1.post("/api/v1/approvals/"+p.ID, obj{"approve": true}), http.StatusUnprocessableEntity, "validation")
		if d := c.getDebt(q.ID); d.Status != "open" || d.Balance != 10_000 || d.Discount != 0 {
			t.Errorf("after the refused approval: %+v", d)
		}
		if got := a1.decide(p.ID, obj{"approve": false, "reason": "le solde a changé"}); got.Status != "refused" {
			t.Errorf("refused: %+v", got)
		}
	})

	t.Run("the checkers' queue", func(t *testing.T) {
		a := auditor.on(t)
		all := listAll(t, a, "/api/v1/approvals", 2, func(p proposal) string { return p.ID })
		var ps []proposal
		for _, id := range all {
			r := a.get("/api/v1/approvals/" + id)
			want(t, r, http.StatusOK)
			var p proposal
			r.decode(t, &p)
			ps = append(ps, p)
		}
		if len(ps) != 10 {
			t.Errorf("%d proposals, want 10", len(ps))
		}
		for i := 1; i < len(ps); i++ {
			if ps[i].ProposedAt.After(ps[i-1].ProposedAt) {
				t.Errorf("proposal %d is newer than proposal %d", i, i-1)
			}
		}
		for _, status := range []string{"pending", "approved", "refused"} {
			var expected []string
			for _, p := range ps {
				if p.Status == status {
					expected = append(expected, p.ID)
				}
			}
			got := listAll(t, a, "/api/v1/approvals?status="+status, 50, func(p proposal) string { return p.ID })
			if len(expected) == 0 || !slices.Equal(got, expected) {
				t.Errorf("%s: %v, want %v", status, got, expected)
			}
		}
		got := listAll(t, a, "/api/v1/approvals?status=approved&debt_id="+s.ID, 50, func(p proposal) string { return p.ID })
		if len(got) != 1 {
			t.Errorf("approved proposals of the settled debt: %v", got)
		}
		if upper := listAll(t, a, "/api/v1/approvals?status=approved&debt_id="+strings.ToUpper(s.ID), 50,
			func(p proposal) string { return p.ID }); !slices.Equal(upper, got) {
			t.Errorf("with the debt id in upper case: %v, want %v", upper, got)
		}
		if got := listAll(t, a, "/api/v1/approvals?debt_id="+uuid.Must(uuid.NewV7()).String(), 50, func(p proposal) string { return p.ID }); len(got) != 0 {
			t.Errorf("proposals of no debt: %v", got)
		}
		for _, tc := range []struct{ query, field string }{
			{"status=done", "status"},
			{"status=PENDING", "status"},
			{"debt_id=" + s.ID[:30], "debt_id"},
			{"debt_id=" + s.ID + "x", "debt_id"},
			{"limit=0", "limit"},
			{"cursor=xyz", "cursor"},
			{"action=write_off", "action"},
			{"status=pending&status=refused", "status"},
		} {
			wantSlug(t, a.get("/api/v1/approvals?"+tc.query), http.StatusUnprocessableEntity, "validation", tc.field)
		}
		wantSlug(t, a.get("/api/v1/approvals/"+uuid.Must(uuid.NewV7()).String()), http.StatusNotFound, "not-found")
		wantSlug(t, a.get("/api/v1/approvals/not-an-id"), http.StatusNotFound, "not-found")
		if refused.ID != "" && !slices.Contains(all, refused.ID) {
			t.Errorf("the refused proposal %s is not listed", refused.ID)
		}
	})
}
