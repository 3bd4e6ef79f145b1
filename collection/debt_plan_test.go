package collection_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

// The plan fixtures: the debt's balance of 1 050 000 centimes, a plan set
// on Sunday 20 April 2025 in two instalments on business days.
var (
	planToday = collection.DateOf(2025, time.April, 20) // a Sunday
	planInst  = []collection.Instalment{
		{Due: collection.DateOf(2025, time.May, 4), Amount: 525_000},  // Sunday
		{Due: collection.DateOf(2025, time.June, 4), Amount: 525_000}, // Wednesday
	}
	planInst2 = []collection.Instalment{
		{Due: collection.DateOf(2025, time.May, 4), Amount: 350_000},
		{Due: collection.DateOf(2025, time.June, 4), Amount: 350_000},
		{Due: collection.DateOf(2025, time.July, 6), Amount: 350_000}, // Sunday after the 5 July holiday
	}
)

func schedule(pairs ...any) []collection.Instalment {
	var out []collection.Instalment
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, collection.Instalment{Due: pairs[i].(collection.Date), Amount: int64(pairs[i+1].(int))})
	}
	return out
}

func setPlan(n int, in []collection.Instalment) collection.SetPlan {
	return collection.SetPlan{ID: debtID, PlanID: debtUUID(n), Instalments: in, Today: planToday,
		MinInstalment: collection.DefaultMinInstalment, By: debtAgent}
}

func revisePlan(n int, in []collection.Instalment) collection.SetPlan {
	c := setPlan(n, in)
	c.Reason = "the debtor lost a client"
	return c
}

func planSet(c collection.SetPlan, supersedes string) collection.PlanSet {
	return collection.PlanSet{ID: c.ID, PlanID: c.PlanID, Instalments: c.Instalments, Reason: c.Reason,
		Supersedes: supersedes, SetOn: c.Today, By: c.By}
}

func toPlan(from string, planID string) collection.DebtStatusChanged {
	return collection.DebtStatusChanged{ID: debtID, From: from, To: collection.DebtStatusPaymentPlan,
		Reason: "payment plan " + planID + " set", By: debtAgent}
}

func promise(n int, amount int64, due collection.Date) collection.MakePromise {
	return collection.MakePromise{ID: debtID, PromiseID: debtUUID(n), Amount: amount, Due: due, Today: planToday, By: debtAgent}
}

func promised(c collection.MakePromise) collection.PromiseMade {
	return collection.PromiseMade{ID: c.ID, PromiseID: c.PromiseID, Amount: c.Amount, Due: c.Due, MadeOn: c.Today, By: c.By}
}

