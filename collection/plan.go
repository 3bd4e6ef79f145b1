package collection

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// MaxInstalments is the most instalments a payment plan may have: ten
// years of monthly payments.
const MaxInstalments = 120

// Instalment is one due date of a payment plan (une échéance) and the
// amount due on it, in centimes.
type Instalment struct {
	Due    Date  `json:"due"`
	Amount int64 `json:"amount"`
}

// ValidatePlan checks a payment plan proposed on day today for a debt whose
// balance is balance (centimes), and reports every problem at once as
// FieldErrors (fields "instalments", "instalments[i].due",
// "instalments[i].amount"):
//
//   - at least one instalment and at most MaxInstalments;
//   - the amounts sum exactly to the balance, and each is positive;
//   - each amount is at least minInstalment, except the last, which may be
//     smaller (what remains); a minInstalment <= 0 sets no minimum;
//   - each due date is set, not before today, a business day of cal, and
//     strictly after the previous one.
func ValidatePlan(cal Calendar, balance int64, today Date, inst []Instalment, minInstalment int64) error {
	var fe FieldErrors
	switch {
	case len(inst) == 0:
		fe.Add("instalments", "at least one instalment is required")
		return fe.Err()
	case len(inst) > MaxInstalments:
		fe.Add("instalments", "a plan has at most "+strconv.Itoa(MaxInstalments)+" instalments")
		return fe.Err()
	}
	var sum int64
	overflow := false
	for i, in := range inst {
		field := "instalments[" + strconv.Itoa(i) + "]"
		switch {
		case in.Due.IsZero():
			fe.Add(field+".due", "is required")
		case in.Due.Before(today):
			fe.Add(field+".due", "must not be before today ("+today.String()+")")
		case i > 0 && !in.Due.After(inst[i-1].Due):
			fe.Add(field+".due", "must be after the previous instalment's due date")
		case !cal.IsBusinessDay(in.Due):
			fe.Add(field+".due", "falls on a weekend or a public holiday; the next business day is "+
				cal.NextBusinessDay(in.Due).String())
		}
		switch {
		case in.Amount <= 0:
			fe.Add(field+".amount", "must be positive")
		case in.Amount < minInstalment && i < len(inst)-1:
			fe.Add(field+".amount", "must be at least "+formatDZD(minInstalment)+
				" (the minimum instalment); only the last instalment may be smaller")
		}
		var ok bool
		if sum, ok = addInt64(sum, in.Amount); !ok {
			overflow = true
		}
	}
	switch {
	case balance <= 0:
		fe.Add("instalments", "the debt has no balance left to schedule")
	case overflow:
		fe.Add("instalments", "the instalments add up to more than the balance of "+formatDZD(balance))
	case sum != balance:
		fe.Add("instalments", "the instalments add up to "+formatDZD(sum)+
			" but the balance is "+formatDZD(balance))
	}
	return fe.Err()
}

// Period is the time between two instalments of a proposed schedule:
// Months calendar months, then Days days (Period{Months: 1} is monthly,
// Period{Days: 14} fortnightly).
type Period struct {
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
}

// Bounds of a Period.
const (
	MaxPeriodMonths = 12
	MaxPeriodDays   = 366
)

