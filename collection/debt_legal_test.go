package collection_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

// The legal fixtures: procedures opened on Sunday 4 May 2025 on the legal
// debt of debtHistories, steps recorded by an agent, "today" far enough
// ahead that no step is in the future.
var (
	legalOpenedOn = collection.DateOf(2025, time.May, 4) // a Sunday
	legalToday    = collection.DateOf(2026, time.June, 30)
)

func legalProcID(n int) string { return fmt.Sprintf("0193a1b2-0000-7000-8000-%012x", 0xc00+n) }
func legalStepID(n int) string { return fmt.Sprintf("0193a1b2-0000-7000-8000-%012x", 0xd00+n) }

const legalDoc = "0193a1b2-0000-7000-8000-000000000e01"

func openLegal(n int, kind string) collection.OpenLegalProcedure {
	c := collection.OpenLegalProcedure{ID: debtID, ProcedureID: legalProcID(n), Kind: kind,
		Court: "Tribunal de Sidi M'Hamed", Section: "commerciale", Lawyer: "Me Kaci",
		ClaimedAmount: debtBalance, OpenedOn: legalOpenedOn, Today: legalToday, By: debtAgent}
	if kind == collection.LegalKindFormalNotice {
		c.Court, c.Section = "", ""
	}
	return c
}

func legalOpened(c collection.OpenLegalProcedure) collection.LegalProcedureOpened {
	return collection.LegalProcedureOpened{ID: c.ID, ProcedureID: c.ProcedureID, Kind: c.Kind, Court: c.Court,
		Section: c.Section, CaseNumber: c.CaseNumber, Bailiff: c.Bailiff, Lawyer: c.Lawyer,
		ClaimedAmount: c.ClaimedAmount, OpenedOn: c.OpenedOn, By: c.By}
}

// legalStep is a step of procedure proc, the n-th step id, with the
// details its kind of step needs.
func legalStep(proc, n int, step string, on collection.Date) collection.RecordLegalStep {
	c := collection.RecordLegalStep{ID: debtID, ProcedureID: legalProcID(proc), StepID: legalStepID(n), Step: step, On: on,
		Today: legalToday, By: debtAgent}
	switch step {
	case collection.LegalStepHearingScheduled:
		c.Details.HearingOn = on.AddDays(7)
	case collection.LegalStepJudgment:
		c.Details.Outcome, c.Details.AmountAwarded = collection.JudgmentWon, debtBalance
	case collection.LegalStepClosed:
		c.Details.Outcome = collection.LegalOutcomePaid
	}
	return c
}

func withDetails(c collection.RecordLegalStep, d collection.LegalStepDetails) collection.RecordLegalStep {
	c.Details = d
	return c
}

// legalRun decides commands one after the other from a history and
// returns the history with every event they produced: the events a real
// log would hold.
func legalRun(t *testing.T, history []collection.Event, cmds ...collection.Command) []collection.Event {
	t.Helper()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	s := collection.Fold(b, b.New(debtID), history...)
	out := slices.Clone(history)
	for _, c := range cmds {
		evs, err := collection.Handle(b, s, collection.AnyVersion, c)
		if err != nil {
			t.Fatalf("%T %+v: %v", c, c, err)
		}
		s = collection.Fold(b, s, evs...)
		out = append(out, evs...)
	}
	return out
}

func legalState(history []collection.Event) collection.DebtState {
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	return collection.Fold(b, b.New(debtID), history...).(collection.DebtState)
}

// legalPath records steps one after the other, every 14 days from the
// procedure's opening (Sundays), a hearing a week after it is scheduled.
func legalPath(t *testing.T, kind string, steps ...string) []collection.Event {
	t.Helper()
	h := legalRun(t, debtHistories()[collection.DebtStatusLegal], openLegal(1, kind))
	for i, st := range steps {
		c := legalStep(1, i+1, st, legalOpenedOn.AddDays(14*(i+1)))
		if st == "judgment:lost" {
			c = legalStep(1, i+1, collection.LegalStepJudgment, legalOpenedOn.AddDays(14*(i+1)))
			c.Details.Outcome, c.Details.AmountAwarded = collection.JudgmentLost, 0
		}
		h = legalRun(t, h, c)
	}
	return h
}

