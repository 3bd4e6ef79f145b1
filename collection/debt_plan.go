package collection

import (
	"fmt"
	"slices"
	"strconv"
)

// DefaultMinInstalment is the smallest instalment of a payment plan, in
// centimes (1 000 DZD), when the caller configures none: below it an
// instalment costs more to follow than it brings. The last instalment may
// be smaller (what remains).
const DefaultMinInstalment int64 = 100_000

// MaxPromiseDays is how far ahead a promise to pay may fall due, in
// calendar days from the day it is made: a promise is a short-term
// commitment; a longer arrangement is a payment plan.
const MaxPromiseDays = 90

// SetPlan sets the payment plan (échéancier) of a debt: instalments whose
// amounts sum exactly to the debt's balance, each on a business day not
// before Today, checked by ValidatePlan. Setting a plan on a debt that has
// one revises it: the new plan supersedes the old one, which is kept, and
// the revision needs a Reason. A plan set on an open or amicable debt moves
// it to payment_plan in the same decision; a debt in legal keeps its
// status (a plan agreed during a procedure), and a debt on hold or closed
// takes no plan.
//
// The decider has no clock and no configuration: the caller sets Today
// (the date in Africa/Algiers when the plan is set), MinInstalment (the
// configured minimum; 0 sets none) and Holidays (the configured public
// holidays beyond DefaultHolidays, such as the Islamic holidays as
// announced). They are the caller's facts, like a payment's value date:
// the decision depends on the command and the state alone.
type SetPlan struct {
	ID            string       `json:"id"`
	PlanID        string       `json:"plan_id"`
	Instalments   []Instalment `json:"instalments"`
	Reason        string       `json:"reason,omitempty"`
	Today         Date         `json:"today"`
	MinInstalment int64        `json:"min_instalment,omitempty"`
	Holidays      []Date       `json:"holidays,omitempty"`
	By            string       `json:"by"`
}

// MakePromise records a debtor's promise to pay Amount centimes by Due
// (une promesse de paiement), made by the debtor's own account or taken
// down by staff. Due is not before Today and at most MaxPromiseDays after
// it; Amount is at most the balance. Today is the date in Africa/Algiers
// when the promise is made, set by the caller: the decider has no clock.
// Whether the promise is kept is derived from the payments (PromiseStatus),
// never recorded.
type MakePromise struct {
	ID        string `json:"id"`
	PromiseID string `json:"promise_id"`
	Amount    int64  `json:"amount"`
	Due       Date   `json:"due"`
	Today     Date   `json:"today"`
	By        string `json:"by"`
}

// PlanSet records a payment plan agreed on SetOn. Supersedes is the plan it
// replaces, if any: that plan stays in the history, superseded. When the
// debt was open or amicable, a DebtStatusChanged to payment_plan follows
// in the same decision. Where each instalment stands (due, paid, partially
// paid, missed) is derived from the payments (PlanStatus), never recorded.
type PlanSet struct {
	ID          string       `json:"id"`
	PlanID      string       `json:"plan_id"`
	Instalments []Instalment `json:"instalments"`
	Reason      string       `json:"reason,omitempty"`
	Supersedes  string       `json:"supersedes,omitempty"`
	SetOn       Date         `json:"set_on"`
	By          string       `json:"by"`
}

// PromiseMade records a promise to pay Amount centimes by Due, made on
// MadeOn.
type PromiseMade struct {
	ID        string `json:"id"`
	PromiseID string `json:"promise_id"`
	Amount    int64  `json:"amount"`
	Due       Date   `json:"due"`
	MadeOn    Date   `json:"made_on"`
	By        string `json:"by"`
}

func (SetPlan) CommandType() string     { return "debt.set_plan" }
func (MakePromise) CommandType() string { return "debt.make_promise" }

func (SetPlan) Aggregate() AggregateType     { return DebtAggregate }
func (MakePromise) Aggregate() AggregateType { return DebtAggregate }

func (PlanSet) EventType() string     { return "debt.plan_set" }
func (PromiseMade) EventType() string { return "debt.promise_made" }

func (PlanSet) Aggregate() AggregateType     { return DebtAggregate }
func (PromiseMade) Aggregate() AggregateType { return DebtAggregate }

