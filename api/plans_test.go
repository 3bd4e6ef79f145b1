package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// planClock is the application's clock for the plan tests: real time moved
// to noon in Algiers on a chosen day, so that instalments and promises can
// fall due and be missed while the test runs. It only moves forward, as
// the sessions and one-time codes it also drives expect.
type planClock struct{ offset atomic.Int64 }

var planAlgiers = func() *time.Location {
	loc, err := time.LoadLocation("Africa/Algiers")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

func newPlanClock(y int, m time.Month, d int) *planClock {
	c := &planClock{}
	c.set(y, m, d)
	return c
}

func (c *planClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *planClock) set(y int, m time.Month, d int) {
	c.offset.Store(int64(time.Until(time.Date(y, m, d, 12, 0, 0, 0, planAlgiers))))
}

// moveTo moves the clock to another day and signs the users in again: a
// jump of days ends their sessions.
func (c *planClock) moveTo(t *testing.T, app *apptest.App, y int, m time.Month, d int, users ...*apptest.User) {
	t.Helper()
	c.set(y, m, d)
	for _, u := range users {
		app.SignIn(t, u)
	}
}

// planInstalmentBody is an instalment of GET /plan.
type planInstalmentBody struct {
	Due    string `json:"due"`
	Amount int64  `json:"amount"`
	Paid   int64  `json:"paid"`
	PaidOn string `json:"paid_on"`
	State  string `json:"state"`
	Late   bool   `json:"late"`
}

// planBody is a payment plan as the API shows it.
type planBody struct {
	ID          string               `json:"id"`
	DebtID      string               `json:"debt_id"`
	State       string               `json:"state"`
	AsOf        string               `json:"as_of"`
	Instalments []planInstalmentBody `json:"instalments"`
	Total       int64                `json:"total"`
	Paid        int64                `json:"paid"`
	Unallocated int64                `json:"unallocated"`
	Missed      int                  `json:"missed"`
	BrokenOn    string               `json:"broken_on"`
	CompletedOn string               `json:"completed_on"`
	Policy      struct {
		GraceDays int `json:"grace_days"`
		MaxMissed int `json:"max_missed"`
	} `json:"policy"`
	Reason     string `json:"reason"`
	Supersedes string `json:"supersedes"`
	SetOn      string `json:"set_on"`
	SetBy      string `json:"set_by"`
	Superseded []struct {
		ID          string `json:"id"`
		Instalments []struct {
			Due    string `json:"due"`
			Amount int64  `json:"amount"`
		} `json:"instalments"`
		Total        int64      `json:"total"`
		SupersededAt *time.Time `json:"superseded_at"`
	} `json:"superseded"`
}

// states lists the instalments' states.
func (p planBody) states() []string {
	out := make([]string, len(p.Instalments))
	for i, in := range p.Instalments {
		out[i] = in.State
	}
	return out
}

// promiseBody is a promise to pay as the API shows it.
type promiseBody struct {
	ID     string `json:"id"`
	DebtID string `json:"debt_id"`
	Amount int64  `json:"amount"`
	Due    string `json:"due"`
	MadeOn string `json:"made_on"`
	MadeBy string `json:"made_by"`
	Status string `json:"status"`
	AsOf   string `json:"as_of"`
}

// planDebt opens a debt of principal centimes (no fees) and returns its id.
func planDebt(c *client, creditorID, debtorID string, principal int64) string {
	c.t.Helper()
	r := c.post("/api/v1/debts", obj{
		"creditor_id": creditorID, "debtor_id": debtorID, "external_ref": fmt.Sprintf("PLAN-%d", next()),
		"type": "commercial", "principal": principal, "original_due_on": "2025-12-01",
	})
	want(c.t, r, http.StatusCreated)
	var d struct {
		ID string `json:"id"`
	}
	r.decode(c.t, &d)
	return d.ID
}

// planPay records a cash payment and returns its id.
func planPay(c *client, debtID string, amount int64, valueDate string) string {
	c.t.Helper()
	r := c.post("/api/v1/debts/"+debtID+"/payments", obj{"amount": amount, "value_date": valueDate, "method": "cash"})
	want(c.t, r, http.StatusCreated)
	var p struct {
		ID string `json:"id"`
	}
	r.decode(c.t, &p)
	return p.ID
}

func (c *client) planGet(debtID string) planBody {
	c.t.Helper()
	r := c.get("/api/v1/debts/" + debtID + "/plan")
	want(c.t, r, http.StatusOK)
	var p planBody
	r.decode(c.t, &p)
	return p
}

func (c *client) planDebtStatus(debtID string) string {
	c.t.Helper()
	r := c.get("/api/v1/debts/" + debtID)
	want(c.t, r, http.StatusOK)
	var d struct {
		Status string `json:"status"`
	}
	r.decode(c.t, &d)
	return d.Status
}

func planInstalments(pairs ...any) obj {
	var list []obj
	for i := 0; i < len(pairs); i += 2 {
		list = append(list, obj{"due": pairs[i], "amount": pairs[i+1]})
	}
	return obj{"instalments": list}
}

func planPut(c *client, path string, body any, hdrs ...header) response {
	c.t.Helper()
	return c.do(http.MethodPut, path, body, hdrs...)
}

// TestPlans sets, revises and follows a payment plan through the API, its
// states derived from the payments and the day in Algiers: 3 000 000
// centimes in three instalments of 1 000 000.
func TestPlans(t *testing.T) {
	t.Parallel()
	clock := newPlanClock(2026, time.January, 4) // a Sunday
	app, agent := start(t, apptest.Options{Now: clock.Now})
	cr := agent.createCreditor(validCreditor())
	db := agent.createDebtor(validDebtor())
	debt := planDebt(agent, cr.ID, db.ID, 3_000_000)
	path := "/api/v1/debts/" + debt + "/plan"
	creditorUser := app.NewTenant(t, "creditor", cr.ID)
	debtorUser := app.NewTenant(t, "debtor", db.ID)
	otherUser := app.NewTenant(t, "creditor", agent.createCreditor(validCreditor()).ID)
	creditor, debtor, other := agent.as(creditorUser), agent.as(debtorUser), agent.as(otherUser)
	var first, second planBody

	t.Run("no plan yet", func(t *testing.T) {
		wantProblem(t, agent.on(t).get(path), http.StatusNotFound)
	})

	t.Run("rejections", func(t *testing.T) {
		c := agent.on(t)
		for _, tc := range []struct {
			name  string
			body  obj
			field string
		}{
			{"sum below the balance", planInstalments("2026-01-15", 1_000_000, "2026-02-16", 1_000_000), "instalments"},
			{"sum above the balance", planInstalments("2026-01-15", 2_000_000, "2026-02-16", 1_000_001), "instalments"},
			{"a Friday", planInstalments("2026-01-16", 1_500_000, "2026-02-16", 1_500_000), "instalments[0].due"},
			{"a Saturday", planInstalments("2026-01-15", 1_500_000, "2026-02-14", 1_500_000), "instalments[1].due"},
			{"Yennayer", planInstalments("2026-01-12", 1_500_000, "2026-02-16", 1_500_000), "instalments[0].due"},
			{"a date in the past", planInstalments("2025-12-31", 1_500_000, "2026-02-16", 1_500_000), "instalments[0].due"},
			{"out of order", planInstalments("2026-02-16", 1_500_000, "2026-01-15", 1_500_000), "instalments[1].due"},
			{"too small an instalment", planInstalments("2026-01-15", 50_000, "2026-02-16", 2_950_000), "instalments[0].amount"},
			{"not a date", planInstalments("15/01/2026", 3_000_000), "instalments[0].due"},
			{"no instalment", obj{"instalments": []obj{}}, "instalments"},
		} {
			wantProblem(t, planPut(c, path, tc.body), http.StatusUnprocessableEntity, tc.field)
		}
		wantProblem(t, planPut(c, path, obj{"instalments": []obj{}, "extra": 1}), http.StatusUnprocessableEntity)
		// A creditor reads its debts' plans but does not set them.
		wantProblem(t, planPut(creditor.on(t), path, planInstalments("2026-01-15", 3_000_000)), http.StatusForbidden)
		wantProblem(t, planPut(debtor.on(t), path, planInstalments("2026-01-15", 3_000_000)), http.StatusForbidden)
		wantProblem(t, c.get(path), http.StatusNotFound)
		if st := c.planDebtStatus(debt); st != "open" {
			t.Errorf("status %s after refused plans", st)
		}
	})

	t.Run("set", func(t *testing.T) {
		c := agent.on(t)
		r := planPut(c, path, planInstalments("2026-01-29", 1_500_000, "2026-02-26", 1_500_000))
		want(t, r, http.StatusCreated)
		if loc := r.Header.Get("Location"); loc != path {
			t.Errorf("Location %q", loc)
		}
		r.decode(t, &first)
		if first.DebtID != debt || first.State != "active" || first.AsOf != "2026-01-04" || first.SetOn != "2026-01-04" ||
			first.Total != 3_000_000 || first.Supersedes != "" || len(first.Superseded) != 0 ||
			!slices.Equal(first.states(), []string{"due", "due"}) || first.SetBy != agent.user.ID {
			t.Errorf("plan %+v", first)
		}
		if first.Policy.GraceDays != 0 || first.Policy.MaxMissed != 2 {
			t.Errorf("policy %+v, want the defaults (grace 0, 2 missed)", first.Policy)
		}
		if st := c.planDebtStatus(debt); st != "payment_plan" {
			t.Errorf("debt status %s after the plan, want payment_plan", st)
		}
		if got := c.planGet(debt); got.ID != first.ID {
			t.Errorf("GET /plan is %s, want %s", got.ID, first.ID)
		}
		// The same plan again changes nothing and says so with 200: a
		// retried PUT is safe.
		r = planPut(c, path, planInstalments("2026-01-29", 1_500_000, "2026-02-26", 1_500_000))
		want(t, r, http.StatusOK)
		var again planBody
		r.decode(t, &again)
		if again.ID != first.ID {
			t.Errorf("the same plan again made plan %s", again.ID)
		}
	})

	t.Run("revise supersedes", func(t *testing.T) {
		c := agent.on(t)
		body := planInstalments("2026-01-15", 1_000_000, "2026-02-16", 1_000_000, "2026-03-16", 1_000_000)
		wantProblem(t, planPut(c, path, body), http.StatusUnprocessableEntity, "reason")
		body["reason"] = "le débiteur demande trois mois"
		// If-Match: a stale version of the debt is refused.
		wantProblem(t, planPut(c, path, body, ifMatch(`"1"`)), http.StatusPreconditionFailed)
		r := planPut(c, path, body, ifMatch(c.get(path).Header.Get("ETag")))
		want(t, r, http.StatusOK)
		r.decode(t, &second)
		if second.ID == first.ID || second.Supersedes != first.ID || second.Reason != body["reason"] ||
			!slices.Equal(second.states(), []string{"due", "due", "due"}) {
			t.Errorf("revised plan %+v", second)
		}
		if len(second.Superseded) != 1 || second.Superseded[0].ID != first.ID || second.Superseded[0].SupersededAt == nil ||
			len(second.Superseded[0].Instalments) != 2 || second.Superseded[0].Instalments[0].Due != "2026-01-29" {
			t.Errorf("superseded plans %+v", second.Superseded)
		}
		if st := c.planDebtStatus(debt); st != "payment_plan" {
			t.Errorf("debt status %s after the revision", st)
		}
		var sets, moves int
		for _, e := range c.history("/api/v1/debts/" + debt) {
			switch e.Type {
			case "debt.plan_set":
				sets++
			case "debt.status_changed":
				moves++
			}
		}
		if sets != 2 || moves != 1 {
			t.Errorf("history has %d debt.plan_set and %d debt.status_changed, want 2 and 1", sets, moves)
		}
	})

	t.Run("scoped reads", func(t *testing.T) {
		for name, c := range map[string]*client{"creditor": creditor.on(t), "debtor": debtor.on(t)} {
			if got := c.planGet(debt); got.ID != second.ID || len(got.Instalments) != 3 {
				t.Errorf("%s reads %+v", name, got)
			}
		}
		wantProblem(t, other.on(t).get(path), http.StatusNotFound)
		wantProblem(t, planPut(other.on(t), path, planInstalments("2026-01-15", 3_000_000)), http.StatusForbidden)
	})

	t.Run("partially paid", func(t *testing.T) {
		c := agent.on(t)
		planPay(c, debt, 1_500_000, "2026-01-04")
		p := c.planGet(debt)
		if !slices.Equal(p.states(), []string{"paid", "partially_paid", "due"}) || p.State != "active" || p.Paid != 1_500_000 ||
			p.Instalments[0].PaidOn != "2026-01-04" || p.Instalments[1].Paid != 500_000 {
			t.Errorf("plan %+v", p)
		}
	})

	t.Run("two missed break it", func(t *testing.T) {
		clock.moveTo(t, app, 2026, time.April, 1, agent.user, creditorUser, debtorUser)
		p := agent.on(t).planGet(debt)
		if !slices.Equal(p.states(), []string{"paid", "missed", "missed"}) || p.State != "broken" || p.Missed != 2 ||
			p.BrokenOn != "2026-03-17" || p.AsOf != "2026-04-01" {
			t.Errorf("plan %+v", p)
		}
		if got := debtor.on(t).planGet(debt); got.State != "broken" {
			t.Errorf("the debtor reads state %s", got.State)
		}
	})

	t.Run("a backdated payment mends it", func(t *testing.T) {
		c := agent.on(t)
		planPay(c, debt, 500_000, "2026-02-10")
		p := c.planGet(debt)
		if !slices.Equal(p.states(), []string{"paid", "paid", "missed"}) || p.State != "active" || p.Missed != 1 ||
			p.BrokenOn != "" || p.Instalments[1].Late || p.Instalments[1].PaidOn != "2026-02-10" {
			t.Errorf("plan %+v", p)
		}
	})

	t.Run("completed", func(t *testing.T) {
		c := agent.on(t)
		planPay(c, debt, 1_000_000, "2026-04-01")
		p := c.planGet(debt)
		if !slices.Equal(p.states(), []string{"paid", "paid", "paid"}) || p.State != "completed" || p.CompletedOn != "2026-04-01" ||
			!p.Instalments[2].Late || p.Missed != 1 {
			t.Errorf("plan %+v", p)
		}
		if st := c.planDebtStatus(debt); st != "recovered" {
			t.Errorf("debt status %s once paid", st)
		}
		r := planPut(c, path, with(planInstalments("2026-04-05", 1_000_000), obj{"reason": "encore"}))
		if p := wantProblem(t, r, http.StatusConflict); p.Type == "" {
			t.Errorf("problem %+v", p)
		}
	})
}

// TestPromises makes promises to pay as a debtor and as staff, and follows
// whether they are kept as payments come in, are backdated and reversed.
func TestPromises(t *testing.T) {
	t.Parallel()
	clock := newPlanClock(2026, time.January, 4)
	app, agent := start(t, apptest.Options{Now: clock.Now})
	cr := agent.createCreditor(validCreditor())
	mine, theirs := agent.createDebtor(validDebtor()), agent.createDebtor(validDebtor())
	debt := planDebt(agent, cr.ID, mine.ID, 1_000_000)
	otherDebt := planDebt(agent, cr.ID, theirs.ID, 1_000_000)
	debtorUser := app.NewTenant(t, "debtor", mine.ID)
	creditorUser := app.NewTenant(t, "creditor", cr.ID)
	debtor, creditor := agent.as(debtorUser), agent.as(creditorUser)
	path := "/api/v1/debts/" + debt + "/promises"

	list := func(c *client) []promiseBody {
		c.t.Helper()
		r := c.get(path)
		want(c.t, r, http.StatusOK)
		var p page[promiseBody]
		r.decode(c.t, &p)
		return p.Items
	}
	statuses := func(ps []promiseBody) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Status)
		}
		return out
	}

	t.Run("the debtor promises on its own debt", func(t *testing.T) {
		r := debtor.on(t).post(path, obj{"amount": 200_000, "due": "2026-01-10"})
		want(t, r, http.StatusCreated)
		var p promiseBody
		r.decode(t, &p)
		if p.DebtID != debt || p.Amount != 200_000 || p.Due != "2026-01-10" || p.MadeOn != "2026-01-04" ||
			p.MadeBy != debtorUser.ID || p.Status != "pending" || !uuidPattern.MatchString(p.ID) {
			t.Errorf("promise %+v", p)
		}
	})

	t.Run("but not on another's", func(t *testing.T) {
		c := debtor.on(t)
		wantProblem(t, c.post("/api/v1/debts/"+otherDebt+"/promises", obj{"amount": 200_000, "due": "2026-01-10"}), http.StatusNotFound)
		wantProblem(t, c.get("/api/v1/debts/"+otherDebt+"/promises"), http.StatusNotFound)
		wantProblem(t, c.get("/api/v1/debts/"+otherDebt+"/plan"), http.StatusNotFound)
	})

	t.Run("a creditor reads promises but makes none", func(t *testing.T) {
		c := creditor.on(t)
		wantProblem(t, c.post(path, obj{"amount": 1000, "due": "2026-01-10"}), http.StatusForbidden)
		if got := list(c); len(got) != 1 {
			t.Errorf("the creditor reads %d promises", len(got))
		}
	})

	t.Run("staff take one down", func(t *testing.T) {
		c := agent.on(t)
		want(t, c.post(path, obj{"amount": 300_000, "due": "2026-01-20"}), http.StatusCreated)
		// An Idempotency-Key makes a retry answer the first promise.
		r1 := c.post(path, obj{"amount": 100_000, "due": "2026-01-08"}, idemKey("promise-3"))
		want(t, r1, http.StatusCreated)
		r2 := c.post(path, obj{"amount": 100_000, "due": "2026-01-08"}, idemKey("promise-3"))
		want(t, r2, http.StatusCreated)
		var p1, p2 promiseBody
		r1.decode(t, &p1)
		r2.decode(t, &p2)
		if p1.ID != p2.ID {
			t.Errorf("a retried promise made %s and %s", p1.ID, p2.ID)
		}
		if got := statuses(list(c)); !slices.Equal(got, []string{"pending", "pending", "pending"}) {
			t.Errorf("statuses %v", got)
		}
	})

	t.Run("rejections", func(t *testing.T) {
		c := debtor.on(t)
		for _, tc := range []struct {
			body  obj
			field string
		}{
			{obj{"amount": 1000, "due": "2026-01-03"}, "due"},
			{obj{"amount": 1000, "due": "2026-04-05"}, "due"}, // more than 90 days ahead
			{obj{"amount": 1000, "due": "demain"}, "due"},
			{obj{"amount": 0, "due": "2026-01-10"}, "amount"},
			{obj{"amount": 1_000_001, "due": "2026-01-10"}, "amount"}, // more than the balance
		} {
			wantProblem(t, c.post(path, tc.body), http.StatusUnprocessableEntity, tc.field)
		}
		if got := list(c); len(got) != 3 {
			t.Errorf("%d promises after rejections, want 3", len(got))
		}
	})

	var payment string
	t.Run("kept and broken", func(t *testing.T) {
		clock.moveTo(t, app, 2026, time.April, 1, agent.user, debtorUser, creditorUser)
		payment = planPay(agent.on(t), debt, 200_000, "2026-01-08")
		// Newest first: 100 000 by 8 January, 300 000 by 20 January, then
		// the debtor's 200 000 by 10 January. The payment of 8 January keeps
		// the first and the last; 200 000 is short of 300 000.
		got := list(debtor.on(t))
		if !slices.Equal(statuses(got), []string{"kept", "broken", "kept"}) || got[0].AsOf != "2026-04-01" {
			t.Errorf("promises %+v", got)
		}
	})

	t.Run("pending", func(t *testing.T) {
		c := debtor.on(t)
		want(t, c.post(path, obj{"amount": 100_000, "due": "2026-04-15"}), http.StatusCreated)
		if got := statuses(list(c)); !slices.Equal(got, []string{"pending", "kept", "broken", "kept"}) {
			t.Errorf("statuses %v", got)
		}
	})

	t.Run("a reversed payment keeps no promise", func(t *testing.T) {
		c := agent.on(t)
		want(t, c.post("/api/v1/payments/"+payment+"/reversal", obj{"reason": "chèque rejeté"}), http.StatusOK)
		if got := statuses(list(c)); !slices.Equal(got, []string{"pending", "broken", "broken", "broken"}) {
			t.Errorf("statuses %v", got)
		}
	})
}