func TestDebtSetPlan(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	first := setPlan(1, planInst)
	withPlan := debtEvents(h["open"], evs(planSet(first, ""), toPlan("open", debtUUID(1))))
	d := collection.DateOf
	cases := []deciderCase{
		{name: "open debt: plan set, moved to payment_plan", history: h["open"], cmd: first,
			want: evs(planSet(first, ""), toPlan("open", debtUUID(1)))},
		{name: "amicable debt: moved to payment_plan", history: h["amicable"], cmd: first,
			want: evs(planSet(first, ""), toPlan("amicable", debtUUID(1)))},
		{name: "payment_plan debt without a plan: no status change", history: h["payment_plan"], cmd: first,
			want: evs(planSet(first, ""))},
		{name: "legal debt keeps its status", history: h["legal"], cmd: first, want: evs(planSet(first, ""))},
		{name: "one instalment of the whole balance", history: h["open"],
			cmd:  setPlan(1, schedule(d(2025, time.April, 20), debtBalance)),
			want: evs(planSet(setPlan(1, schedule(d(2025, time.April, 20), debtBalance)), ""), toPlan("open", debtUUID(1)))},
		{name: "the last instalment may be below the minimum", history: h["open"],
			cmd:  setPlan(1, schedule(d(2025, time.May, 4), debtBalance-100, d(2025, time.May, 5), 100)),
			want: evs(planSet(setPlan(1, schedule(d(2025, time.May, 4), debtBalance-100, d(2025, time.May, 5), 100)), ""), toPlan("open", debtUUID(1)))},
		{name: "no minimum when MinInstalment is 0", history: h["open"],
			cmd: func() collection.SetPlan {
				c := setPlan(1, schedule(d(2025, time.May, 4), 100, d(2025, time.May, 5), debtBalance-100))
				c.MinInstalment = 0
				return c
			}(),
			want: evs(collection.PlanSet{ID: debtID, PlanID: debtUUID(1), Instalments: schedule(d(2025, time.May, 4), 100, d(2025, time.May, 5), debtBalance-100),
				SetOn: planToday, By: debtAgent}, toPlan("open", debtUUID(1)))},
		{name: "revision supersedes the current plan", history: withPlan, cmd: revisePlan(2, planInst2),
			want: evs(planSet(revisePlan(2, planInst2), debtUUID(1)))},
		{name: "a revision of a revision supersedes the latest", history: debtEvents(withPlan, evs(planSet(revisePlan(2, planInst2), debtUUID(1)))),
			cmd: revisePlan(3, planInst), want: evs(planSet(revisePlan(3, planInst), debtUUID(2)))},
		{name: "a plan after the payment_plan status was left", history: debtEvents(withPlan, evs(moved("payment_plan", "amicable"))),
			cmd:  revisePlan(2, planInst2),
			want: evs(planSet(revisePlan(2, planInst2), debtUUID(1)), toPlan("amicable", debtUUID(2)))},
		{name: "a plan for what remains after a payment", history: debtEvents(withPlan,
			evs(recorded(cash(5, 50_000), alloc(50_000, 0, 0)))),
			cmd:  revisePlan(2, schedule(d(2025, time.May, 4), 500_000, d(2025, time.June, 4), 500_000)),
			want: evs(planSet(revisePlan(2, schedule(d(2025, time.May, 4), 500_000, d(2025, time.June, 4), 500_000)), debtUUID(1)))},

		// Rejections.
		{name: "unknown debt", cmd: first, code: collection.CodeNotFound},
		{name: "bad fields", history: h["open"], cmd: collection.SetPlan{ID: debtID, PlanID: "P-1", Instalments: planInst,
			Reason: "a\x00b", MinInstalment: -1, By: "me"},
			code: collection.CodeInvalid, fields: []string{"plan_id", "reason", "today", "min_instalment", "by"}},
		{name: "revision without a reason", history: withPlan, cmd: setPlan(2, planInst2),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "the same instalments again", history: withPlan, cmd: revisePlan(2, planInst), code: collection.CodeNoChange},
		{name: "the same instalments again, retried without a reason", history: withPlan, cmd: setPlan(2, planInst), code: collection.CodeNoChange},
		{name: "the same instalments again after a payment", history: debtEvents(withPlan, evs(recorded(cash(5, 50_000), alloc(50_000, 0, 0)))),
			cmd: setPlan(2, planInst), code: collection.CodeNoChange},
		{name: "a plan id already used", history: withPlan, cmd: revisePlan(1, planInst2), code: collection.CodeAlreadyExists},
		{name: "sum below the balance", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 4), 500_000, d(2025, time.June, 4), 500_000)),
			code: collection.CodeInvalid, fields: []string{"instalments"}},
		{name: "sum above the balance", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 4), 525_000, d(2025, time.June, 4), 525_001)),
			code: collection.CodeInvalid, fields: []string{"instalments"}},
		{name: "the balance fell since: the old sum is wrong", history: debtEvents(h["open"], evs(recorded(cash(5, 50_000), alloc(50_000, 0, 0)))),
			cmd: first, code: collection.CodeInvalid, fields: []string{"instalments"}},
		{name: "a Friday", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 2), 525_000, d(2025, time.June, 4), 525_000)),
			code: collection.CodeInvalid, fields: []string{"instalments[0].due"}},
		{name: "a Saturday", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 4), 525_000, d(2025, time.June, 7), 525_000)),
			code: collection.CodeInvalid, fields: []string{"instalments[1].due"}},
		{name: "Labour Day", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 1), 525_000, d(2025, time.June, 4), 525_000)),
			code: collection.CodeInvalid, fields: []string{"instalments[0].due"}},
		{name: "New Year of the next year", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 4), 525_000, d(2026, time.January, 1), 525_000)),
			code: collection.CodeInvalid, fields: []string{"instalments[1].due"}},
		{name: "a configured holiday (Aïd el-Adha)", history: h["open"], cmd: func() collection.SetPlan {
			c := setPlan(1, schedule(d(2025, time.May, 4), 525_000, d(2025, time.June, 8), 525_000))
			c.Holidays = []collection.Date{d(2025, time.June, 6), d(2025, time.June, 8)}
			return c
		}(), code: collection.CodeInvalid, fields: []string{"instalments[1].due"}},
		{name: "a date in the past", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.April, 17), 525_000, d(2025, time.June, 4), 525_000)),
			code: collection.CodeInvalid, fields: []string{"instalments[0].due"}},
		{name: "not after the previous instalment", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.June, 4), 525_000, d(2025, time.May, 4), 525_000)),
			code: collection.CodeInvalid, fields: []string{"instalments[1].due"}},
		{name: "a date not set", history: h["open"], cmd: setPlan(1, schedule(collection.Date{}, 525_000, d(2025, time.June, 4), 525_000)),
			code: collection.CodeInvalid, fields: []string{"instalments[0].due"}},
		{name: "an instalment below the minimum", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 4), 99_999, d(2025, time.June, 4), debtBalance-99_999)),
			code: collection.CodeInvalid, fields: []string{"instalments[0].amount"}},
		{name: "a configured minimum", history: h["open"], cmd: func() collection.SetPlan {
			c := setPlan(1, planInst2)
			c.MinInstalment = 400_000
			return c
		}(), code: collection.CodeInvalid, fields: []string{"instalments[0].amount", "instalments[1].amount"}},
		{name: "a negative amount", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.May, 4), -5, d(2025, time.June, 4), debtBalance+5)),
			code: collection.CodeInvalid, fields: []string{"instalments[0].amount"}},
		{name: "no instalment", history: h["open"], cmd: setPlan(1, nil), code: collection.CodeInvalid, fields: []string{"instalments"}},
		{name: "every problem at once", history: h["open"], cmd: setPlan(1, schedule(d(2025, time.April, 1), 10, d(2025, time.May, 2), 20)),
			code: collection.CodeInvalid, fields: []string{"instalments[0].due", "instalments[0].amount", "instalments[1].due", "instalments"}},
		{name: "on hold", history: h["on_hold"], cmd: first, code: collection.CodeWrongStatus},
	}
	for _, st := range []string{"recovered", "written_off", "withdrawn", "uncollectible"} {
		cases = append(cases, deciderCase{name: "closed: " + st, history: h[st], cmd: first, code: collection.CodeWrongStatus})
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

func TestDebtMakePromise(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	p := promise(1, 300_000, collection.DateOf(2025, time.April, 30))
	at := func(c collection.MakePromise, due collection.Date) collection.MakePromise { c.Due = due; return c }
	cases := []deciderCase{
		{name: "open debt", history: h["open"], cmd: p, want: evs(promised(p))},
		{name: "due today", history: h["open"], cmd: at(p, planToday), want: evs(promised(at(p, planToday)))},
		{name: "due in 90 days, a Saturday: any day will do", history: h["open"], cmd: at(p, planToday.AddDays(collection.MaxPromiseDays)),
			want: evs(promised(at(p, planToday.AddDays(collection.MaxPromiseDays))))},
		{name: "the whole balance", history: h["open"], cmd: promise(1, debtBalance, planToday), want: evs(promised(promise(1, debtBalance, planToday)))},
		{name: "on a debt with a plan", history: debtEvents(h["open"], evs(planSet(setPlan(2, planInst), ""), toPlan("open", debtUUID(2)))),
			cmd: p, want: evs(promised(p))},
		{name: "on hold: the debtor may still promise", history: h["on_hold"], cmd: p, want: evs(promised(p))},
		{name: "a second promise", history: debtEvents(h["open"], evs(promised(p))), cmd: promise(2, 100_000, planToday),
			want: evs(promised(promise(2, 100_000, planToday)))},

		{name: "unknown debt", cmd: p, code: collection.CodeNotFound},
		{name: "bad fields", history: h["open"], cmd: collection.MakePromise{ID: debtID, PromiseID: "x", By: "y"},
			code: collection.CodeInvalid, fields: []string{"promise_id", "amount", "today", "due", "by"}},
		{name: "due before today", history: h["open"], cmd: at(p, planToday.AddDays(-1)), code: collection.CodeInvalid, fields: []string{"due"}},
		{name: "due too far", history: h["open"], cmd: at(p, planToday.AddDays(collection.MaxPromiseDays+1)), code: collection.CodeInvalid, fields: []string{"due"}},
		{name: "negative amount", history: h["open"], cmd: promise(1, -1, planToday), code: collection.CodeInvalid, fields: []string{"amount"}},
		{name: "more than the balance", history: h["open"], cmd: promise(1, debtBalance+1, planToday), code: collection.CodeInvalid, fields: []string{"amount"}},
		{name: "a promise id already used", history: debtEvents(h["open"], evs(promised(p))), cmd: at(p, planToday), code: collection.CodeAlreadyExists},
	}
	for _, st := range []string{"recovered", "written_off", "withdrawn", "uncollectible"} {
		cases = append(cases, deciderCase{name: "closed: " + st, history: h[st], cmd: p, code: collection.CodeWrongStatus})
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

func TestDebtPlanRejectionsSayWhy(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	h := debtHistories()
	for name, tc := range map[string]struct {
		history []collection.Event
		cmd     collection.Command
		want    []string
	}{
		"sum":     {h["open"], setPlan(1, schedule(planToday, 1000)), []string{"10.00 DZD", "10500.00 DZD"}},
		"weekend": {h["open"], setPlan(1, schedule(collection.DateOf(2025, time.April, 25), debtBalance)), []string{"weekend", "2025-04-27"}},
		"closed":  {h["recovered"], setPlan(1, planInst), []string{"recovered", "closed"}},
		"on hold": {h["on_hold"], setPlan(1, planInst), []string{"on hold", "hardship"}},
		"promise": {h["open"], promise(1, debtBalance+1, planToday), []string{"balance of 10500.00 DZD"}},
	} {
		_, err := collection.Handle(b, collection.Fold(b, b.New(debtID), tc.history...), collection.AnyVersion, tc.cmd)
		r, ok := collection.AsRejection(err)
		if !ok {
			t.Errorf("%s: %v, want a rejection", name, err)
			continue
		}
		text := r.Reason
		for _, fe := range r.Errors {
			text += " | " + fe.Reason
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q does not say %q", name, text, w)
			}
		}
	}
}

func TestDebtPlanState(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	h := debtHistories()
	s := collection.Fold(b, b.New(debtID), h["open"]...).(collection.DebtState)
	if _, ok := s.Plan(); ok {
		t.Fatal("a new debt has a plan")
	}
	first := collection.Fold(b, s, planSet(setPlan(1, planInst), ""), toPlan("open", debtUUID(1))).(collection.DebtState)
	second := collection.Fold(b, first, planSet(revisePlan(2, planInst2), debtUUID(1)), promised(promise(3, 1000, planToday))).(collection.DebtState)
	other := collection.Fold(b, first, promised(promise(4, 2000, planToday))).(collection.DebtState)

	if p, ok := first.Plan(); !ok || p.ID != debtUUID(1) || !slices.Equal(p.Instalments, planInst) || !p.SetOn.Equal(planToday) {
		t.Errorf("first plan: %+v, %v", p, ok)
	}
	if first.Status != collection.DebtStatusPaymentPlan {
		t.Errorf("status %s after the plan", first.Status)
	}
	if p, _ := second.Plan(); p.ID != debtUUID(2) || !slices.Equal(p.Instalments, planInst2) {
		t.Errorf("revised plan: %+v", p)
	}
	// Each state keeps its own: the revision and the promises of one do
	// not show in the other, nor in the state they grew from.
	if p, _ := first.Plan(); p.ID != debtUUID(1) {
		t.Errorf("the revision leaked into the state before it: %+v", p)
	}
	if _, ok := second.Promise(debtUUID(4)); ok {
		t.Error("a promise leaked into a sibling state")
	}
	if _, ok := other.Promise(debtUUID(3)); ok {
		t.Error("a promise leaked into a sibling state")
	}
	if pr, ok := second.Promise(debtUUID(3)); !ok || pr.Amount != 1000 || !pr.MadeOn.Equal(planToday) {
		t.Errorf("promise: %+v, %v", pr, ok)
	}
	// Plan() hands out a copy.
	p, _ := second.Plan()
	p.Instalments[0].Amount = 1
	if again, _ := second.Plan(); again.Instalments[0].Amount != 350_000 {
		t.Error("changing Plan()'s instalments changed the state")
	}
	// The plan id of a superseded plan stays taken.
	if _, err := collection.Handle(b, second, collection.AnyVersion, revisePlan(1, planInst)); err == nil {
		t.Error("the superseded plan's id was accepted again")
	}
}

func TestPlanCalendar(t *testing.T) {
	t.Parallel()
	d := collection.DateOf
	// The fixed holidays of today's year and of each instalment's year,
	// and the configured ones.
	cal := collection.PlanCalendar(d(2025, time.December, 1), schedule(d(2027, time.March, 1), 1), []collection.Date{d(2026, time.March, 20)})
	for _, h := range []collection.Date{d(2025, time.November, 1), d(2026, time.March, 20), d(2027, time.January, 12), d(2027, time.July, 5)} {
		if !cal.IsHoliday(h) {
			t.Errorf("%s is not a holiday of the plan's calendar", h)
		}
	}
	if cal.IsHoliday(d(2028, time.January, 1)) {
		t.Error("the calendar reaches beyond the plan's years")
	}
}

func TestPlanInput(t *testing.T) {
	t.Parallel()
	c, err := collection.PlanInput{Instalments: []collection.InstalmentInput{{Due: " 2025-05-04 ", Amount: 525_000}, {Due: "2025-06-04", Amount: 525_000}},
		Reason: "  accord\r\ntéléphonique "}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Instalments, planInst) || c.Reason != "accord\ntéléphonique" {
		t.Errorf("command %+v", c)
	}
	for name, tc := range map[string]struct {
		in     collection.PlanInput
		fields []string
	}{
		"bad dates": {collection.PlanInput{Instalments: []collection.InstalmentInput{{Due: "04/05/2025", Amount: 1}, {Amount: 2}}},
			[]string{"instalments[0].due", "instalments[1].due"}},
		"too many":   {collection.PlanInput{Instalments: make([]collection.InstalmentInput, collection.MaxInstalments+1)}, []string{"instalments"}},
		"bad reason": {collection.PlanInput{Instalments: []collection.InstalmentInput{{Due: "2025-05-04", Amount: 1}}, Reason: "a\u202eb"}, []string{"reason"}},
	} {
		_, err := tc.in.Validate()
		r, ok := collection.AsRejection(err)
		if !ok {
			t.Errorf("%s: %v, want a rejection", name, err)
			continue
		}
		var got []string
		for _, fe := range r.Errors {
			got = append(got, fe.Field)
		}
		if !slices.Equal(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", name, got, tc.fields)
		}
	}
}

func TestPromiseInput(t *testing.T) {
	t.Parallel()
	c, err := collection.PromiseInput{Amount: 300_000, Due: "2025-04-30"}.Validate(planToday)
	if err != nil {
		t.Fatal(err)
	}
	if c.Amount != 300_000 || !c.Due.Equal(collection.DateOf(2025, time.April, 30)) || !c.Today.Equal(planToday) {
		t.Errorf("command %+v", c)
	}
	for name, tc := range map[string]struct {
		in     collection.PromiseInput
		fields []string
	}{
		"empty":     {collection.PromiseInput{}, []string{"amount", "due"}},
		"bad date":  {collection.PromiseInput{Amount: 1, Due: "tomorrow"}, []string{"due"}},
		"past":      {collection.PromiseInput{Amount: 1, Due: "2025-04-19"}, []string{"due"}},
		"too far":   {collection.PromiseInput{Amount: 1, Due: planToday.AddDays(collection.MaxPromiseDays + 1).String()}, []string{"due"}},
		"too large": {collection.PromiseInput{Amount: collection.MaxDebtAmount + 1, Due: "2025-04-20"}, []string{"amount"}},
	} {
		_, err := tc.in.Validate(planToday)
		r, ok := collection.AsRejection(err)
		if !ok {
			t.Errorf("%s: %v, want a rejection", name, err)
			continue
		}
		var got []string
		for _, fe := range r.Errors {
			got = append(got, fe.Field)
		}
		if !slices.Equal(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", name, got, tc.fields)
		}
	}
}

func TestDebtPlanRecords(t *testing.T) {
	t.Parallel()
	want := map[string]collection.AggregateType{
		"debt.set_plan": collection.DebtAggregate, "debt.make_promise": collection.DebtAggregate,
		"debt.plan_set": collection.DebtAggregate, "debt.promise_made": collection.DebtAggregate,
	}
	for _, v := range []any{collection.SetPlan{}, collection.MakePromise{}, collection.PlanSet{}, collection.PromiseMade{}} {
		if _, ok := v.(collection.PersonalCarrier); ok {
			t.Errorf("%T carries a personal part", v)
		}
		var name string
		var agg collection.AggregateType
		switch r := v.(type) {
		case collection.Command:
			name, agg = r.CommandType(), r.Aggregate()
		case collection.Event:
			name, agg = r.EventType(), r.Aggregate()
		}
		if w, ok := want[name]; !ok || w != agg {
			t.Errorf("%T is %q of %s", v, name, agg)
		}
		delete(want, name)
	}
	if len(want) > 0 {
		t.Errorf("names not used: %v", want)
	}
}