// DebtPlan is a payment plan as the debt's state keeps it.
type DebtPlan struct {
	ID          string
	Instalments []Instalment
	SetOn       Date
}

// debtPlans is what the debt's state keeps of its plans and promises: the
// current plan (zero ID: none), and every plan and promise id used.
type debtPlans struct {
	current  DebtPlan
	planIDs  map[string]struct{}
	promises map[string]Promise
}

// Plan returns the debt's current payment plan, if it has one.
func (s DebtState) Plan() (DebtPlan, bool) {
	p := s.plans.current
	p.Instalments = slices.Clone(p.Instalments)
	return p, p.ID != ""
}

// Promise returns one of the debt's promises to pay.
func (s DebtState) Promise(id string) (Promise, bool) {
	p, ok := s.plans.promises[id]
	return p, ok
}

// PlanCalendar is the business calendar a plan is checked against: the
// fixed national holidays (DefaultHolidays) of every year from today's to
// the last instalment's, and the configured holidays.
func PlanCalendar(today Date, inst []Instalment, holidays []Date) Calendar {
	years := []int{}
	if !today.IsZero() {
		years = append(years, today.Time().Year())
	}
	for _, in := range inst {
		if !in.Due.IsZero() {
			years = append(years, in.Due.Time().Year())
		}
	}
	slices.Sort(years)
	all := slices.Clone(holidays)
	for _, y := range slices.Compact(years) {
		all = append(all, DefaultHolidays(y)...)
	}
	return NewCalendar(all)
}

func decideSetPlan(s DebtState, c SetPlan) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "plan_id", c.PlanID)
	debtReason(&fe, c.Reason, false)
	if c.Today.IsZero() {
		fe.Add("today", "is required: the date in Algiers when the plan is set")
	}
	if c.MinInstalment < 0 {
		fe.Add("min_instalment", "cannot be negative (0 sets no minimum)")
	}
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := debtMustBeOpen(s, "a payment plan is set on an open debt only"); err != nil {
		return nil, err
	}
	if s.Status == DebtStatusOnHold {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf(
			"debt %s is on hold (%s); a payment plan is set once the hold is released", s.ID, s.HoldReason))
	}
	if _, dup := s.plans.planIDs[c.PlanID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("plan %s was already set on debt %s", c.PlanID, s.ID))
	}
	current := s.plans.current
	// The plan in force sent again (a retry) changes nothing, whatever
	// happened since: it is checked before the rules of a new plan.
	if current.ID != "" && slices.Equal(current.Instalments, c.Instalments) {
		return nil, Reject(CodeNoChange, fmt.Sprintf("debt %s already has these instalments in plan %s", s.ID, current.ID))
	}
	if current.ID != "" && c.Reason == "" {
		return nil, Reject(CodeInvalid, "a revised plan needs a reason", FieldError{"reason",
			fmt.Sprintf("is required to revise the current plan %s: say why it changes", current.ID)})
	}
	cal := PlanCalendar(c.Today, c.Instalments, c.Holidays)
	if err := ValidatePlan(cal, s.Balance(), c.Today, c.Instalments, c.MinInstalment); err != nil {
		return nil, err
	}
	evs := []Event{PlanSet{ID: c.ID, PlanID: c.PlanID, Instalments: slices.Clone(c.Instalments), Reason: c.Reason,
		Supersedes: current.ID, SetOn: c.Today, By: c.By}}
	if s.Status == DebtStatusOpen || s.Status == DebtStatusAmicable {
		evs = append(evs, DebtStatusChanged{ID: c.ID, From: s.Status, To: DebtStatusPaymentPlan,
			Reason: "payment plan " + c.PlanID + " set", By: c.By})
	}
	return evs, nil
}