// TestLegalStepMachine tries every step from every state of every kind of
// procedure: exactly the steps of the machine, written out again here
// from the table in debt_legal.go, are accepted; every other one is
// rejected as wrong_status, naming the current step and the next ones.
func TestLegalStepMachine(t *testing.T) {
	t.Parallel()
	type state struct {
		path []string // the steps that lead to it ("judgment:lost" for a judgment lost)
		next []string // the steps allowed from it, closed included
	}
	court := []state{
		{nil, []string{"filed", "closed"}},
		{[]string{"filed"}, []string{"served", "hearing_scheduled", "closed"}},
		{[]string{"filed", "served"}, []string{"hearing_scheduled", "closed"}},
		{[]string{"filed", "hearing_scheduled"}, []string{"hearing_scheduled", "judgment", "closed"}},
		{[]string{"filed", "served", "hearing_scheduled", "hearing_scheduled"}, []string{"hearing_scheduled", "judgment", "closed"}},
		{[]string{"filed", "hearing_scheduled", "judgment"}, []string{"appeal", "enforcement_started", "closed"}},
		{[]string{"filed", "hearing_scheduled", "judgment:lost"}, []string{"appeal", "closed"}},
		{[]string{"filed", "hearing_scheduled", "judgment:lost", "appeal"}, []string{"hearing_scheduled", "closed"}},
		{[]string{"filed", "hearing_scheduled", "judgment:lost", "appeal", "hearing_scheduled", "judgment"},
			[]string{"appeal", "enforcement_started", "closed"}},
		{[]string{"filed", "hearing_scheduled", "judgment", "enforcement_started"}, []string{"enforcement_completed", "closed"}},
		{[]string{"filed", "hearing_scheduled", "judgment", "enforcement_started", "enforcement_completed"}, []string{"closed"}},
		{[]string{"filed", "hearing_scheduled", "judgment", "enforcement_started", "enforcement_completed", "closed"}, nil},
	}
	machine := map[string][]state{
		"formal_notice": {
			{nil, []string{"sent", "served", "closed"}},
			{[]string{"sent"}, []string{"served", "closed"}},
			{[]string{"sent", "served"}, []string{"closed"}},
			{[]string{"served"}, []string{"closed"}},
			{[]string{"served", "closed"}, nil},
			{[]string{"closed"}, nil},
		},
		"payment_order": {
			{nil, []string{"filed", "closed"}},
			{[]string{"filed"}, []string{"served", "closed"}},
			{[]string{"filed", "served"}, []string{"contested", "enforcement_started", "closed"}},
			{[]string{"filed", "served", "contested"}, []string{"hearing_scheduled", "closed"}},
			{[]string{"filed", "served", "contested", "hearing_scheduled"}, []string{"hearing_scheduled", "judgment", "closed"}},
			{[]string{"filed", "served", "contested", "hearing_scheduled", "judgment"}, []string{"appeal", "enforcement_started", "closed"}},
			{[]string{"filed", "served", "contested", "hearing_scheduled", "judgment:lost"}, []string{"appeal", "closed"}},
			{[]string{"filed", "served", "contested", "hearing_scheduled", "judgment", "appeal"}, []string{"hearing_scheduled", "closed"}},
			{[]string{"filed", "served", "enforcement_started"}, []string{"enforcement_completed", "closed"}},
			{[]string{"filed", "served", "enforcement_started", "enforcement_completed"}, []string{"closed"}},
			{[]string{"filed", "closed"}, nil},
		},
		"summary_proceedings": court,
		"lawsuit":             court,
		"enforcement": {
			{nil, []string{"served", "enforcement_started", "closed"}},
			{[]string{"served"}, []string{"enforcement_started", "closed"}},
			{[]string{"enforcement_started"}, []string{"enforcement_completed", "closed"}},
			{[]string{"served", "enforcement_started"}, []string{"enforcement_completed", "closed"}},
			{[]string{"served", "enforcement_started", "enforcement_completed"}, []string{"closed"}},
			{[]string{"served", "enforcement_started", "enforcement_completed", "closed"}, nil},
		},
	}
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range machine {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, slices.Sorted(slices.Values(collection.LegalKinds()))) {
		t.Fatalf("the test covers kinds %v, the domain has %v", got, collection.LegalKinds())
	}
	var cases []deciderCase
	for kind, states := range machine {
		for _, st := range states {
			history := legalPath(t, kind, st.path...)
			p, _ := legalState(history).LegalProcedure(legalProcID(1))
			wantNext := st.next
			if wantNext == nil {
				wantNext = []string{}
			}
			if got := p.NextSteps(); !slices.Equal(append([]string{}, got...), wantNext) {
				t.Errorf("%s after %v: NextSteps() = %v, want %v", kind, st.path, got, wantNext)
			}
			on := legalOpenedOn.AddDays(14 * (len(st.path) + 1))
			for _, step := range collection.LegalSteps() {
				cmd := legalStep(1, 99, step, on)
				tc := deciderCase{name: fmt.Sprintf("%s after %v: %s", kind, st.path, step), history: history, cmd: cmd}
				if slices.Contains(st.next, step) {
					b, _ := collection.BehaviourOf(collection.DebtAggregate)
					evs, err := collection.Handle(b, legalState(history), collection.AnyVersion, cmd)
					if err != nil {
						t.Errorf("%s: %v", tc.name, err)
						continue
					}
					tc.want = evs
					if e, ok := evs[0].(collection.LegalStepRecorded); !ok || e.Step != step || e.Seq != len(st.path)+1 {
						t.Errorf("%s: events %+v", tc.name, evs)
					}
				} else {
					tc.code = collection.CodeWrongStatus
				}
				cases = append(cases, tc)
			}
		}
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

// TestLegalWrongStepNamesStepAndNext checks the reasons of out-of-order
// steps: the current step (with a judgment's outcome), and what may come
// next.
func TestLegalWrongStepNamesStepAndNext(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	for _, tc := range []struct {
		kind  string
		path  []string
		step  string
		wants []string
	}{
		{"payment_order", []string{"filed", "served"}, "judgment",
			[]string{"(payment_order) is at step served", "contested, enforcement_started or closed, not judgment"}},
		{"lawsuit", nil, "hearing_scheduled", []string{"(lawsuit) has no step yet", "can be filed or closed, not hearing_scheduled"}},
		{"lawsuit", []string{"filed", "hearing_scheduled", "judgment:lost"}, "enforcement_started",
			[]string{"is at step judgment (lost)", "appeal or closed, not enforcement_started", "a judgment lost is not enforced"}},
		{"formal_notice", []string{"sent", "served", "closed"}, "served", []string{"is closed (outcome paid)", "accepts no more steps"}},
	} {
		h := legalPath(t, tc.kind, tc.path...)
		_, err := collection.Handle(b, legalState(h), collection.AnyVersion, legalStep(1, 99, tc.step, legalToday))
		r, ok := collection.AsRejection(err)
		if !ok || r.Code != collection.CodeWrongStatus {
			t.Errorf("%s %v + %s: %v, want wrong_status", tc.kind, tc.path, tc.step, err)
			continue
		}
		for _, w := range tc.wants {
			if !strings.Contains(r.Reason, w) {
				t.Errorf("%s %v + %s: reason %q lacks %q", tc.kind, tc.path, tc.step, r.Reason, w)
			}
		}
		if !strings.Contains(r.Reason, legalProcID(1)) {
			t.Errorf("reason %q does not name the procedure", r.Reason)
		}
	}
}

func TestLegalOpen(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	legal := h[collection.DebtStatusLegal]
	withOne := legalRun(t, legal, openLegal(1, collection.LegalKindFormalNotice))
	cases := []deciderCase{
		{name: "formal notice, no court", history: legal, cmd: openLegal(1, collection.LegalKindFormalNotice),
			want: evs(legalOpened(openLegal(1, collection.LegalKindFormalNotice)))},
		{name: "payment order", history: legal, cmd: openLegal(1, collection.LegalKindPaymentOrder),
			want: evs(legalOpened(openLegal(1, collection.LegalKindPaymentOrder)))},
		{name: "a second procedure beside the first", history: withOne, cmd: openLegal(2, collection.LegalKindLawsuit),
			want: evs(legalOpened(openLegal(2, collection.LegalKindLawsuit)))},
		{name: "a formal notice may name a court", history: legal,
			cmd: func() collection.OpenLegalProcedure {
				c := openLegal(1, "formal_notice")
				c.Court = "Tribunal d'Oran"
				return c
			}(),
			want: evs(func() collection.LegalProcedureOpened {
				e := legalOpened(openLegal(1, "formal_notice"))
				e.Court = "Tribunal d'Oran"
				return e
			}())},
		{name: "opened today", history: legal,
			cmd: func() collection.OpenLegalProcedure {
				c := openLegal(1, "enforcement")
				c.OpenedOn = legalToday
				return c
			}(),
			want: evs(func() collection.LegalProcedureOpened {
				e := legalOpened(openLegal(1, "enforcement"))
				e.OpenedOn = legalToday
				return e
			}())},

		{name: "unknown debt", cmd: openLegal(1, collection.LegalKindLawsuit), code: collection.CodeNotFound},
		{name: "the same procedure id", history: withOne, cmd: openLegal(1, collection.LegalKindLawsuit), code: collection.CodeAlreadyExists},
		{name: "no court for a lawsuit", history: legal,
			cmd:  func() collection.OpenLegalProcedure { c := openLegal(1, "lawsuit"); c.Court = ""; return c }(),
			code: collection.CodeInvalid, fields: []string{"court"}},
		{name: "bad fields", history: legal, cmd: collection.OpenLegalProcedure{ID: debtID, ProcedureID: "P1", Kind: "arbitration",
			Court: strings.Repeat("x", 201), Section: "a\nb", CaseNumber: " ", Bailiff: "Me\u202eX", ClaimedAmount: 0,
			OpenedOn: legalToday.AddDays(1), By: "me"},
			code: collection.CodeInvalid,
			fields: []string{"procedure_id", "kind", "court", "section", "case_number", "bailiff", "claimed_amount",
				"today", "by"}},
		{name: "opened in the future", history: legal,
			cmd: func() collection.OpenLegalProcedure {
				c := openLegal(1, "lawsuit")
				c.OpenedOn = legalToday.AddDays(1)
				return c
			}(),
			code: collection.CodeInvalid, fields: []string{"opened_on"}},
		{name: "no opening date, claim above the maximum", history: legal,
			cmd: func() collection.OpenLegalProcedure {
				c := openLegal(1, "lawsuit")
				c.OpenedOn, c.ClaimedAmount = collection.Date{}, collection.MaxDebtAmount+1
				return c
			}(),
			code: collection.CodeInvalid, fields: []string{"opened_on", "claimed_amount"}},
	}
	// Every status but legal is refused, on hold from legal included.
	for _, st := range collection.DebtStatuses() {
		if st == collection.DebtStatusLegal {
			continue
		}
		cases = append(cases, deciderCase{name: "debt " + st, history: h[st], cmd: openLegal(1, "lawsuit"), code: collection.CodeWrongStatus})
	}
	cases = append(cases, deciderCase{name: "on hold from legal", history: heldFrom(h, collection.DebtStatusLegal),
		cmd: openLegal(1, "lawsuit"), code: collection.CodeWrongStatus})
	runDecider(t, collection.DebtAggregate, debtID, cases)

	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	_, err := collection.Handle(b, legalState(h[collection.DebtStatusAmicable]), collection.AnyVersion, openLegal(1, "lawsuit"))
	if r, ok := collection.AsRejection(err); !ok || !strings.Contains(r.Reason, "is amicable") || !strings.Contains(r.Reason, "escalate_legal") {
		t.Errorf("open on an amicable debt: %v; want the status named and the way to legal", err)
	}
}

func TestLegalSteps(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	d := collection.DateOf
	lawsuit := legalPath(t, "lawsuit", "filed", "hearing_scheduled") // filed 18 May, hearing set 1 June for 8 June
	lastOn := legalOpenedOn.AddDays(28)
	hearingOn := lastOn.AddDays(7)
	judgment := legalStep(1, 10, "judgment", hearingOn)
	closed := legalPath(t, "formal_notice", "sent", "closed")
	withdrawn := debtEvents(legalPath(t, "lawsuit", "filed"), evs(moved("legal", "withdrawn")))
	costly := legalStep(1, 10, "judgment", hearingOn)
	costly.Cost = 350_000
	costly.DocumentIDs = []string{legalDoc}

	cases := []deciderCase{
		{name: "a cost adds a legal cost charge", history: lawsuit, cmd: costly, want: evs(
			collection.LegalStepRecorded{ID: debtID, ProcedureID: legalProcID(1), StepID: legalStepID(10), Seq: 3, Step: "judgment",
				On: hearingOn, Details: costly.Details, DocumentIDs: []string{legalDoc}, Cost: 350_000,
				Deadlines: []collection.LegalDeadline{{Seq: 3, Name: "appeal", From: hearingOn, Due: d(2025, time.July, 9), Days: 30, Franc: true}},
				Ends:      []collection.LegalDeadlineRef{{Seq: 2, Name: "hearing"}}, By: debtAgent},
			collection.ChargeAdded{ID: debtID, ChargeID: legalStepID(10), Kind: collection.ChargeKindLegalCost, Amount: 350_000,
				Reason: "legal cost: judgment of lawsuit procedure " + legalProcID(1), On: hearingOn, By: debtAgent})},
		{name: "a step on a debt on hold", history: debtEvents(lawsuit, evs(moved("legal", "on_hold"))),
			cmd: withDetails(legalStep(1, 10, "hearing_scheduled", hearingOn), collection.LegalStepDetails{HearingOn: d(2025, time.June, 15), Room: "salle 3"}),
			want: evs(collection.LegalStepRecorded{ID: debtID, ProcedureID: legalProcID(1), StepID: legalStepID(10), Seq: 3,
				Step: "hearing_scheduled", On: hearingOn, Details: collection.LegalStepDetails{HearingOn: d(2025, time.June, 15), Room: "salle 3"},
				Deadlines: []collection.LegalDeadline{{Seq: 3, Name: "hearing", From: d(2025, time.June, 15), Due: d(2025, time.June, 15)}},
				Ends:      []collection.LegalDeadlineRef{{Seq: 2, Name: "hearing"}}, By: debtAgent})},
		{name: "closing a procedure of a withdrawn debt", history: withdrawn, cmd: legalStep(1, 10, "closed", legalToday),
			want: evs(collection.LegalStepRecorded{ID: debtID, ProcedureID: legalProcID(1), StepID: legalStepID(10), Seq: 2,
				Step: "closed", On: legalToday, Details: collection.LegalStepDetails{Outcome: "paid"}, By: debtAgent})},
		{name: "the same date as the previous step", history: lawsuit,
			cmd: withDetails(legalStep(1, 10, "hearing_scheduled", lastOn), collection.LegalStepDetails{HearingOn: lastOn}),
			want: evs(collection.LegalStepRecorded{ID: debtID, ProcedureID: legalProcID(1), StepID: legalStepID(10), Seq: 3,
				Step: "hearing_scheduled", On: lastOn, Details: collection.LegalStepDetails{HearingOn: lastOn},
				Deadlines: []collection.LegalDeadline{{Seq: 3, Name: "hearing", From: lastOn, Due: lastOn}},
				Ends:      []collection.LegalDeadlineRef{{Seq: 2, Name: "hearing"}}, By: debtAgent})},

		// Rejections.
		{name: "unknown debt", cmd: judgment, code: collection.CodeNotFound},
		{name: "unknown procedure", history: lawsuit, cmd: legalStep(2, 10, "filed", legalToday), code: collection.CodeNotFound},
		{name: "a closed procedure", history: closed, cmd: legalStep(1, 10, "served", legalToday), code: collection.CodeWrongStatus},
		{name: "closed twice", history: closed, cmd: legalStep(1, 10, "closed", legalToday), code: collection.CodeWrongStatus},
		{name: "a withdrawn debt takes no other step", history: withdrawn, cmd: legalStep(1, 10, "served", legalToday),
			code: collection.CodeWrongStatus},
		{name: "a withdrawn debt takes no cost", history: withdrawn,
			cmd:  func() collection.RecordLegalStep { c := legalStep(1, 10, "closed", legalToday); c.Cost = 1; return c }(),
			code: collection.CodeWrongStatus},
		{name: "a step id used before", history: lawsuit, cmd: legalStep(1, 2, "judgment", hearingOn), code: collection.CodeAlreadyExists},
		{name: "a step id used as a charge", history: debtEvents(lawsuit, evs(collection.ChargeAdded(charge(0xd00-0xb00+10, "fee", 5)))),
			cmd: costly, code: collection.CodeAlreadyExists},
		{name: "before the previous step", history: lawsuit, cmd: withDetails(legalStep(1, 10, "hearing_scheduled", lastOn.AddDays(-1)),
			collection.LegalStepDetails{HearingOn: hearingOn}), code: collection.CodeInvalid, fields: []string{"on"}},
		{name: "the first step before the opening", history: legalPath(t, "lawsuit"), cmd: legalStep(1, 10, "filed", legalOpenedOn.AddDays(-1)),
			code: collection.CodeInvalid, fields: []string{"on"}},
		{name: "a judgment before its hearing", history: lawsuit, cmd: legalStep(1, 10, "judgment", hearingOn.AddDays(-1)),
			code: collection.CodeInvalid, fields: []string{"on"}},
		{name: "a step in the future", history: lawsuit, cmd: legalStep(1, 10, "judgment", legalToday.AddDays(1)),
			code: collection.CodeInvalid, fields: []string{"on"}},
		{name: "no date, no today, bad ids", history: lawsuit, cmd: collection.RecordLegalStep{ID: debtID, ProcedureID: "x", StepID: "",
			Step: "judgment", Details: collection.LegalStepDetails{Outcome: "won", AmountAwarded: 1}, By: ""},
			code: collection.CodeInvalid, fields: []string{"procedure_id", "step_id", "on", "today", "by"}},
		{name: "an unknown step", history: lawsuit, cmd: legalStep(1, 10, "verdict", hearingOn),
			code: collection.CodeInvalid, fields: []string{"step"}},
		{name: "a hearing without its date", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "hearing_scheduled", lastOn), collection.LegalStepDetails{Room: "2"}),
			code: collection.CodeInvalid, fields: []string{"details.hearing_on"}},
		{name: "a hearing on a Friday", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "hearing_scheduled", lastOn), collection.LegalStepDetails{HearingOn: d(2025, time.June, 13)}),
			code: collection.CodeInvalid, fields: []string{"details.hearing_on"}},
		{name: "a hearing on Independence Day", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "hearing_scheduled", lastOn), collection.LegalStepDetails{HearingOn: d(2026, time.July, 5)}),
			code: collection.CodeInvalid, fields: []string{"details.hearing_on"}},
		{name: "a hearing on a configured holiday", history: lawsuit,
			cmd: func() collection.RecordLegalStep {
				c := withDetails(legalStep(1, 10, "hearing_scheduled", lastOn), collection.LegalStepDetails{HearingOn: d(2025, time.June, 9)})
				c.Holidays = []collection.Date{d(2025, time.June, 9)}
				return c
			}(),
			code: collection.CodeInvalid, fields: []string{"details.hearing_on"}},
		{name: "a hearing before it was scheduled", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "hearing_scheduled", hearingOn), collection.LegalStepDetails{HearingOn: lastOn}),
			code: collection.CodeInvalid, fields: []string{"details.hearing_on"}},
		{name: "a judgment without outcome", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "judgment", hearingOn), collection.LegalStepDetails{}),
			code: collection.CodeInvalid, fields: []string{"details.outcome"}},
		{name: "a judgment won without amount", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "judgment", hearingOn), collection.LegalStepDetails{Outcome: "partial"}),
			code: collection.CodeInvalid, fields: []string{"details.amount_awarded"}},
		{name: "a judgment lost with an amount", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "judgment", hearingOn), collection.LegalStepDetails{Outcome: "lost", AmountAwarded: 5}),
			code: collection.CodeInvalid, fields: []string{"details.amount_awarded"}},
		{name: "a judgment's closure outcome", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "judgment", hearingOn), collection.LegalStepDetails{Outcome: "paid"}),
			code: collection.CodeInvalid, fields: []string{"details.outcome"}},
		{name: "closed without outcome", history: lawsuit,
			cmd:  withDetails(legalStep(1, 10, "closed", hearingOn), collection.LegalStepDetails{Note: "fin"}),
			code: collection.CodeInvalid, fields: []string{"details.outcome"}},
		{name: "details of other steps", history: lawsuit,
			cmd: withDetails(legalStep(1, 10, "closed", hearingOn), collection.LegalStepDetails{Outcome: "won", HearingOn: hearingOn,
				Room: "1", AmountAwarded: 5, Court: "Cour d'Alger", Section: "civile", CaseNumber: "1", Note: "a\x00"}),
			code: collection.CodeInvalid, fields: []string{"details.outcome", "details.hearing_on", "details.room",
				"details.amount_awarded", "details.court", "details.section", "details.case_number", "details.note"}},
		{name: "bad documents and cost", history: lawsuit,
			cmd: func() collection.RecordLegalStep {
				c := legalStep(1, 10, "judgment", hearingOn)
				c.DocumentIDs, c.Cost = []string{legalDoc, "nope", legalDoc}, -1
				return c
			}(),
			code: collection.CodeInvalid, fields: []string{"document_ids[1]", "document_ids[2]", "cost"}},
		{name: "too many documents", history: lawsuit,
			cmd: func() collection.RecordLegalStep {
				c := legalStep(1, 10, "judgment", hearingOn)
				for i := range collection.MaxLegalDocuments + 1 {
					c.DocumentIDs = append(c.DocumentIDs, legalStepID(100+i))
				}
				return c
			}(),
			code: collection.CodeInvalid, fields: []string{"document_ids"}},
		{name: "a cost above the maximum", history: lawsuit,
			cmd: func() collection.RecordLegalStep {
				c := legalStep(1, 10, "judgment", hearingOn)
				c.Cost = collection.MaxDebtAmount - debtBalance + 1
				return c
			}(),
			code: collection.CodeInvalid, fields: []string{"cost"}},
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
	_ = h
}

