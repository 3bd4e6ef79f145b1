package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// taskRefBody is the task an interaction created.
type taskRefBody struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Due      time.Time `json:"due"`
	Assignee string    `json:"assignee"`
	Status   string    `json:"status"`
}

// interactionBody is an interaction as the API shows it.
type interactionBody struct {
	ID         string       `json:"id"`
	DebtID     string       `json:"debt_id"`
	Channel    string       `json:"channel"`
	Direction  string       `json:"direction"`
	Outcome    string       `json:"outcome"`
	Summary    string       `json:"summary"`
	OccurredAt time.Time    `json:"occurred_at"`
	LoggedBy   string       `json:"logged_by"`
	LoggedAt   time.Time    `json:"logged_at"`
	FollowUp   *taskRefBody `json:"follow_up"`
}

// taskBody is a task of the work queue.
type taskBody struct {
	ID            string     `json:"id"`
	DebtID        string     `json:"debt_id"`
	DebtRef       string     `json:"debt_ref"`
	DebtStatus    string     `json:"debt_status"`
	DaysPastDue   int        `json:"days_past_due"`
	Balance       int64      `json:"balance"`
	InteractionID string     `json:"interaction_id"`
	Title         string     `json:"title"`
	Due           time.Time  `json:"due"`
	Assignee      string     `json:"assignee"`
	Status        string     `json:"status"`
	CreatedBy     string     `json:"created_by"`
	CompletedBy   string     `json:"completed_by"`
	CompletedAt   *time.Time `json:"completed_at"`
}

// logInteraction posts an interaction and returns it.
func (c *client) logInteraction(debtID string, body obj, hdrs ...header) interactionBody {
	c.t.Helper()
	r := c.post("/api/v1/debts/"+debtID+"/interactions", body, hdrs...)
	want(c.t, r, http.StatusCreated)
	var out interactionBody
	r.decode(c.t, &out)
	return out
}

// tasks lists the work queue with a query and returns the tasks' ids.
func (c *client) tasks(query string) []taskBody {
	c.t.Helper()
	r := c.get("/api/v1/tasks" + query)
	want(c.t, r, http.StatusOK)
	var l page[taskBody]
	r.decode(c.t, &l)
	if l.NextCursor != "" {
		c.t.Fatalf("tasks%s has a next page", query)
	}
	return l.Items
}

