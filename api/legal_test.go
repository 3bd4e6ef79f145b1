package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// legalClock is the application's clock for the legal tests: real time
// moved to noon in Algiers on a chosen day, so that steps can be dated
// and deadlines fall within the default window. It only moves forward,
// as sessions and one-time codes expect.
type legalClock struct{ offset atomic.Int64 }

func (c *legalClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *legalClock) set(y int, m time.Month, d int) {
	loc, err := time.LoadLocation("Africa/Algiers")
	if err != nil {
		loc = time.FixedZone("CET", 3600)
	}
	c.offset.Store(int64(time.Until(time.Date(y, m, d, 12, 0, 0, 0, loc))))
}

// moveTo moves the clock to another day and signs the users in again: a
// jump of days ends their sessions.
func (c *legalClock) moveTo(t *testing.T, app *apptest.App, y int, m time.Month, d int, users ...*apptest.User) {
	t.Helper()
	c.set(y, m, d)
	for _, u := range users {
		app.SignIn(t, u)
	}
}

type legalDeadlineBody struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Seq         int    `json:"seq"`
	Step        string `json:"step"`
	From        string `json:"from"`
	Due         string `json:"due"`
	Days        int    `json:"days"`
	Business    bool   `json:"business"`
	Franc       bool   `json:"franc"`
	Status      string `json:"status"`
	Overdue     bool   `json:"overdue"`
	EndedBySeq  *int   `json:"ended_by_seq"`
	ProcedureID string `json:"procedure_id"`
	DebtID      string `json:"debt_id"`
	DebtRef     string `json:"debt_ref"`
	Kind        string `json:"kind"`
	CaseNumber  string `json:"case_number"`
}

type legalStepBody struct {
	ID      string `json:"id"`
	Seq     int    `json:"seq"`
	Step    string `json:"step"`
	On      string `json:"on"`
	Details struct {
		HearingOn     string `json:"hearing_on"`
		Room          string `json:"room"`
		Outcome       string `json:"outcome"`
		AmountAwarded int64  `json:"amount_awarded"`
		CaseNumber    string `json:"case_number"`
		Note          string `json:"note"`
		NoteErased    bool   `json:"note_erased"`
	} `json:"details"`
	DocumentIDs []string `json:"document_ids"`
	Cost        int64    `json:"cost"`
	RecordedBy  string   `json:"recorded_by"`
}

type legalProcedureBody struct {
	ID            string              `json:"id"`
	DebtID        string              `json:"debt_id"`
	CreditorID    string              `json:"creditor_id"`
	DebtorID      string              `json:"debtor_id"`
	Kind          string              `json:"kind"`
	Court         string              `json:"court"`
	Section       string              `json:"section"`
	CaseNumber    string              `json:"case_number"`
	Bailiff       string              `json:"bailiff"`
	Lawyer        string              `json:"lawyer"`
	ClaimedAmount int64               `json:"claimed_amount"`
	OpenedOn      string              `json:"opened_on"`
	OpenedBy      string              `json:"opened_by"`
	Status        string              `json:"status"`
	Step          string              `json:"step"`
	StepOn        string              `json:"step_on"`
	Judgment      string              `json:"judgment"`
	AmountAwarded int64               `json:"amount_awarded"`
	Outcome       string              `json:"outcome"`
	ClosedOn      string              `json:"closed_on"`
	Costs         int64               `json:"costs"`
	NextSteps     []string            `json:"next_steps"`
	Steps         []legalStepBody     `json:"steps"`
	Deadlines     []legalDeadlineBody `json:"deadlines"`
	AsOf          string              `json:"as_of"`
}