// TestLegalCosts follows the balance: a step's legal cost is owed as fees,
// and a payment settles it first.
func TestLegalCosts(t *testing.T) {
	t.Parallel()
	h := legalPath(t, "payment_order", "filed")
	c := legalStep(1, 10, "served", legalOpenedOn.AddDays(30))
	c.Cost = 1_200_000 // the bailiff's fee
	h = legalRun(t, h, c)
	s := legalState(h)
	if s.Balance() != debtBalance+1_200_000 || s.LegalCosts() != 1_200_000 || s.Charges() != 1_200_000 ||
		s.FeesOutstanding() != debtFees+1_200_000 {
		t.Errorf("balance %d, legal costs %d, charges %d, fees %d", s.Balance(), s.LegalCosts(), s.Charges(), s.FeesOutstanding())
	}
	if p, _ := s.LegalProcedure(legalProcID(1)); p.Costs != 1_200_000 || p.Step != "served" || p.Steps != 2 {
		t.Errorf("procedure %+v", p)
	}
	h = legalRun(t, h, cash(1, 1_250_000))
	if s := legalState(h); s.FeesOutstanding() != 0 || s.PrincipalOutstanding() != debtPrincipal-0 || s.Balance() != debtBalance+1_200_000-1_250_000 {
		t.Errorf("after a payment: fees %d, principal %d, balance %d", s.FeesOutstanding(), s.PrincipalOutstanding(), s.Balance())
	}
}