func taskIDs(ts []taskBody) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestInteractionsAndTasks(t *testing.T) {
	t.Parallel()
	now, day := algiersClock()
	app, agent := start(t, apptest.Options{Now: now})
	agent2 := agent.as(app.NewStaff(t, "agent"))
	auditor := agent.as(app.NewStaff(t, "auditor"))
	cr := agent.createCreditor(validCreditor())
	dr := agent.createDebtor(validDebtor())
	creditor := agent.as(app.NewTenant(t, "creditor", cr.ID))
	debtor := agent.as(app.NewTenant(t, "debtor", dr.ID))
	// Four debts, from the most urgent: 90 days past due; 30 days with
	// the larger balance; 30 days; not yet due, with the largest balance.
	open := func(dueIn int, principal int64) debt {
		return agent.openDebt(with(validDebt(cr.ID, dr.ID), obj{"original_due_on": day(dueIn), "principal": principal, "fees": 0}))
	}
	dC, dB, dA, dD := open(-90, 100_000), open(-30, 5_000_000), open(-30, 1_000_000), open(10, 9_000_000)
	rfc := func(d time.Duration) string { return now().Add(d).Format(time.RFC3339) }

	var iC, iB, iA, iD, iA2, iB2 interactionBody
	t.Run("log interactions with follow-ups", func(t *testing.T) {
		c := agent.on(t)
		iC = c.logInteraction(dC.ID, obj{"channel": "call", "direction": "outbound", "outcome": "no_answer",
			"follow_up": obj{"due": day(0)}})
		if iC.Channel != "call" || iC.Direction != "outbound" || iC.Outcome != "no_answer" || iC.DebtID != dC.ID ||
			iC.LoggedBy != c.user.ID || iC.FollowUp == nil || iC.FollowUp.Assignee != c.user.ID ||
			iC.FollowUp.Status != "open" || iC.FollowUp.Title != "Follow up the call (no answer)" {
			t.Fatalf("call: %+v %+v", iC, iC.FollowUp)
		}
		// A date is due by the end of that day in Algiers (UTC+1).
		if got := iC.FollowUp.Due.UTC().Format(time.RFC3339); got != day(0)+"T22:59:59Z" {
			t.Errorf("due %s, want the end of %s in Algiers", got, day(0))
		}
		if d := now().Sub(iC.OccurredAt); d < 0 || d > time.Minute {
			t.Errorf("occurred_at %s defaults to now (%s)", iC.OccurredAt, now())
		}
		iB = c.logInteraction(dB.ID, obj{"channel": " Call", "direction": "inbound", "outcome": "reached",
			"summary":     "Le gérant propose un échéancier en 3 fois.\r\nRappeler après accord du créancier.",
			"occurred_at": rfc(-2 * time.Hour), "follow_up": obj{"due": day(0), "assignee": "me", "title": "Envoyer l'échéancier"}})
		if iB.Summary != "Le gérant propose un échéancier en 3 fois.\nRappeler après accord du créancier." ||
			iB.FollowUp.Title != "Envoyer l'échéancier" || now().Add(-2*time.Hour).Sub(iB.OccurredAt).Abs() > 2*time.Second {
			t.Errorf("inbound call: %+v", iB)
		}
		iA = c.logInteraction(dA.ID, obj{"channel": "visit", "outcome": "promise", "summary": "Promet 5 000 DA samedi",
			"occurred_at": rfc(-3 * time.Hour), "follow_up": obj{"due": rfc(-time.Hour), "title": "Vérifier le versement"}})
		if iA.Direction != "" || iA.Outcome != "promise" {
			t.Errorf("visit: %+v", iA)
		}
		// A letter sent by hand is outbound unless said.
		iD = c.logInteraction(dD.ID, obj{"channel": "letter", "summary": "Mise en demeure remise en main propre",
			"follow_up": obj{"due": day(0)}})
		if iD.Direction != "outbound" || iD.FollowUp.Title != "Follow up the letter" {
			t.Errorf("letter: %+v", iD)
		}
		iA2 = c.logInteraction(dA.ID, obj{"channel": "note", "summary": "Le débiteur a changé d'employeur",
			"follow_up": obj{"due": day(3), "title": "Chercher le nouvel employeur"}})
		iB2 = c.logInteraction(dB.ID, obj{"channel": "email", "summary": "Relevé envoyé",
			"follow_up": obj{"due": day(0), "assignee": agent2.user.ID, "title": "Relancer par e-mail"}})
		if iB2.FollowUp.Assignee != agent2.user.ID {
			t.Errorf("assigned to %s, want %s", iB2.FollowUp.Assignee, agent2.user.ID)
		}
		// An interaction without a follow-up creates no task.
		sms := c.logInteraction(dB.ID, obj{"channel": "sms", "direction": "outbound", "summary": "Rappel envoyé depuis le téléphone de service"})
		if sms.FollowUp != nil {
			t.Errorf("sms: %+v", sms)
		}
	})

	t.Run("work queue by priority", func(t *testing.T) {
		c := agent.on(t)
		mine := c.tasks("?assignee=me&due=today")
		if got, want := taskIDs(mine), []string{iC.FollowUp.ID, iB.FollowUp.ID, iA.FollowUp.ID, iD.FollowUp.ID}; !slices.Equal(got, want) {
			t.Fatalf("assignee=me&due=today = %v, want %v", got, want)
		}
		first := mine[0]
		if first.DaysPastDue != 90 || first.Balance != 100_000 || first.DebtRef != dC.Ref || first.DebtStatus != "open" ||
			first.InteractionID != iC.ID || first.Assignee != c.user.ID || first.Status != "open" || first.CreatedBy != c.user.ID {
			t.Errorf("first task: %+v", first)
		}
		if mine[1].DaysPastDue != 30 || mine[1].Balance != 5_000_000 || mine[3].DaysPastDue != 0 {
			t.Errorf("priorities: %+v", mine)
		}
		if got := taskIDs(c.tasks("?assignee=me&due=overdue")); !slices.Equal(got, []string{iA.FollowUp.ID}) {
			t.Errorf("overdue = %v, want the visit's task", got)
		}
		// The week adds the task due in three days, after the overdue one
		// of the same debt.
		week := taskIDs(c.tasks("?due=week&assignee=me"))
		if want := []string{iC.FollowUp.ID, iB.FollowUp.ID, iA.FollowUp.ID, iA2.FollowUp.ID, iD.FollowUp.ID}; !slices.Equal(week, want) {
			t.Errorf("week = %v, want %v", week, want)
		}
		// Everyone's queue has the other agent's task too; theirs only it.
		all := taskIDs(c.tasks("?due=today"))
		if len(all) != 5 || !slices.Contains(all, iB2.FollowUp.ID) {
			t.Errorf("everyone's today = %v", all)
		}
		if got := taskIDs(agent2.on(t).tasks("?assignee=me&due=today")); !slices.Equal(got, []string{iB2.FollowUp.ID}) {
			t.Errorf("agent2's queue = %v", got)
		}
		if got := taskIDs(c.tasks("?assignee=" + agent2.user.ID)); !slices.Equal(got, []string{iB2.FollowUp.ID}) {
			t.Errorf("assignee=<agent2> = %v", got)
		}
		if got := taskIDs(c.tasks("?debt_id=" + dA.ID)); !slices.Equal(got, []string{iA.FollowUp.ID, iA2.FollowUp.ID}) {
			t.Errorf("debt_id = %v", got)
		}
		// Paging keeps the order.
		paged := listAll(t, c, "/api/v1/tasks?due=week&assignee=me", 2, func(t taskBody) string { return t.ID })
		if !slices.Equal(paged, week) {
			t.Errorf("paged = %v, want %v", paged, week)
		}
		for _, q := range []string{"?due=tomorrow", "?assignee=someone", "?status=closed", "?limit=0", "?cursor=xyz",
			"?debt_id=42", "?colour=blue", "?due=today&due=week"} {
			wantProblem(t, c.get("/api/v1/tasks"+q), http.StatusUnprocessableEntity)
		}
	})

	t.Run("complete a task", func(t *testing.T) {
		c := agent.on(t)
		r := c.post("/api/v1/tasks/"+iB.FollowUp.ID+"/completion", nil)
		want(t, r, http.StatusOK)
		var done taskBody
		r.decode(t, &done)
		if done.Status != "done" || done.CompletedBy != c.user.ID || done.CompletedAt == nil || done.ID != iB.FollowUp.ID {
			t.Errorf("completed: %+v", done)
		}
		if got := taskIDs(c.tasks("?assignee=me&due=today")); slices.Contains(got, iB.FollowUp.ID) || len(got) != 3 {
			t.Errorf("the queue after completion: %v", got)
		}
		if got := taskIDs(c.tasks("?status=done")); !slices.Equal(got, []string{iB.FollowUp.ID}) {
			t.Errorf("done = %v", got)
		}
		// Another agent may complete a task; an empty object is no body.
		want(t, agent2.on(t).post("/api/v1/tasks/"+iC.FollowUp.ID+"/completion", obj{}), http.StatusOK)
		wantSlug(t, c.post("/api/v1/tasks/"+iB.FollowUp.ID+"/completion", nil), http.StatusUnprocessableEntity, "no-change")
		wantProblem(t, c.post("/api/v1/tasks/0190a000-0000-7000-8000-000000000000/completion", nil), http.StatusNotFound)
		wantProblem(t, c.post("/api/v1/tasks/"+iA.FollowUp.ID+"/completion", obj{"note": "x"}), http.StatusUnprocessableEntity, "note")
		// The interaction shows its task done.
		r = c.get("/api/v1/debts/" + dB.ID + "/interactions")
		want(t, r, http.StatusOK)
		var l page[interactionBody]
		r.decode(t, &l)
		if len(l.Items) != 3 {
			t.Fatalf("%d interactions on debt B, want 3", len(l.Items))
		}
		for _, it := range l.Items {
			if it.ID == iB.ID && (it.FollowUp == nil || it.FollowUp.Status != "done") {
				t.Errorf("the call's task: %+v", it.FollowUp)
			}
		}
	})

	t.Run("list interactions", func(t *testing.T) {
		c := auditor.on(t)
		// Most recent first: the SMS and the e-mail were logged now, the
		// call two hours ago.
		ids := listAll(t, c, "/api/v1/debts/"+dB.ID+"/interactions", 1, func(i interactionBody) string { return i.ID })
		if len(ids) != 3 || ids[2] != iB.ID || !slices.Contains(ids, iB2.ID) {
			t.Errorf("interactions of B = %v", ids)
		}
		wantProblem(t, c.get("/api/v1/debts/0190a000-0000-7000-8000-000000000000/interactions"), http.StatusNotFound)
		wantProblem(t, c.get("/api/v1/debts/"+dB.ID+"/interactions?limit=500"), http.StatusUnprocessableEntity, "limit")
	})

	t.Run("invalid interactions", func(t *testing.T) {
		c := agent.on(t)
		post := func(body obj) response { return c.post("/api/v1/debts/"+dA.ID+"/interactions", body) }
		wantProblem(t, post(obj{"channel": "call"}), http.StatusUnprocessableEntity, "direction", "outcome")
		wantProblem(t, post(obj{"channel": "note"}), http.StatusUnprocessableEntity, "summary")
		wantProblem(t, post(obj{"channel": "fax"}), http.StatusUnprocessableEntity, "channel")
		wantProblem(t, post(obj{"channel": "visit", "direction": "inbound"}), http.StatusUnprocessableEntity, "direction")
		wantProblem(t, post(obj{"channel": "note", "summary": strings.Repeat("x", 2001)}), http.StatusUnprocessableEntity, "summary")
		wantProblem(t, post(obj{"channel": "note", "summary": "x", "occurred_at": rfc(time.Hour)}), http.StatusUnprocessableEntity, "occurred_at")
		wantProblem(t, post(obj{"channel": "note", "summary": "x", "occurred_at": "hier"}), http.StatusUnprocessableEntity, "occurred_at")
		wantProblem(t, post(obj{"channel": "note", "summary": "x", "follow_up": obj{}}), http.StatusUnprocessableEntity, "follow_up.due")
		wantProblem(t, post(obj{"channel": "note", "summary": "x", "follow_up": obj{"due": "31/12/2025"}}),
			http.StatusUnprocessableEntity, "follow_up.due")
		wantProblem(t, post(obj{"channel": "note", "summary": "x", "follow_up": obj{"due": rfc(-time.Hour)}}),
			http.StatusUnprocessableEntity, "follow_up.due")
		for _, who := range []string{creditor.user.ID, auditor.user.ID, "0190a000-0000-7000-8000-000000000000", "agent"} {
			wantProblem(t, post(obj{"channel": "note", "summary": "x", "follow_up": obj{"due": day(1), "assignee": who}}),
				http.StatusUnprocessableEntity, "follow_up.assignee")
		}
		wantProblem(t, post(obj{"channel": "note", "summary": "x", "colour": "blue"}), http.StatusUnprocessableEntity, "colour")
		wantProblem(t, c.post("/api/v1/debts/0190a000-0000-7000-8000-000000000000/interactions", obj{"channel": "note", "summary": "x"}),
			http.StatusNotFound)
	})

	t.Run("an Idempotency-Key logs once", func(t *testing.T) {
		c := agent.on(t)
		body := obj{"channel": "call", "direction": "outbound", "outcome": "wrong_number", "follow_up": obj{"due": day(2)}}
		first := c.logInteraction(dD.ID, body, idemKey("call-dD-1"))
		again := c.logInteraction(dD.ID, body, idemKey("call-dD-1"))
		if again.ID != first.ID || again.FollowUp == nil || again.FollowUp.ID != first.FollowUp.ID {
			t.Errorf("replay: %+v, first %+v", again, first)
		}
		ids := listAll(t, c, "/api/v1/debts/"+dD.ID+"/interactions", 10, func(i interactionBody) string { return i.ID })
		if len(ids) != 2 {
			t.Errorf("%d interactions on D, want 2", len(ids))
		}
	})

	t.Run("who may", func(t *testing.T) {
		body := obj{"channel": "note", "summary": "x"}
		for _, c := range []*client{creditor.on(t), debtor.on(t), auditor.on(t)} {
			wantProblem(t, c.post("/api/v1/debts/"+dA.ID+"/interactions", body), http.StatusForbidden)
			wantProblem(t, c.get("/api/v1/tasks"), http.StatusForbidden)
			wantProblem(t, c.post("/api/v1/tasks/"+iD.FollowUp.ID+"/completion", nil), http.StatusForbidden)
		}
		for _, c := range []*client{creditor.on(t), debtor.on(t)} {
			wantProblem(t, c.get("/api/v1/debts/"+dA.ID+"/interactions"), http.StatusForbidden)
		}
	})
}