func decideMakePromise(s DebtState, c MakePromise) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "promise_id", c.PromiseID)
	checkDebtAmount(&fe, "amount", c.Amount)
	todaySet := !c.Today.IsZero()
	if !todaySet {
		fe.Add("today", "is required: the date in Algiers when the promise is made")
	}
	switch {
	case c.Due.IsZero():
		fe.Add("due", "is required")
	case todaySet && c.Due.Before(c.Today):
		fe.Add("due", "must not be before today ("+c.Today.String()+")")
	case todaySet && c.Due.After(c.Today.AddDays(MaxPromiseDays)):
		fe.Add("due", "must be within "+strconv.Itoa(MaxPromiseDays)+" days (by "+c.Today.AddDays(MaxPromiseDays).String()+
			"); a longer arrangement is a payment plan")
	}
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := debtMustBeOpen(s, "a promise to pay is made on an open debt only"); err != nil {
		return nil, err
	}
	if _, dup := s.plans.promises[c.PromiseID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("promise %s was already made on debt %s", c.PromiseID, s.ID))
	}
	if balance := s.Balance(); c.Amount > balance {
		return nil, Reject(CodeInvalid, "the promise is more than the balance", FieldError{"amount",
			fmt.Sprintf("is more than the balance of %s", dzd(balance))})
	}
	return []Event{PromiseMade{ID: c.ID, PromiseID: c.PromiseID, Amount: c.Amount, Due: c.Due, MadeOn: c.Today, By: c.By}}, nil
}

// evolve applies a plan or promise event; the state before keeps its own
// maps.
func (p debtPlans) evolve(e Event) debtPlans {
	switch e := e.(type) {
	case PlanSet:
		p.current = DebtPlan{ID: e.PlanID, Instalments: slices.Clone(e.Instalments), SetOn: e.SetOn}
		p.planIDs = cloneAdd(p.planIDs, e.PlanID, struct{}{})
	case PromiseMade:
		p.promises = cloneAdd(p.promises, e.PromiseID, Promise{Amount: e.Amount, Due: e.Due, MadeOn: e.MadeOn})
	}
	return p
}

// PlanInput is a payment plan as a client sends it.
type PlanInput struct {
	Instalments []InstalmentInput `json:"instalments"`
	Reason      string            `json:"reason"`
}

// InstalmentInput is one instalment as a client sends it: a due date
// written YYYY-MM-DD and an amount in centimes.
type InstalmentInput struct {
	Due    string `json:"due"`
	Amount int64  `json:"amount"`
}

// Validate reads a plan and returns the SetPlan command without its ID,
// PlanID, Today, MinInstalment, Holidays and By, which the caller sets.
// It checks the form only (dates, a reason of at most 500 characters,
// line breaks kept); the rules of a plan (sum, business days, minimum) need the
// debt's balance and are the decider's (ValidatePlan).
func (in PlanInput) Validate() (SetPlan, error) {
	var fe FieldErrors
	c := SetPlan{}
	if len(in.Instalments) > MaxInstalments {
		fe.Add("instalments", "a plan has at most "+strconv.Itoa(MaxInstalments)+" instalments")
	} else {
		c.Instalments = make([]Instalment, len(in.Instalments))
		for i, x := range in.Instalments {
			c.Instalments[i] = Instalment{
				Due:    inputDate(&fe, "instalments["+strconv.Itoa(i)+"].due", x.Due, true),
				Amount: x.Amount,
			}
		}
	}
	c.Reason = optional(&fe, "reason", in.Reason, multilineUpTo(MaxDebtReasonLength))
	if err := fe.Err(); err != nil {
		return SetPlan{}, err
	}
	return c, nil
}

// PromiseInput is a promise to pay as a client sends it.
type PromiseInput struct {
	Amount int64  `json:"amount"`
	Due    string `json:"due"`
}

// Validate reads a promise and returns the MakePromise command without its
// ID, PromiseID and By; Today is set from today, the date in Algiers (the
// domain has no clock). The amount and due date are checked as the decider
// checks them, so a client fixes every field in one round trip.
func (in PromiseInput) Validate(today Date) (MakePromise, error) {
	var fe FieldErrors
	c := MakePromise{Amount: in.Amount, Today: today}
	checkDebtAmount(&fe, "amount", in.Amount)
	c.Due = inputDate(&fe, "due", in.Due, true)
	if !c.Due.IsZero() && !today.IsZero() {
		switch {
		case c.Due.Before(today):
			fe.Add("due", "must not be before today ("+today.String()+")")
		case c.Due.After(today.AddDays(MaxPromiseDays)):
			fe.Add("due", "must be within "+strconv.Itoa(MaxPromiseDays)+" days (by "+
				today.AddDays(MaxPromiseDays).String()+"); a longer arrangement is a payment plan")
		}
	}
	if err := fe.Err(); err != nil {
		return MakePromise{}, err
	}
	return c, nil
}