// TestLegalDeadlines computes deadlines on the business calendar: a
// payment order's pay and contest deadlines (15 days, franc) across a
// weekend and Independence Day, or the configured Aïd el-Fitr; a formal
// notice's pay deadline across Labour Day; the hearing itself; the appeal
// and, after an appeal, the cassation deadline. Steps end what they meet
// or make moot, and closing ends every deadline.
func TestLegalDeadlines(t *testing.T) {
	t.Parallel()
	d := collection.DateOf
	h := legalRun(t, debtHistories()[collection.DebtStatusLegal], openLegal(1, "payment_order"),
		legalStep(1, 1, "filed", d(2025, time.June, 1)))
	served := legalStep(1, 2, "served", d(2025, time.June, 19)) // a Thursday
	h = legalRun(t, h, served)
	// 19 June + 15 days + 1 (franc) = Saturday 5 July, Independence Day:
	// the next business day is Sunday 6 July.
	want := []collection.LegalDeadline{
		{Seq: 2, Name: "pay", From: d(2025, time.June, 19), Due: d(2025, time.July, 6), Days: 15, Franc: true},
		{Seq: 2, Name: "contest", From: d(2025, time.June, 19), Due: d(2025, time.July, 6), Days: 15, Franc: true},
	}
	p, _ := legalState(h).LegalProcedure(legalProcID(1))
	if !reflect.DeepEqual(p.Deadlines, want) {
		t.Errorf("served: deadlines %+v\nwant %+v", p.Deadlines, want)
	}
	if e := h[len(h)-1].(collection.LegalStepRecorded); !reflect.DeepEqual(e.Deadlines, want) || e.Ends != nil {
		t.Errorf("event deadlines %+v, ends %+v", e.Deadlines, e.Ends)
	}

	// A configured holiday moves the deadline: served Thursday 13 March
	// 2025, +16 is Saturday 29 March; Sunday 30 and Monday 31 are Aïd
	// el-Fitr; the deadline is Tuesday 1 April.
	h2 := legalRun(t, debtHistories()[collection.DebtStatusLegal],
		func() collection.OpenLegalProcedure {
			c := openLegal(2, "payment_order")
			c.OpenedOn = d(2025, time.March, 1)
			return c
		}(),
		legalStep(2, 1, "filed", d(2025, time.March, 2)),
		func() collection.RecordLegalStep {
			c := legalStep(2, 2, "served", d(2025, time.March, 13))
			c.Holidays = []collection.Date{d(2025, time.March, 30), d(2025, time.March, 31)}
			return c
		}())
	if p, _ := legalState(h2).LegalProcedure(legalProcID(2)); len(p.Deadlines) != 2 || !p.Deadlines[0].Due.Equal(d(2025, time.April, 1)) {
		t.Errorf("with Aïd el-Fitr configured: %+v", p.Deadlines)
	}
	// Without it, Sunday 30 March.
	h3 := legalRun(t, debtHistories()[collection.DebtStatusLegal],
		func() collection.OpenLegalProcedure {
			c := openLegal(2, "payment_order")
			c.OpenedOn = d(2025, time.March, 1)
			return c
		}(),
		legalStep(2, 1, "filed", d(2025, time.March, 2)), legalStep(2, 2, "served", d(2025, time.March, 13)))
	if p, _ := legalState(h3).LegalProcedure(legalProcID(2)); len(p.Deadlines) != 2 || !p.Deadlines[0].Due.Equal(d(2025, time.March, 30)) {
		t.Errorf("without holidays configured: %+v", p.Deadlines)
	}

	// Contesting ends both; the hearing is a deadline of its own, replaced
	// by a postponement and ended by the judgment.
	h = legalRun(t, h, legalStep(1, 3, "contested", d(2025, time.June, 29)))
	if e := h[len(h)-1].(collection.LegalStepRecorded); !slices.Equal(e.Ends, []collection.LegalDeadlineRef{{Seq: 2, Name: "pay"}, {Seq: 2, Name: "contest"}}) ||
		e.Deadlines != nil {
		t.Errorf("contested: ends %+v, starts %+v", e.Ends, e.Deadlines)
	}
	h = legalRun(t, h, withDetails(legalStep(1, 4, "hearing_scheduled", d(2025, time.June, 30)),
		collection.LegalStepDetails{HearingOn: d(2025, time.July, 14), Room: "salle 1"}))
	h = legalRun(t, h, withDetails(legalStep(1, 5, "hearing_scheduled", d(2025, time.July, 14)),
		collection.LegalStepDetails{HearingOn: d(2025, time.September, 15)}))
	p, _ = legalState(h).LegalProcedure(legalProcID(1))
	if want := []collection.LegalDeadline{{Seq: 5, Name: "hearing", From: d(2025, time.September, 15), Due: d(2025, time.September, 15)}}; !reflect.DeepEqual(p.Deadlines, want) {
		t.Errorf("after a postponement: %+v", p.Deadlines)
	}
	// Judgment Monday 15 September: +31 is Thursday 16 October.
	h = legalRun(t, h, legalStep(1, 6, "judgment", d(2025, time.September, 15)))
	p, _ = legalState(h).LegalProcedure(legalProcID(1))
	if want := []collection.LegalDeadline{{Seq: 6, Name: "appeal", From: d(2025, time.September, 15), Due: d(2025, time.October, 16), Days: 30, Franc: true}}; !reflect.DeepEqual(p.Deadlines, want) {
		t.Errorf("after the judgment: %+v", p.Deadlines)
	}
	// The appeal ends it; the court of appeal's judgment starts the
	// cassation deadline: 1 December + 61 days is Saturday 31 January
	// 2026, so Sunday 1 February.
	h = legalRun(t, h,
		withDetails(legalStep(1, 7, "appeal", d(2025, time.October, 1)), collection.LegalStepDetails{Court: "Cour d'Alger", CaseNumber: "25/778"}),
		withDetails(legalStep(1, 8, "hearing_scheduled", d(2025, time.October, 5)), collection.LegalStepDetails{HearingOn: d(2025, time.December, 1)}),
		legalStep(1, 9, "judgment", d(2025, time.December, 1)))
	p, _ = legalState(h).LegalProcedure(legalProcID(1))
	if want := []collection.LegalDeadline{{Seq: 9, Name: "cassation", From: d(2025, time.December, 1), Due: d(2026, time.February, 1), Days: 60, Franc: true}}; !reflect.DeepEqual(p.Deadlines, want) {
		t.Errorf("after the appeal's judgment: %+v", p.Deadlines)
	}
	if p.Court != "Cour d'Alger" || p.CaseNumber != "25/778" || p.Section != "commerciale" || !p.Appealed || p.Judgment != "won" {
		t.Errorf("procedure after the appeal: %+v", p)
	}
	// Closing ends every deadline.
	h = legalRun(t, h, legalStep(1, 10, "closed", d(2025, time.December, 2)))
	if e := h[len(h)-1].(collection.LegalStepRecorded); !slices.Equal(e.Ends, []collection.LegalDeadlineRef{{Seq: 9, Name: "cassation"}}) {
		t.Errorf("closed: ends %+v", e.Ends)
	}
	p, _ = legalState(h).LegalProcedure(legalProcID(1))
	if len(p.Deadlines) != 0 || !p.Closed() || p.Outcome != "paid" || p.NextSteps() != nil {
		t.Errorf("closed procedure: %+v", p)
	}

	// A formal notice served Wednesday 16 April 2025: 15 calendar days,
	// not franc, end on Thursday 1 May, Labour Day; then the weekend: the
	// deadline is Sunday 4 May.
	fn := legalRun(t, debtHistories()[collection.DebtStatusLegal],
		func() collection.OpenLegalProcedure {
			c := openLegal(3, "formal_notice")
			c.OpenedOn = d(2025, time.April, 1)
			return c
		}(),
		legalStep(3, 1, "served", d(2025, time.April, 16)))
	p, _ = legalState(fn).LegalProcedure(legalProcID(3))
	if want := []collection.LegalDeadline{{Seq: 1, Name: "pay", From: d(2025, time.April, 16), Due: d(2025, time.May, 4), Days: 15}}; !reflect.DeepEqual(p.Deadlines, want) {
		t.Errorf("formal notice: %+v", p.Deadlines)
	}
	// A référé's ordonnance is appealed within 15 days.
	sp := legalRun(t, debtHistories()[collection.DebtStatusLegal], openLegal(4, "summary_proceedings"),
		legalStep(4, 1, "filed", d(2025, time.May, 5)),
		withDetails(legalStep(4, 2, "hearing_scheduled", d(2025, time.May, 5)), collection.LegalStepDetails{HearingOn: d(2025, time.May, 12)}),
		legalStep(4, 3, "judgment", d(2025, time.May, 12)))
	p, _ = legalState(sp).LegalProcedure(legalProcID(4))
	if len(p.Deadlines) != 1 || p.Deadlines[0].Name != "appeal" || !p.Deadlines[0].Due.Equal(d(2025, time.May, 28)) {
		t.Errorf("référé judgment: %+v", p.Deadlines)
	}
}