type legalDeadlinesPage struct {
	From       string              `json:"from"`
	Before     string              `json:"before"`
	Items      []legalDeadlineBody `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

// legalEscalate takes a debt to status legal: an agent proposes, an
// admin approves (maker-checker).
func legalEscalate(t *testing.T, agent, admin *client, debtID string) {
	t.Helper()
	r := agent.post("/api/v1/debts/"+debtID+"/proposals", obj{"action": "escalate_legal", "reason": "aucune réponse aux relances"})
	want(t, r, http.StatusCreated)
	var p struct {
		ID string `json:"id"`
	}
	r.decode(t, &p)
	want(t, admin.post("/api/v1/approvals/"+p.ID, obj{"approve": true}), http.StatusOK)
	if d := agent.getDebt(debtID); d.Status != "legal" {
		t.Fatalf("debt %s is %s after the approved escalation", debtID, d.Status)
	}
}

func legalOpen(t *testing.T, c *client, debtID string, body obj, hdrs ...header) legalProcedureBody {
	t.Helper()
	r := c.post("/api/v1/debts/"+debtID+"/legal-procedures", body, hdrs...)
	want(t, r, http.StatusCreated)
	var p legalProcedureBody
	r.decode(t, &p)
	if loc := r.Header.Get("Location"); loc != "/api/v1/legal-procedures/"+p.ID {
		t.Errorf("Location %q for procedure %s", loc, p.ID)
	}
	return p
}

func legalStep(t *testing.T, c *client, procID string, body obj, hdrs ...header) legalProcedureBody {
	t.Helper()
	r := c.post("/api/v1/legal-procedures/"+procID+"/steps", body, hdrs...)
	want(t, r, http.StatusCreated)
	var p legalProcedureBody
	r.decode(t, &p)
	return p
}

func legalGet(t *testing.T, c *client, procID string) legalProcedureBody {
	t.Helper()
	r := c.get("/api/v1/legal-procedures/" + procID)
	want(t, r, http.StatusOK)
	var p legalProcedureBody
	r.decode(t, &p)
	return p
}

func legalDeadlines(t *testing.T, c *client, query string) legalDeadlinesPage {
	t.Helper()
	r := c.get("/api/v1/legal/deadlines" + query)
	want(t, r, http.StatusOK)
	var p legalDeadlinesPage
	r.decode(t, &p)
	return p
}

func legalDeadlineNames(p legalDeadlinesPage) []string {
	out := []string{}
	for _, d := range p.Items {
		out = append(out, d.Name+"@"+d.Due)
	}
	return out
}

// TestLegalProcedures works a payment order through the API: opened on a
// debt in legal (and refused on another), steps in order (and refused out
// of order), legal costs in the debt's balance, deadlines on the business
// calendar (15 days franc from Thursday 19 June 2025 end on Saturday 5
// July, Independence Day, hence Sunday 6 July), the list of upcoming
// deadlines, and scoping for creditors and debtors.
func TestLegalProcedures(t *testing.T) {
	t.Parallel()
	clock := &legalClock{}
	clock.set(2025, time.June, 25) // a Wednesday
	app, agent := start(t, apptest.Options{Now: clock.Now})
	adminUser := app.NewStaff(t, "admin")
	admin := agent.as(adminUser)
	auditor := agent.as(app.NewStaff(t, "auditor"))
	cr := agent.createCreditor(validCreditor())
	db := agent.createDebtor(validDebtor())
	otherCr := agent.createCreditor(validCreditor())
	otherDb := agent.createDebtor(validDebtor())
	creditorUser := app.NewTenant(t, "creditor", cr.ID)
	debtorUser := app.NewTenant(t, "debtor", db.ID)
	otherCrUser := app.NewTenant(t, "creditor", otherCr.ID)
	otherDbUser := app.NewTenant(t, "debtor", otherDb.ID)
	creditor, debtor := agent.as(creditorUser), agent.as(debtorUser)
	otherCreditor, otherDebtor := agent.as(otherCrUser), agent.as(otherDbUser)

	d := agent.openDebt(obj{"creditor_id": cr.ID, "debtor_id": db.ID, "external_ref": fmt.Sprintf("LEGAL-%d", next()),
		"type": "commercial", "principal": 10_000_000, "original_due_on": "2025-01-31"})
	notLegal := agent.openDebt(obj{"creditor_id": cr.ID, "debtor_id": db.ID, "external_ref": fmt.Sprintf("LEGAL-%d", next()),
		"type": "commercial", "principal": 2_000_000, "original_due_on": "2025-01-31"})
	otherDebt := agent.openDebt(obj{"creditor_id": otherCr.ID, "debtor_id": otherDb.ID, "external_ref": fmt.Sprintf("LEGAL-%d", next()),
		"type": "commercial", "principal": 3_000_000, "original_due_on": "2025-01-31"})
	legalEscalate(t, agent, admin, d.ID)
	legalEscalate(t, agent, admin, otherDebt.ID)
	orderBody := obj{"kind": "payment_order", "court": " Tribunal de  Sidi M'Hamed ", "section": "commerciale",
		"bailiff": "Me Benali, huissier de justice", "lawyer": "Me Kaci", "claimed_amount": 10_000_000, "opened_on": "2025-06-01"}

	t.Run("opening needs a debt in legal", func(t *testing.T) {
		c := agent.on(t)
		p := wantSlug(t, c.post("/api/v1/debts/"+notLegal.ID+"/legal-procedures", orderBody), http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "is open") || !strings.Contains(p.Detail, "escalate_legal") {
			t.Errorf("detail %q does not name the status and the way to legal", p.Detail)
		}
		wantSlug(t, c.post("/api/v1/debts/"+d.ID+"/legal-procedures", obj{"kind": "lawsuit"}), http.StatusUnprocessableEntity,
			"validation", "court", "claimed_amount")
		wantSlug(t, c.post("/api/v1/debts/"+d.ID+"/legal-procedures", with(orderBody, obj{"kind": "arbitration", "opened_on": "2025-06-26"})),
			http.StatusUnprocessableEntity, "validation", "kind", "opened_on")
		wantSlug(t, c.post("/api/v1/debts/"+d.ID+"/legal-procedures", with(orderBody, obj{"judge": "x"})),
			http.StatusUnprocessableEntity, "validation", "judge")
		wantSlug(t, c.post("/api/v1/debts/"+uuid.Must(uuid.NewV7()).String()+"/legal-procedures", orderBody), http.StatusNotFound, "not-found")
		// Tenants read procedures, they do not open them.
		wantSlug(t, creditor.on(t).post("/api/v1/debts/"+d.ID+"/legal-procedures", orderBody), http.StatusForbidden, "forbidden")
		wantSlug(t, debtor.on(t).post("/api/v1/debts/"+d.ID+"/legal-procedures", orderBody), http.StatusForbidden, "forbidden")
	})

	var proc legalProcedureBody
	t.Run("open", func(t *testing.T) {
		c := agent.on(t)
		proc = legalOpen(t, c, d.ID, orderBody, idemKey("legal-open-1"))
		if proc.DebtID != d.ID || proc.CreditorID != cr.ID || proc.DebtorID != db.ID || proc.Kind != "payment_order" ||
			proc.Court != "Tribunal de Sidi M'Hamed" || proc.Section != "commerciale" || proc.ClaimedAmount != 10_000_000 ||
			proc.OpenedOn != "2025-06-01" || proc.OpenedBy != agent.user.ID || proc.Status != "open" || proc.Step != "opened" ||
			proc.StepOn != "2025-06-01" || len(proc.Steps) != 0 || len(proc.Deadlines) != 0 || proc.AsOf != "2025-06-25" ||
			!slices.Equal(proc.NextSteps, []string{"filed", "closed"}) {
			t.Errorf("opened %+v", proc)
		}
		// A retry with the same key answers the same procedure.
		again := legalOpen(t, c, d.ID, orderBody, idemKey("legal-open-1"))
		if again.ID != proc.ID {
			t.Errorf("retry opened %s, first %s", again.ID, proc.ID)
		}
	})
	if proc.ID == "" {
		t.Fatal("no procedure to work on")
	}
	path := "/api/v1/legal-procedures/" + proc.ID + "/steps"

	t.Run("steps out of order are refused", func(t *testing.T) {
		c := agent.on(t)
		p := wantSlug(t, c.post(path, obj{"step": "served", "on": "2025-06-02"}), http.StatusConflict, "wrong_status")
		if !strings.Contains(p.Detail, "has no step yet") || !strings.Contains(p.Detail, "filed or closed, not served") {
			t.Errorf("detail %q", p.Detail)
		}
		wantSlug(t, c.post(path, obj{"step": "filed", "on": "2025-05-31"}), http.StatusUnprocessableEntity, "validation", "on")
		wantSlug(t, c.post(path, obj{"step": "filed", "on": "2025-06-26"}), http.StatusUnprocessableEntity, "validation", "on")
		wantSlug(t, c.post(path, obj{"step": "filed", "details": obj{"outcome": "won"}}), http.StatusUnprocessableEntity,
			"validation", "details.outcome")
		wantSlug(t, c.post(path, obj{"step": "filing"}), http.StatusUnprocessableEntity, "validation", "step")
		wantSlug(t, c.post("/api/v1/legal-procedures/"+uuid.Must(uuid.NewV7()).String()+"/steps", obj{"step": "filed"}),
			http.StatusNotFound, "not-found")
		wantSlug(t, creditor.on(t).post(path, obj{"step": "filed"}), http.StatusForbidden, "forbidden")
		if got := legalGet(t, c, proc.ID); got.Step != "opened" || len(got.Steps) != 0 {
			t.Errorf("refused steps changed the procedure: %+v", got)
		}
	})

	doc := uuid.Must(uuid.NewV7()).String()
	t.Run("steps, costs and deadlines", func(t *testing.T) {
		c := agent.on(t)
		before := c.getDebt(d.ID)
		p := legalStep(t, c, proc.ID, obj{"step": "filed", "on": "2025-06-01", "document_ids": []string{doc}, "cost": 500_000,
			"details": obj{"case_number": "25/04417", "note": "requête déposée\nau greffe"}})
		if p.Step != "filed" || p.CaseNumber != "25/04417" || p.Costs != 500_000 || len(p.Steps) != 1 ||
			p.Steps[0].Seq != 1 || !slices.Equal(p.Steps[0].DocumentIDs, []string{doc}) || p.Steps[0].Cost != 500_000 ||
			p.Steps[0].Details.Note != "requête déposée\nau greffe" || p.Steps[0].RecordedBy != agent.user.ID ||
			!slices.Equal(p.NextSteps, []string{"served", "closed"}) {
			t.Errorf("filed: %+v", p)
		}
		// The served order: the bailiff's fee, and two deadlines of 15
		// days, franc, from Thursday 19 June: 5 July is a Saturday and
		// Independence Day, so both end on Sunday 6 July.
		p = legalStep(t, c, proc.ID, obj{"step": "served", "on": "2025-06-19", "cost": 1_200_000})
		if len(p.Deadlines) != 2 {
			t.Fatalf("served: deadlines %+v", p.Deadlines)
		}
		// By step, due date and name.
		for i, name := range []string{"contest", "pay"} {
			dl := p.Deadlines[i]
			if dl.Name != name || dl.From != "2025-06-19" || dl.Due != "2025-07-06" || dl.Days != 15 || !dl.Franc || dl.Business ||
				dl.Status != "open" || dl.Overdue || dl.Seq != 2 || dl.Step != "served" {
				t.Errorf("deadline %d: %+v", i, dl)
			}
		}
		after := c.getDebt(d.ID)
		if after.Balance != before.Balance+1_700_000 || after.Charges != before.Charges+1_700_000 || after.Status != "legal" {
			t.Errorf("debt after two legal costs: balance %d (was %d), charges %d", after.Balance, before.Balance, after.Charges)
		}
		// Out of order, and before the previous step.
		wantSlug(t, c.post(path, obj{"step": "judgment", "details": obj{"outcome": "won", "amount_awarded": 1}}),
			http.StatusConflict, "wrong_status")
		wantSlug(t, c.post(path, obj{"step": "contested", "on": "2025-06-18"}), http.StatusUnprocessableEntity, "validation", "on")
		// If-Match holds the step to the debt's version.
		wantSlug(t, c.post(path, obj{"step": "contested", "on": "2025-06-22"}, ifMatch(fmt.Sprintf(`"%d"`, after.Version-1))),
			http.StatusPreconditionFailed, "version-conflict")
	})

	t.Run("upcoming deadlines", func(t *testing.T) {
		c := agent.on(t)
		page := legalDeadlines(t, c, "")
		if page.From != "2025-06-25" || page.Before != "2025-07-25" ||
			!slices.Equal(legalDeadlineNames(page), []string{"pay@2025-07-06", "contest@2025-07-06"}) &&
				!slices.Equal(legalDeadlineNames(page), []string{"contest@2025-07-06", "pay@2025-07-06"}) {
			t.Fatalf("default window: %+v", page)
		}
		if it := page.Items[0]; it.ProcedureID != proc.ID || it.DebtID != d.ID || it.DebtRef != d.Ref || it.Kind != "payment_order" ||
			it.CaseNumber != "25/04417" {
			t.Errorf("item %+v", it)
		}
		// before is exclusive; from is inclusive.
		if p := legalDeadlines(t, c, "?before=2025-07-06"); len(p.Items) != 0 {
			t.Errorf("before the due date: %+v", p.Items)
		}
		if p := legalDeadlines(t, c, "?before=2025-07-07&from=2025-07-06"); len(p.Items) != 2 {
			t.Errorf("on the due date: %+v", p.Items)
		}
		if p := legalDeadlines(t, c, "?from=2025-07-07&before=2025-09-01"); len(p.Items) != 0 {
			t.Errorf("after the due date: %+v", p.Items)
		}
		// Pages of one.
		first := legalDeadlines(t, c, "?limit=1")
		if len(first.Items) != 1 || first.NextCursor == "" {
			t.Fatalf("first page %+v", first)
		}
		second := legalDeadlines(t, c, "?limit=1&cursor="+first.NextCursor)
		if len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID || second.NextCursor != "" {
			t.Errorf("second page %+v after %+v", second, first)
		}
		wantSlug(t, c.get("/api/v1/legal/deadlines?before=6/7/2025"), http.StatusUnprocessableEntity, "validation", "before")
		wantSlug(t, c.get("/api/v1/legal/deadlines?before=2025-06-25"), http.StatusUnprocessableEntity, "validation", "before")
		wantSlug(t, c.get("/api/v1/legal/deadlines?after=2025-06-25"), http.StatusUnprocessableEntity, "validation", "after")
		wantSlug(t, c.get("/api/v1/legal/deadlines?cursor=nope"), http.StatusUnprocessableEntity, "validation", "cursor")
		// Scoped: the debt's own creditor and debtor see them, the others
		// nothing; the auditor reads everything.
		for who, cl := range map[string]*client{"creditor": creditor, "debtor": debtor, "auditor": auditor} {
			if p := legalDeadlines(t, cl.on(t), ""); len(p.Items) != 2 {
				t.Errorf("%s sees %+v", who, p.Items)
			}
		}
		for who, cl := range map[string]*client{"other creditor": otherCreditor, "other debtor": otherDebtor} {
			if p := legalDeadlines(t, cl.on(t), ""); len(p.Items) != 0 {
				t.Errorf("%s sees %+v", who, p.Items)
			}
		}
	})

	t.Run("scoping", func(t *testing.T) {
		for who, cl := range map[string]*client{"creditor": creditor, "debtor": debtor, "auditor": auditor} {
			c := cl.on(t)
			if p := legalGet(t, c, proc.ID); p.ID != proc.ID || len(p.Steps) != 2 {
				t.Errorf("%s reads %+v", who, p)
			}
			r := c.get("/api/v1/debts/" + d.ID + "/legal-procedures")
			want(t, r, http.StatusOK)
		}
		for who, cl := range map[string]*client{"other creditor": otherCreditor, "other debtor": otherDebtor} {
			c := cl.on(t)
			wantSlug(t, c.get("/api/v1/legal-procedures/"+proc.ID), http.StatusNotFound, "not-found")
			wantSlug(t, c.get("/api/v1/debts/"+d.ID+"/legal-procedures"), http.StatusNotFound, "not-found")
			_ = who
		}
		wantSlug(t, agent.on(t).get("/api/v1/legal-procedures/nope"), http.StatusNotFound, "not-found")
	})

	t.Run("contest, hearing, judgment, close", func(t *testing.T) {
		c := agent.on(t)
		p := legalStep(t, c, proc.ID, obj{"step": "contested", "on": "2025-06-22"})
		for _, dl := range p.Deadlines {
			if dl.Status != "ended" || dl.EndedBySeq == nil || *dl.EndedBySeq != 3 {
				t.Errorf("after the opposition: %+v", dl)
			}
		}
		if pg := legalDeadlines(t, c, ""); len(pg.Items) != 0 {
			t.Errorf("ended deadlines still listed: %+v", pg.Items)
		}
		// Courts do not sit on Friday 11 July.
		wantSlug(t, c.post(path, obj{"step": "hearing_scheduled", "on": "2025-06-23", "details": obj{"hearing_on": "2025-07-11"}}),
			http.StatusUnprocessableEntity, "validation", "details.hearing_on")
		p = legalStep(t, c, proc.ID, obj{"step": "hearing_scheduled", "on": "2025-06-23",
			"details": obj{"hearing_on": "2025-07-14", "room": "salle 2"}})
		if p.Steps[3].Details.HearingOn != "2025-07-14" || p.Steps[3].Details.Room != "salle 2" {
			t.Errorf("hearing step %+v", p.Steps[3])
		}
		if pg := legalDeadlines(t, c, ""); !slices.Equal(legalDeadlineNames(pg), []string{"hearing@2025-07-14"}) {
			t.Errorf("hearing not listed: %+v", pg.Items)
		}
		// The judgment is given at the hearing: move to 14 July.
		clock.moveTo(t, app, 2025, time.July, 14, agent.user, creditorUser)
		c = agent.on(t)
		p = legalStep(t, c, proc.ID, obj{"step": "judgment", "on": "2025-07-14",
			"details": obj{"outcome": "partial", "amount_awarded": 9_000_000}})
		if p.Judgment != "partial" || p.AmountAwarded != 9_000_000 ||
			!slices.Equal(p.NextSteps, []string{"appeal", "enforcement_started", "closed"}) {
			t.Errorf("judgment: %+v", p)
		}
		// The appeal deadline: 30 days, franc, from Monday 14 July: Thursday
		// 14 August, one day beyond the default window.
		if pg := legalDeadlines(t, c, ""); len(pg.Items) != 0 || pg.Before != "2025-08-13" {
			t.Errorf("default window after the judgment: %+v", pg)
		}
		if pg := legalDeadlines(t, c, "?before=2025-08-15"); !slices.Equal(legalDeadlineNames(pg), []string{"appeal@2025-08-14"}) {
			t.Errorf("after the judgment: %+v", pg.Items)
		}
		pr := wantSlug(t, c.post(path, obj{"step": "enforcement_completed"}), http.StatusConflict, "wrong_status")
		if !strings.Contains(pr.Detail, "is at step judgment (partial)") ||
			!strings.Contains(pr.Detail, "appeal, enforcement_started or closed, not enforcement_completed") {
			t.Errorf("detail %q", pr.Detail)
		}
		p = legalStep(t, c, proc.ID, obj{"step": "closed", "details": obj{"outcome": "settled", "note": "accord amiable"}})
		if p.Status != "closed" || p.Outcome != "settled" || p.ClosedOn != "2025-07-14" || len(p.NextSteps) != 0 {
			t.Errorf("closed: %+v", p)
		}
		for _, dl := range p.Deadlines {
			if dl.Status != "ended" {
				t.Errorf("deadline still open after closing: %+v", dl)
			}
		}
		pr = wantSlug(t, c.post(path, obj{"step": "closed", "details": obj{"outcome": "paid"}}), http.StatusConflict, "wrong_status")
		if !strings.Contains(pr.Detail, "is closed (outcome settled)") {
			t.Errorf("detail %q", pr.Detail)
		}
		if pg := legalDeadlines(t, creditor.on(t), ""); len(pg.Items) != 0 {
			t.Errorf("a closed procedure's deadlines listed: %+v", pg.Items)
		}
		if got := c.getDebt(d.ID); got.Balance != 10_000_000+1_700_000 || got.Status != "legal" {
			t.Errorf("debt after the procedure: %+v", got)
		}
	})

	t.Run("a debt's procedures", func(t *testing.T) {
		c := agent.on(t)
		notice := legalOpen(t, c, d.ID, obj{"kind": "formal_notice", "claimed_amount": 11_700_000})
		if notice.Court != "" || notice.OpenedOn != "2025-07-14" || !slices.Equal(notice.NextSteps, []string{"sent", "served", "closed"}) {
			t.Errorf("formal notice %+v", notice)
		}
		for _, cl := range []*client{agent, creditor} {
			r := cl.on(t).get("/api/v1/debts/" + d.ID + "/legal-procedures")
			want(t, r, http.StatusOK)
			var list struct {
				Items []legalProcedureBody `json:"items"`
			}
			r.decode(t, &list)
			if len(list.Items) != 2 || list.Items[0].ID != proc.ID || list.Items[1].ID != notice.ID || len(list.Items[0].Steps) != 6 {
				t.Errorf("list %+v", list.Items)
			}
		}
		r := c.get("/api/v1/debts/" + notLegal.ID + "/legal-procedures")
		want(t, r, http.StatusOK)
		var empty struct {
			Items []legalProcedureBody `json:"items"`
		}
		r.decode(t, &empty)
		if empty.Items == nil || len(empty.Items) != 0 {
			t.Errorf("a debt without procedures: %s", r.Body)
		}
	})
}

// TestLegalDeadlinesAcrossAHoliday checks a formal notice served on
// Wednesday 16 April 2025: its 15 calendar days end on Thursday 1 May,
// Labour Day, then the weekend: the deadline is Sunday 4 May; and retries
// with an Idempotency-Key.
func TestLegalDeadlinesAcrossAHoliday(t *testing.T) {
	t.Parallel()
	clock := &legalClock{}
	clock.set(2025, time.April, 20) // a Sunday
	app, agent := start(t, apptest.Options{Now: clock.Now})
	admin := agent.as(app.NewStaff(t, "admin"))
	cr := agent.createCreditor(validCreditor())
	db := agent.createDebtor(validDebtor())
	d := agent.openDebt(obj{"creditor_id": cr.ID, "debtor_id": db.ID, "external_ref": fmt.Sprintf("LEGAL-%d", next()),
		"type": "rent", "principal": 900_000, "original_due_on": "2025-02-01"})
	legalEscalate(t, agent, admin, d.ID)
	n1 := legalOpen(t, agent, d.ID, obj{"kind": "formal_notice", "claimed_amount": 900_000, "opened_on": "2025-04-10"})
	n2 := legalOpen(t, agent, d.ID, obj{"kind": "formal_notice", "claimed_amount": 900_000, "opened_on": "2025-04-10"})
	p := legalStep(t, agent, n1.ID, obj{"step": "served", "on": "2025-04-16"}, idemKey("served-1"))
	if len(p.Deadlines) != 1 || p.Deadlines[0].Name != "pay" || p.Deadlines[0].Due != "2025-05-04" || p.Deadlines[0].Franc {
		t.Fatalf("formal notice deadlines %+v", p.Deadlines)
	}
	if pg := legalDeadlines(t, agent, ""); !slices.Equal(legalDeadlineNames(pg), []string{"pay@2025-05-04"}) {
		t.Errorf("upcoming: %+v", pg.Items)
	}
	// The same key and body again: the same step, not a second one.
	again := legalStep(t, agent, n1.ID, obj{"step": "served", "on": "2025-04-16"}, idemKey("served-1"))
	if len(again.Steps) != 1 {
		t.Errorf("a retry recorded another step: %+v", again.Steps)
	}
	// The same body with another key is another step: refused, as the
	// notice is already served.
	wantSlug(t, agent.post("/api/v1/legal-procedures/"+n1.ID+"/steps", obj{"step": "served", "on": "2025-04-16"}, idemKey("served-2")),
		http.StatusConflict, "wrong_status")
	// Keys are scoped to the path: the same key on another procedure is
	// its own request.
	other := legalStep(t, agent, n2.ID, obj{"step": "served", "on": "2025-04-16"}, idemKey("served-1"))
	if len(other.Steps) != 1 || other.Steps[0].ID == p.Steps[0].ID {
		t.Errorf("the other procedure's step: %+v (first %+v)", other.Steps, p.Steps)
	}
	if got := legalGet(t, agent, n1.ID); len(got.Steps) != 1 {
		t.Errorf("the first procedure has steps %+v", got.Steps)
	}
	// Overdue deadlines show when asked from an earlier date.
	clock.moveTo(t, app, 2025, time.May, 5, agent.user)
	if pg := legalDeadlines(t, agent.on(t), ""); len(pg.Items) != 0 {
		t.Errorf("a past deadline in the default window: %+v", pg.Items)
	}
	pg := legalDeadlines(t, agent.on(t), "?from=2025-04-01")
	if len(pg.Items) != 2 {
		t.Errorf("overdue: %+v", pg.Items)
	}
	for _, it := range pg.Items {
		if !it.Overdue || it.Due != "2025-05-04" || it.Name != "pay" {
			t.Errorf("overdue: %+v", it)
		}
	}
}