// ProposeSchedule builds a plan the UI can offer: count instalments for
// balance (centimes), the first on first and each next one every period
// after it. Reported problems use the fields "balance", "first", "count"
// and "every".
//
// Amounts are equal and in whole dinars when the balance allows it (at
// least 1 DZD per instalment); the remainder, centimes included, is added
// to the last instalment, so the amounts sum exactly to the balance and the
// last is never smaller than the others.
//
// Dates are counted from first, not from one another, so that a plan
// starting on 31 January falls on 28 (or 29) February, 31 March, 30 April;
// a day of month that does not exist becomes the month's last day. Each
// date is then moved to the next business day of cal, and if that is not
// after the previous instalment's (a short period across a weekend), to
// the next business day after the previous instalment's. Whether first is
// not in the past is checked by ValidatePlan, which the result passes when
// first is not before today and no minimum instalment is broken.
func ProposeSchedule(cal Calendar, balance int64, first Date, count int, every Period) ([]Instalment, error) {
	var fe FieldErrors
	if balance <= 0 {
		fe.Add("balance", "there is no balance to schedule")
	}
	if first.IsZero() {
		fe.Add("first", "is required")
	}
	switch {
	case count < 1 || count > MaxInstalments:
		fe.Add("count", "must be between 1 and "+strconv.Itoa(MaxInstalments))
	case balance > 0 && balance < int64(count):
		fe.Add("count", "is more than the balance can be split into")
	}
	if count > 1 {
		switch {
		case every.Months < 0 || every.Months > MaxPeriodMonths || every.Days < 0 || every.Days > MaxPeriodDays:
			fe.Add("every", "must be 0 to "+strconv.Itoa(MaxPeriodMonths)+" months and 0 to "+
				strconv.Itoa(MaxPeriodDays)+" days")
		case every.Months == 0 && every.Days == 0:
			fe.Add("every", "must be at least one day")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}

	n := int64(count)
	each := balance / n
	if each >= 100 {
		each -= each % 100 // whole dinars
	}
	out := make([]Instalment, count)
	for i := range out {
		due := cal.NextBusinessDay(addMonths(first, i*every.Months).AddDays(i * every.Days))
		if i > 0 && !due.After(out[i-1].Due) {
			due = cal.NextBusinessDay(out[i-1].Due.AddDays(1))
		}
		out[i] = Instalment{Due: due, Amount: each}
	}
	out[count-1].Amount = balance - each*(n-1)
	return out, nil
}

// addMonths moves d by n calendar months, keeping its day of month or,
// when the target month is shorter, taking its last day.
func addMonths(d Date, n int) Date {
	y, m, day := d.Time().Date()
	firstOfMonth := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := firstOfMonth.AddDate(0, 1, -1).Day()
	return DateOf(firstOfMonth.Year(), firstOfMonth.Month(), min(day, last))
}

// PlanPayment is a payment as the plan and promise rules see it: when the
// money moved (its value date, not the day it was recorded) and how much,
// in centimes.
type PlanPayment struct {
	ValueDate Date  `json:"value_date"`
	Amount    int64 `json:"amount"`
}

// States of an instalment, reported by PlanStatus.
const (
	// InstalmentDue: not fully paid, and its grace period has not ended
	// (an instalment due in the future, or today). Nothing is paid on it yet.
	InstalmentDue = "due"
	// InstalmentPartiallyPaid: as InstalmentDue, with part of it paid.
	InstalmentPartiallyPaid = "partially_paid"
	// InstalmentPaid: fully paid, in time or late (see InstalmentStatus.Late).
	InstalmentPaid = "paid"
	// InstalmentMissed: its grace period has ended and it is still not
	// fully paid.
	InstalmentMissed = "missed"
)

// States of a payment plan, reported by PlanStatus.
const (
	PlanActive    = "active"
	PlanCompleted = "completed"
	PlanBroken    = "broken"
)

// DefaultMaxMissed is how many missed instalments break a plan when the
// policy leaves it unset.
const DefaultMaxMissed = 2

// MaxGraceDays bounds PlanPolicy.GraceDays.
const MaxGraceDays = 90

// PlanPolicy is how strictly a plan is followed.
type PlanPolicy struct {
	// GraceDays is how many calendar days after its due date a payment
	// still counts as in time for an instalment. Default 0: the value date
	// must be on or before the due date. The grace is not extended over a
	// weekend: choose it accordingly.
	GraceDays int `json:"grace_days"`
	// MaxMissed is how many missed instalments break the plan; 0 means
	// DefaultMaxMissed.
	MaxMissed int `json:"max_missed"`
}

// Validate reports every problem of a policy at once.
func (p PlanPolicy) Validate() error {
	var fe FieldErrors
	if p.GraceDays < 0 || p.GraceDays > MaxGraceDays {
		fe.Add("grace_days", "must be between 0 and "+strconv.Itoa(MaxGraceDays))
	}
	if p.MaxMissed < 0 || p.MaxMissed > MaxInstalments {
		fe.Add("max_missed", "must be between 1 and "+strconv.Itoa(MaxInstalments)+" (0 for the default, "+
			strconv.Itoa(DefaultMaxMissed)+")")
	}
	return fe.Err()
}

// withDefaults replaces unset or invalid values by the defaults, so that
// PlanStatus is total.
func (p PlanPolicy) withDefaults() PlanPolicy {
	if p.GraceDays < 0 {
		p.GraceDays = 0
	}
	if p.MaxMissed <= 0 {
		p.MaxMissed = DefaultMaxMissed
	}
	return p
}

// InstalmentStatus is where one instalment stands.
type InstalmentStatus struct {
	Due    Date  `json:"due"`
	Amount int64 `json:"amount"`
	// Paid is the part of the payments allocated to this instalment.
	Paid int64 `json:"paid"`
	// PaidOn is the value date of the payment that completed it; zero while
	// it is not fully paid.
	PaidOn Date `json:"paid_on"`
	// State is InstalmentDue, InstalmentPartiallyPaid, InstalmentPaid or
	// InstalmentMissed.
	State string `json:"state"`
	// Late reports an instalment missed: not fully paid by the end of its
	// grace period, which has passed. It stays true once the instalment is
	// paid, late, and counts towards breaking the plan.
	Late bool `json:"late"`
}

// PlanReport is where a payment plan stands on a given day.
type PlanReport struct {
	// State is PlanActive, PlanCompleted or PlanBroken.
	State string `json:"state"`
	// Instalments are in due-date order (the order of a valid plan).
	Instalments []InstalmentStatus `json:"instalments"`
	// Total is the sum of the instalments; Paid the part of it paid;
	// Unallocated what was paid beyond Total.
	Total       int64 `json:"total"`
	Paid        int64 `json:"paid"`
	Unallocated int64 `json:"unallocated"`
	// Missed counts the Late instalments.
	Missed int `json:"missed"`
	// BrokenOn is the day the plan broke (the day after the grace period of
	// the MaxMissed-th missed instalment), also when it was completed
	// since; zero if it has not broken.
	BrokenOn Date `json:"broken_on"`
	// CompletedOn is the value date of the payment that completed the plan;
	// zero unless State is PlanCompleted.
	CompletedOn Date `json:"completed_on"`
}

// PlanStatus tells where a plan stands on asOf, from the plan's
// instalments and its payments alone: the same inputs always give the same
// report, so a projection rebuilt from the log agrees with the one built
// incrementally, and a backdated payment is placed by its value date.
//
// The rules:
//
//   - Payments count only when their value date is on or before asOf and
//     their amount is positive. Which payments belong to the plan is the
//     caller's choice: typically those not reversed that were recorded
//     once the plan was agreed, whatever their value date.
//   - Payments fill the instalments in due-date order, oldest first, taken
//     in value-date order; a payment larger than what an instalment lacks
//     spills over to the next ones (paying in advance), and what is paid
//     beyond the last instalment is Unallocated. Since every payment fills
//     the oldest unpaid instalment, what each instalment has received by a
//     day depends only on the total paid by that day.
//   - An instalment's grace period ends GraceDays after its due date. It is
//     missed (Late) when its grace period ended before asOf and the
//     payments with a value date up to that end did not pay it in full. A
//     missed instalment paid since is InstalmentPaid and still Late.
//   - The plan is completed when every instalment is fully paid, else
//     broken when at least MaxMissed instalments were missed, else active.
//     With fixed payments a plan never goes back from broken to active as
//     asOf advances: paying late does not mend it, paying everything
//     completes it.
//
// PlanStatus never fails: a negative GraceDays is read as 0 and a
// MaxMissed of 0 or less as DefaultMaxMissed (PlanPolicy.Validate refuses
// them where a policy is configured). An empty list of instalments, which
// ValidatePlan refuses, reports a completed plan.
func PlanStatus(inst []Instalment, payments []PlanPayment, asOf Date, policy PlanPolicy) PlanReport {
	policy = policy.withDefaults()

	ps := make([]PlanPayment, 0, len(payments))
	for _, p := range payments {
		if p.Amount > 0 && !p.ValueDate.After(asOf) {
			ps = append(ps, p)
		}
	}
	slices.SortStableFunc(ps, func(a, b PlanPayment) int { return a.ValueDate.Time().Compare(b.ValueDate.Time()) })
	cum := make([]int64, len(ps)) // cum[j]: paid by ps[0..j], saturated at MaxInt64
	var total int64
	for j, p := range ps {
		total = addSat(total, p.Amount)
		cum[j] = total
	}
	// paidBy is the total paid with a value date on or before d.
	paidBy := func(d Date) int64 {
		j, _ := slices.BinarySearchFunc(ps, d, func(p PlanPayment, d Date) int {
			if p.ValueDate.After(d) {
				return 1
			}
			return -1
		})
		if j == 0 {
			return 0
		}
		return cum[j-1]
	}
	paid := paidBy(asOf)

	sorted := slices.Clone(inst)
	slices.SortStableFunc(sorted, func(a, b Instalment) int { return a.Due.Time().Compare(b.Due.Time()) })

	r := PlanReport{Instalments: make([]InstalmentStatus, len(sorted))}
	var before int64 // the instalments before this one, saturated
	allPaid := true
	for i, in := range sorted {
		amount := max(in.Amount, 0)
		st := InstalmentStatus{Due: in.Due, Amount: in.Amount}
		// What remains of the payments once the earlier instalments are
		// paid; both terms are non-negative, so the difference cannot overflow.
		st.Paid = min(max(paid-before, 0), amount)
		graceEnd := in.Due.AddDays(policy.GraceDays)
		st.Late = amount > 0 && graceEnd.Before(asOf) && paidBy(graceEnd)-before < amount
		switch {
		case st.Paid == amount:
			st.State = InstalmentPaid
			if amount > 0 {
				j, _ := slices.BinarySearchFunc(cum, before, func(c, before int64) int {
					if c-before >= amount {
						return 1
					}
					return -1
				})
				st.PaidOn = ps[j].ValueDate
			}
		case graceEnd.Before(asOf):
			st.State = InstalmentMissed
		case st.Paid > 0:
			st.State = InstalmentPartiallyPaid
		default:
			st.State = InstalmentDue
		}
		if st.State != InstalmentPaid {
			allPaid = false
		}
		if st.Late {
			r.Missed++
			if r.Missed == policy.MaxMissed {
				r.BrokenOn = graceEnd.AddDays(1)
			}
		}
		if st.PaidOn.After(r.CompletedOn) {
			r.CompletedOn = st.PaidOn
		}
		r.Total = addSat(r.Total, amount)
		r.Paid += st.Paid // the sum of the Paid is at most paid
		before = addSat(before, amount)
		r.Instalments[i] = st
	}
	r.Unallocated = paid - r.Paid
	switch {
	case allPaid:
		r.State = PlanCompleted
	case r.Missed >= policy.MaxMissed:
		r.State = PlanBroken
	default:
		r.State = PlanActive
	}
	if r.State != PlanCompleted {
		r.CompletedOn = Date{}
	}
	return r
}

// addSat adds two non-negative amounts, saturating at math.MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// addInt64 adds two amounts of any sign; ok is false on overflow.
func addInt64(a, b int64) (sum int64, ok bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// formatDZD writes centimes as dinars for a person: "1234.50 DZD".
func formatDZD(c int64) string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign, u = "-", uint64(-(c+1))+1
	}
	cents := strconv.FormatUint(u%100, 10)
	if len(cents) < 2 {
		cents = "0" + cents
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + cents + " DZD"
}