// TestLegalDeadlineRules checks the configuration itself: valid deadlines,
// known kinds and steps, and one rule per (kind, deadline name), which is
// how a running deadline finds its rule.
func TestLegalDeadlineRules(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	rules := collection.LegalDeadlineRules()
	if len(rules) == 0 {
		t.Fatal("no rules")
	}
	for _, r := range rules {
		if err := r.Deadline.Validate(); err != nil {
			t.Errorf("rule %+v: %v", r, err)
		}
		if !slices.Contains(collection.LegalSteps(), r.Step) || r.Basis == "" ||
			(r.From != collection.LegalFromStepDate && r.From != collection.LegalFromHearing) {
			t.Errorf("rule %+v", r)
		}
		for _, k := range r.Kinds {
			if !slices.Contains(collection.LegalKinds(), k) {
				t.Errorf("rule %+v: unknown kind %s", r, k)
			}
			key := k + "/" + r.Deadline.Name
			if seen[key] {
				t.Errorf("two rules for %s", key)
			}
			seen[key] = true
		}
		for _, st := range r.EndedBy {
			if !slices.Contains(collection.LegalSteps(), st) {
				t.Errorf("rule %+v: unknown step %s", r, st)
			}
		}
	}
	rules[0].Kinds[0] = "changed"
	if collection.LegalDeadlineRules()[0].Kinds[0] == "changed" {
		t.Error("LegalDeadlineRules returned the package's own slices")
	}
}

func TestLegalEvolveSharesNothing(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	h := legalPath(t, "payment_order", "filed", "served")
	base := legalState(h)
	next := legalRun(t, h, legalStep(1, 10, "contested", legalToday), withDetails(legalStep(1, 11, "hearing_scheduled", legalToday),
		collection.LegalStepDetails{HearingOn: legalToday.AddDays(1)}))
	_ = collection.Fold(b, base, next[len(h):]...)
	p, _ := base.LegalProcedure(legalProcID(1))
	if p.Step != "served" || len(p.Deadlines) != 2 {
		t.Errorf("a later step leaked into the state before it: %+v", p)
	}
	// A step id recorded in one state is free in a sibling.
	other := collection.Fold(b, base, collection.ChargeAdded(charge(1, "fee", 5)))
	if _, err := collection.Handle(b, other, collection.AnyVersion, legalStep(1, 10, "contested", legalToday)); err != nil {
		t.Errorf("step 10 leaked into a sibling state: %v", err)
	}
	// The accessors return copies.
	p.Deadlines[0].Name = "changed"
	if q, _ := base.LegalProcedure(legalProcID(1)); q.Deadlines[0].Name != "pay" {
		t.Error("LegalProcedure returned the state's own deadlines")
	}
	if ps := legalState(next).LegalProcedures(); len(ps) != 1 || ps[0].Step != "hearing_scheduled" || ps[0].Steps != 4 {
		t.Errorf("LegalProcedures() = %+v", ps)
	}
}

// TestLegalRecords: a step's records carry a personal part (the note,
// sealed since version 2), a procedure's do not.
func TestLegalRecords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v        any
		personal bool
	}{{collection.OpenLegalProcedure{}, false}, {collection.RecordLegalStep{}, true},
		{collection.LegalProcedureOpened{}, false}, {collection.LegalStepRecorded{}, true}} {
		v, personal := tc.v, tc.personal
		if _, ok := v.(collection.PersonalCarrier); ok != personal {
			t.Errorf("%T carries a personal part: %v, want %v", v, ok, personal)
		}
		switch r := v.(type) {
		case collection.Command:
			if r.Aggregate() != collection.DebtAggregate || !strings.HasPrefix(r.CommandType(), "debt.") {
				t.Errorf("%s of aggregate %s", r.CommandType(), r.Aggregate())
			}
		case collection.Event:
			if r.Aggregate() != collection.DebtAggregate || !strings.HasPrefix(r.EventType(), "debt.") {
				t.Errorf("%s of aggregate %s", r.EventType(), r.Aggregate())
			}
		}
	}
}

func TestLegalInputs(t *testing.T) {
	t.Parallel()
	today := collection.DateOf(2025, time.June, 2)
	c, err := collection.LegalProcedureInput{Kind: " Payment_Order ", Court: "  Tribunal   de Blida ", ClaimedAmount: 500_000,
		Bailiff: "Me  Benali"}.Validate(today)
	if err != nil || c.Kind != "payment_order" || c.Court != "Tribunal de Blida" || c.Bailiff != "Me Benali" ||
		!c.OpenedOn.Equal(today) || !c.Today.Equal(today) || c.ClaimedAmount != 500_000 {
		t.Errorf("procedure input: %+v, %v", c, err)
	}
	_, err = collection.LegalProcedureInput{Kind: "lawsuit", OpenedOn: "02/06/2025", Section: "a\u202eb"}.Validate(today)
	wantLegalFields(t, "procedure input", err, "court", "section", "claimed_amount", "opened_on")

	s, note, err := collection.LegalStepInput{Step: "Hearing_Scheduled", Details: collection.LegalStepDetailsInput{HearingOn: "2025-06-15",
		Room: " salle  2 ", Note: " renvoi\r\ndemandé "}, DocumentIDs: []string{" " + strings.ToUpper(legalDoc)}}.Validate(today, nil)
	// The note comes apart, for the caller to seal.
	if err != nil || s.Step != "hearing_scheduled" || !s.On.Equal(today) || s.Details.Room != "salle 2" ||
		s.Details.Note != "" || note != (collection.DebtPersonal{LegalNote: "renvoi\ndemandé"}) ||
		!slices.Equal(s.DocumentIDs, []string{legalDoc}) ||
		!s.Details.HearingOn.Equal(collection.DateOf(2025, time.June, 15)) {
		t.Errorf("step input: %+v, %v", s, err)
	}
	_, _, err = collection.LegalStepInput{Step: "hearing_scheduled", On: "2025-06-03",
		Details: collection.LegalStepDetailsInput{HearingOn: "2025-06-13", Outcome: "won", Note: "a\u202eb"}, Cost: -5}.Validate(today, nil)
	wantLegalFields(t, "step input", err, "on", "details.hearing_on", "details.outcome", "details.note", "cost")
	_, _, err = collection.LegalStepInput{Step: "judgment", Details: collection.LegalStepDetailsInput{HearingOn: "tomorrow"}}.Validate(today, nil)
	wantLegalFields(t, "step input", err, "details.hearing_on", "details.outcome")
	_, _, err = collection.LegalStepInput{Step: "filed", Details: collection.LegalStepDetailsInput{
		Note: strings.Repeat("n", collection.MaxLegalNoteLength+1)}}.Validate(today, nil)
	wantLegalFields(t, "step input", err, "details.note")
	// A configured holiday is no hearing day.
	_, _, err = collection.LegalStepInput{Step: "hearing_scheduled", Details: collection.LegalStepDetailsInput{HearingOn: "2025-06-09"}}.Validate(
		today, []collection.Date{collection.DateOf(2025, time.June, 9)})
	wantLegalFields(t, "step input", err, "details.hearing_on")
}

func wantLegalFields(t *testing.T, what string, err error, fields ...string) {
	t.Helper()
	r, ok := collection.AsRejection(err)
	if !ok || r.Code != collection.CodeInvalid {
		t.Errorf("%s: %v, want invalid", what, err)
		return
	}
	var got []string
	for _, fe := range r.Errors {
		got = append(got, fe.Field)
	}
	slices.Sort(got)
	fields = slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, fields) {
		t.Errorf("%s: fields %v (%+v), want %v", what, got, r.Errors, fields)
	}
}
