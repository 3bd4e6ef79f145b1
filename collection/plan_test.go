package collection_test

import (
	"encoding/binary"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

func inst(due string, amount int64) collection.Instalment {
	return collection.Instalment{Due: civil(due), Amount: amount}
}

func pay(valueDate string, amount int64) collection.PlanPayment {
	return collection.PlanPayment{ValueDate: civil(valueDate), Amount: amount}
}

func TestValidatePlan(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	today := civil("2025-01-05") // a Sunday
	valid := []collection.Instalment{inst("2025-02-02", 100000), inst("2025-03-02", 100000), inst("2025-04-01", 100000)}
	many := make([]collection.Instalment, collection.MaxInstalments+1)
	for i := range many {
		many[i] = collection.Instalment{Due: cal.AddBusinessDays(today, i), Amount: 100}
	}
	tests := []struct {
		name    string
		balance int64
		inst    []collection.Instalment
		min     int64
		want    map[string]string // field → fragment of the reason; nil when valid
	}{
		{"valid", 300000, valid, 50000, nil},
		{"no minimum", 300000, valid, 0, nil},
		{"due today", 1000, []collection.Instalment{inst("2025-01-05", 1000)}, 0, nil},
		{"last below the minimum", 250000, []collection.Instalment{
			inst("2025-02-02", 100000), inst("2025-03-02", 100000), inst("2025-04-01", 50000),
		}, 100000, nil},
		{"single instalment below the minimum", 5000, []collection.Instalment{inst("2025-02-02", 5000)}, 100000, nil},
		{"exactly MaxInstalments", collection.MaxInstalments * 100, many[:collection.MaxInstalments], 100, nil},
		{"none", 300000, nil, 0, map[string]string{"instalments": "at least one"}},
		{"too many", int64(len(many)) * 100, many, 0, map[string]string{"instalments": "at most 120"}},
		{"sum short by a centime", 300001, valid, 0, map[string]string{
			"instalments": "add up to 3000.00 DZD but the balance is 3000.01 DZD",
		}},
		{"sum over", 200000, valid, 0, map[string]string{"instalments": "add up to 3000.00 DZD"}},
		{"nothing to schedule", 0, valid, 0, map[string]string{"instalments": "no balance"}},
		{"sum overflows", math.MaxInt64, []collection.Instalment{
			inst("2025-02-02", math.MaxInt64), inst("2025-03-02", math.MaxInt64),
		}, 0, map[string]string{"instalments": "more than the balance"}},
		{"before today", 300000, []collection.Instalment{
			inst("2025-01-02", 100000), inst("2025-03-02", 100000), inst("2025-04-01", 100000),
		}, 0, map[string]string{"instalments[0].due": "not be before today (2025-01-05)"}},
		{"on a Friday", 300000, []collection.Instalment{
			inst("2025-02-02", 100000), inst("2025-02-28", 100000), inst("2025-04-01", 100000),
		}, 0, map[string]string{"instalments[1].due": "the next business day is 2025-03-02"}},
		{"on a holiday", 300000, []collection.Instalment{
			inst("2025-02-02", 100000), inst("2025-03-31", 100000), inst("2025-05-01", 100000),
		}, 0, map[string]string{
			"instalments[1].due": "next business day is 2025-04-01",
			"instalments[2].due": "next business day is 2025-05-04",
		}},
		{"same date twice", 300000, []collection.Instalment{
			inst("2025-02-02", 100000), inst("2025-02-02", 100000), inst("2025-04-01", 100000),
		}, 0, map[string]string{"instalments[1].due": "after the previous"}},
		{"out of order", 300000, []collection.Instalment{
			inst("2025-03-02", 100000), inst("2025-02-02", 100000), inst("2025-04-01", 100000),
		}, 0, map[string]string{"instalments[1].due": "after the previous"}},
		{"no date", 300000, []collection.Instalment{
			{Amount: 100000}, inst("2025-03-02", 100000), inst("2025-04-01", 100000),
		}, 0, map[string]string{"instalments[0].due": "required"}},
		{"zero and negative amounts", 300000, []collection.Instalment{
			inst("2025-02-02", 0), inst("2025-03-02", 400000), inst("2025-04-01", -100000),
		}, 0, map[string]string{
			"instalments[0].amount": "positive",
			"instalments[2].amount": "positive",
		}},
		{"below the minimum", 300000, []collection.Instalment{
			inst("2025-02-02", 50000), inst("2025-03-02", 150000), inst("2025-04-01", 100000),
		}, 100000, map[string]string{"instalments[0].amount": "at least 1000.00 DZD"}},
		{"every problem at once", 100, []collection.Instalment{
			inst("2025-01-03", 10), inst("2025-01-03", -5),
		}, 50, map[string]string{
			"instalments[0].due":    "before today",
			"instalments[0].amount": "at least 0.50 DZD",
			"instalments[1].due":    "before today",
			"instalments[1].amount": "positive",
			"instalments":           "add up to 0.05 DZD but the balance is 1.00 DZD",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := collection.ValidatePlan(cal, tt.balance, today, tt.inst, tt.min)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidatePlan: %v (%v)", err, fieldErrors(t, err))
				}
				return
			}
			wantFields(t, err, tt.want)
		})
	}
}

func TestProposeSchedule(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	tests := []struct {
		name    string
		balance int64
		first   string
		count   int
		every   collection.Period
		want    []collection.Instalment
	}{
		{"monthly from the 31st, whole dinars", 100000, "2025-01-31", 4, collection.Period{Months: 1}, []collection.Instalment{
			inst("2025-02-02", 25000), // 31 January is a Friday
			inst("2025-03-02", 25000), // 28 February, a Friday
			inst("2025-04-01", 25000), // 31 March, a configured holiday
			inst("2025-04-30", 25000), // April has 30 days
		}},
		{"remainder on the last", 100001, "2025-01-05", 3, collection.Period{Months: 1}, []collection.Instalment{
			inst("2025-01-05", 33300), inst("2025-02-05", 33300), inst("2025-03-05", 33401),
		}},
		{"leap year", 2000, "2024-01-31", 2, collection.Period{Months: 1}, []collection.Instalment{
			inst("2024-01-31", 1000), inst("2024-02-29", 1000),
		}},
		{"across the year", 2000, "2025-12-01", 2, collection.Period{Months: 1}, []collection.Instalment{
			inst("2025-12-01", 1000), inst("2026-01-04", 1000), // 1 January, then the weekend
		}},
		{"daily over a weekend", 300, "2025-01-02", 3, collection.Period{Days: 1}, []collection.Instalment{
			inst("2025-01-02", 100), // Thursday
			inst("2025-01-05", 100), // Friday → Sunday
			inst("2025-01-06", 100), // Saturday → Sunday, taken: Monday
		}},
		{"fortnightly", 90000, "2025-01-05", 3, collection.Period{Days: 14}, []collection.Instalment{
			inst("2025-01-05", 30000), inst("2025-01-19", 30000), inst("2025-02-02", 30000),
		}},
		{"less than a dinar each", 250, "2025-01-05", 3, collection.Period{Months: 1}, []collection.Instalment{
			inst("2025-01-05", 83), inst("2025-02-05", 83), inst("2025-03-05", 84),
		}},
		{"one centime each", 3, "2025-01-05", 3, collection.Period{Days: 7}, []collection.Instalment{
			inst("2025-01-05", 1), inst("2025-01-13", 1), inst("2025-01-19", 1), // 12 January is Yennayer
		}},
		{"one instalment needs no period", 5000, "2025-01-03", 1, collection.Period{}, []collection.Instalment{
			inst("2025-01-05", 5000),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := collection.ProposeSchedule(cal, tt.balance, civil(tt.first), tt.count, tt.every)
			if err != nil {
				t.Fatalf("ProposeSchedule: %v (%v)", err, fieldErrors(t, err))
			}
			if !slices.EqualFunc(got, tt.want, func(a, b collection.Instalment) bool {
				return a.Due.Equal(b.Due) && a.Amount == b.Amount
			}) {
				t.Fatalf("ProposeSchedule =\n%v\nwant\n%v", got, tt.want)
			}
			if err := collection.ValidatePlan(cal, tt.balance, cal.NextBusinessDay(civil(tt.first)), got, 0); err != nil {
				t.Errorf("the proposed schedule is not a valid plan: %v", fieldErrors(t, err))
			}
		})
	}
}

func TestProposeScheduleRefuses(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	first := civil("2025-01-05")
	monthly := collection.Period{Months: 1}
	tests := []struct {
		name    string
		balance int64
		first   collection.Date
		count   int
		every   collection.Period
		want    map[string]string
	}{
		{"no balance", 0, first, 3, monthly, map[string]string{"balance": "no balance"}},
		{"no first date", 1000, collection.Date{}, 3, monthly, map[string]string{"first": "required"}},
		{"no instalment", 1000, first, 0, monthly, map[string]string{"count": "between 1 and 120"}},
		{"too many", 100000, first, 121, monthly, map[string]string{"count": "between 1 and 120"}},
		{"more instalments than centimes", 2, first, 3, monthly, map[string]string{"count": "more than the balance"}},
		{"no period", 1000, first, 3, collection.Period{}, map[string]string{"every": "at least one day"}},
		{"negative period", 1000, first, 3, collection.Period{Days: -7}, map[string]string{"every": "0 to 12 months"}},
		{"period too long", 1000, first, 3, collection.Period{Months: 13}, map[string]string{"every": "0 to 12 months"}},
		{"all at once", -1, collection.Date{}, -1, collection.Period{}, map[string]string{
			"balance": "no balance", "first": "required", "count": "between",
		}},
	}
	for _, tt := range tests {
		got, err := collection.ProposeSchedule(cal, tt.balance, tt.first, tt.count, tt.every)
		if got != nil {
			t.Errorf("%s: a schedule was returned with an error", tt.name)
		}
		t.Run(tt.name, func(t *testing.T) { wantFields(t, err, tt.want) })
	}
}

// TestProposeScheduleIsValid proposes many schedules and checks each is a
// valid plan that pays the balance exactly.
func TestProposeScheduleIsValid(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	periods := []collection.Period{{Days: 1}, {Days: 2}, {Days: 7}, {Days: 14}, {Months: 1}, {Months: 3}, {Months: 1, Days: 15}}
	for start := civil("2024-12-20"); start.Before(civil("2025-02-10")); start = start.AddDays(1) {
		for _, every := range periods {
			for _, count := range []int{1, 2, 7, 12, 120} {
				for _, balance := range []int64{int64(count), 99_999, 1_234_567_89, math.MaxInt64} {
					got, err := collection.ProposeSchedule(cal, balance, start, count, every)
					if err != nil {
						t.Fatalf("ProposeSchedule(%d, %s, %d, %+v): %v", balance, start, count, every, err)
					}
					if len(got) != count {
						t.Fatalf("%d instalments, want %d", len(got), count)
					}
					for i := 1; i < len(got); i++ {
						if got[i].Amount != got[0].Amount && i < len(got)-1 {
							t.Fatalf("instalment %d differs from the first: %v", i, got)
						}
					}
					if got[len(got)-1].Amount < got[0].Amount {
						t.Fatalf("the last instalment is smaller than the others: %v", got)
					}
					if err := collection.ValidatePlan(cal, balance, start, got, got[0].Amount); err != nil {
						t.Fatalf("ProposeSchedule(%d, %s, %d, %+v) is not valid: %v", balance, start, count, every, fieldErrors(t, err))
					}
				}
			}
		}
	}
}

// The plan of the PlanStatus tests: three instalments of 100 DZD.
const (
	d1 = "2025-02-02"
	d2 = "2025-03-02"
	d3 = "2025-04-01"
)

func testPlan() []collection.Instalment {
	return []collection.Instalment{inst(d1, 10000), inst(d2, 10000), inst(d3, 10000)}
}

func after(day string, n int) string { return civil(day).AddDays(n).String() }

// instalmentLine is an InstalmentStatus written compactly for tables:
// "state paid [paid_on] [late]".
func instalmentLine(s collection.InstalmentStatus) string {
	line := s.State + " " + strconv.FormatInt(s.Paid, 10)
	if !s.PaidOn.IsZero() {
		line += " " + s.PaidOn.String()
	}
	if s.Late {
		line += " late"
	}
	return line
}

func TestPlanStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		inst     []collection.Instalment
		payments []collection.PlanPayment
		asOf     string
		policy   collection.PlanPolicy
		state    string
		lines    []string
		missed   int
		unalloc  int64
		broken   string // BrokenOn
		done     string // CompletedOn
	}{
		{name: "nothing due yet", asOf: after(d1, -1),
			state: "active", lines: []string{"due 0", "due 0", "due 0"}},
		{name: "due today is not missed", asOf: d1,
			state: "active", lines: []string{"due 0", "due 0", "due 0"}},
		{name: "missed the day after", asOf: after(d1, 1),
			state: "active", lines: []string{"missed 0 late", "due 0", "due 0"}, missed: 1},
		{name: "two missed break the plan", asOf: after(d2, 1),
			state: "broken", lines: []string{"missed 0 late", "missed 0 late", "due 0"}, missed: 2, broken: after(d2, 1)},
		{name: "paid on each due date", asOf: after(d3, 30),
			payments: []collection.PlanPayment{pay(d1, 10000), pay(d2, 10000), pay(d3, 10000)},
			state:    "completed", lines: []string{"paid 10000 " + d1, "paid 10000 " + d2, "paid 10000 " + d3}, done: d3},
		{name: "partially paid before the due date", asOf: after(d1, -1),
			payments: []collection.PlanPayment{pay(after(d1, -5), 4000)},
			state:    "active", lines: []string{"partially_paid 4000", "due 0", "due 0"}},
		{name: "partially paid, then missed", asOf: after(d1, 1),
			payments: []collection.PlanPayment{pay(after(d1, -5), 4000)},
			state:    "active", lines: []string{"missed 4000 late", "due 0", "due 0"}, missed: 1},
		{name: "several partial payments complete an instalment", asOf: d1,
			payments: []collection.PlanPayment{pay(after(d1, -9), 4000), pay(after(d1, -3), 4000), pay(d1, 2000)},
			state:    "active", lines: []string{"paid 10000 " + d1, "due 0", "due 0"}},
		{name: "overpayment spills over to the next instalments", asOf: after(d1, 1),
			payments: []collection.PlanPayment{pay(d1, 25000)},
			state:    "active", lines: []string{"paid 10000 " + d1, "paid 10000 " + d1, "partially_paid 5000"}},
		{name: "paid in advance, the later instalment is not missed", asOf: after(d2, 1),
			payments: []collection.PlanPayment{pay(d1, 20000)},
			state:    "active", lines: []string{"paid 10000 " + d1, "paid 10000 " + d1, "due 0"}},
		{name: "overpaying the plan", asOf: after(d1, 1),
			payments: []collection.PlanPayment{pay(d1, 35000)},
			state:    "completed", lines: []string{"paid 10000 " + d1, "paid 10000 " + d1, "paid 10000 " + d1},
			unalloc: 5000, done: d1},
		{name: "paid late stays late", asOf: after(d1, 10),
			payments: []collection.PlanPayment{pay(after(d1, 3), 10000)},
			state:    "active", lines: []string{"paid 10000 " + after(d1, 3) + " late", "due 0", "due 0"}, missed: 1},
		{name: "within the grace period", asOf: after(d1, 10), policy: collection.PlanPolicy{GraceDays: 5},
			payments: []collection.PlanPayment{pay(after(d1, 5), 10000)},
			state:    "active", lines: []string{"paid 10000 " + after(d1, 5), "due 0", "due 0"}},
		{name: "grace period not over", asOf: after(d1, 5), policy: collection.PlanPolicy{GraceDays: 5},
			state: "active", lines: []string{"due 0", "due 0", "due 0"}},
		{name: "grace period over", asOf: after(d1, 6), policy: collection.PlanPolicy{GraceDays: 5},
			state: "active", lines: []string{"missed 0 late", "due 0", "due 0"}, missed: 1},
		{name: "grace moves the breaking day", asOf: after(d2, 6), policy: collection.PlanPolicy{GraceDays: 5},
			state: "broken", lines: []string{"missed 0 late", "missed 0 late", "due 0"}, missed: 2, broken: after(d2, 6)},
		{name: "one miss breaks a strict plan", asOf: after(d1, 1), policy: collection.PlanPolicy{MaxMissed: 1},
			state: "broken", lines: []string{"missed 0 late", "due 0", "due 0"}, missed: 1, broken: after(d1, 1)},
		{name: "a lenient plan survives two misses", asOf: after(d2, 1), policy: collection.PlanPolicy{MaxMissed: 3},
			state: "active", lines: []string{"missed 0 late", "missed 0 late", "due 0"}, missed: 2},
		{name: "catching up late does not mend a broken plan", asOf: after(d2, 6),
			payments: []collection.PlanPayment{pay(after(d2, 5), 20000)},
			state:    "broken",
			lines:    []string{"paid 10000 " + after(d2, 5) + " late", "paid 10000 " + after(d2, 5) + " late", "due 0"},
			missed:   2, broken: after(d2, 1)},
		{name: "paying everything completes a broken plan", asOf: after(d2, 6),
			payments: []collection.PlanPayment{pay(after(d2, 5), 30000)},
			state:    "completed",
			lines: []string{
				"paid 10000 " + after(d2, 5) + " late", "paid 10000 " + after(d2, 5) + " late", "paid 10000 " + after(d2, 5),
			},
			missed: 2, broken: after(d2, 1), done: after(d2, 5)},
		{name: "a backdated payment counts by its value date", asOf: after(d2, 1),
			// Listed last because it was recorded last; its value date is d1.
			payments: []collection.PlanPayment{pay(d2, 10000), pay(d1, 10000)},
			state:    "active", lines: []string{"paid 10000 " + d1, "paid 10000 " + d2, "due 0"}},
		{name: "a payment valued after asOf does not count yet", asOf: d1,
			payments: []collection.PlanPayment{pay(after(d1, 1), 10000)},
			state:    "active", lines: []string{"due 0", "due 0", "due 0"}},
		{name: "zero and negative payments are ignored", asOf: after(d1, 1),
			payments: []collection.PlanPayment{pay(d1, 0), pay(d1, -10000), pay(d1, 3000)},
			state:    "active", lines: []string{"missed 3000 late", "due 0", "due 0"}, missed: 1},
		{name: "instalments are reported in due-date order",
			inst: []collection.Instalment{inst(d3, 30000), inst(d1, 10000), inst(d2, 20000)}, asOf: d1,
			payments: []collection.PlanPayment{pay(d1, 15000)},
			state:    "active", lines: []string{"paid 10000 " + d1, "partially_paid 5000", "due 0"}},
		{name: "an empty plan is completed", inst: []collection.Instalment{}, asOf: d1,
			payments: []collection.PlanPayment{pay(d1, 100)},
			state:    "completed", lines: []string{}, unalloc: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.inst
			if in == nil {
				in = testPlan()
			}
			r := collection.PlanStatus(in, tt.payments, civil(tt.asOf), tt.policy)
			lines := make([]string, len(r.Instalments))
			for i, s := range r.Instalments {
				lines[i] = instalmentLine(s)
			}
			if r.State != tt.state || !slices.Equal(lines, tt.lines) {
				t.Errorf("got %s %q, want %s %q", r.State, lines, tt.state, tt.lines)
			}
			if r.Missed != tt.missed || r.Unallocated != tt.unalloc ||
				r.BrokenOn.String() != tt.broken || r.CompletedOn.String() != tt.done {
				t.Errorf("missed %d, unallocated %d, broken on %q, completed on %q; want %d, %d, %q, %q",
					r.Missed, r.Unallocated, r.BrokenOn, r.CompletedOn, tt.missed, tt.unalloc, tt.broken, tt.done)
			}
			var total, paid int64
			for _, i := range in {
				total += i.Amount
			}
			for _, s := range r.Instalments {
				paid += s.Paid
			}
			if r.Total != total || r.Paid != paid {
				t.Errorf("total %d, paid %d; want %d, %d", r.Total, r.Paid, total, paid)
			}
		})
	}
}

func TestPlanPolicyValidate(t *testing.T) {
	t.Parallel()
	for _, p := range []collection.PlanPolicy{{}, {GraceDays: 3, MaxMissed: 1}, {GraceDays: collection.MaxGraceDays, MaxMissed: collection.MaxInstalments}} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	wantFields(t, collection.PlanPolicy{GraceDays: -1, MaxMissed: -1}.Validate(), map[string]string{
		"grace_days": "between 0 and 90",
		"max_missed": "between 1 and 120",
	})
	wantFields(t, collection.PlanPolicy{GraceDays: 91}.Validate(), map[string]string{"grace_days": "between"})
}

// fuzzReader turns fuzz bytes into plan inputs; it returns zeros once the
// bytes run out.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// amount is mostly a small amount, sometimes any int64 (huge, zero,
// negative) to exercise overflow.
func (r *fuzzReader) amount() int64 {
	if k := r.byte(); k%8 != 0 {
		return int64(r.byte())<<8 | int64(r.byte())
	}
	var buf [8]byte
	for i := range buf {
		buf[i] = r.byte()
	}
	return int64(binary.LittleEndian.Uint64(buf[:]))
}

func (r *fuzzReader) date(base collection.Date) collection.Date {
	return base.AddDays(int(int8(r.byte())))
}

func FuzzPlanStatus(f *testing.F) {
	f.Add([]byte{3, 2, 10, 1, 0, 100, 20, 1, 0, 100, 30, 1, 0, 100, 10, 1, 0, 150, 40, 0, 255, 255, 255, 255, 255, 255, 255, 127}, int8(20), uint8(0), uint8(2))
	f.Add([]byte{1, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 128}, int8(-3), uint8(5), uint8(0))
	f.Add([]byte{}, int8(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, asOfOffset int8, grace, maxMissed uint8) {
		base := civil("2025-01-01")
		r := &fuzzReader{data}
		inst := make([]collection.Instalment, r.byte()%12)
		pays := make([]collection.PlanPayment, r.byte()%12)
		for i := range inst {
			inst[i] = collection.Instalment{Due: r.date(base), Amount: r.amount()}
		}
		for i := range pays {
			pays[i] = collection.PlanPayment{ValueDate: r.date(base), Amount: r.amount()}
		}
		asOf := base.AddDays(int(asOfOffset))
		policy := collection.PlanPolicy{GraceDays: int(grace%40) - 5, MaxMissed: int(maxMissed%6) - 1}

		rep := collection.PlanStatus(inst, pays, asOf, policy)

		if len(rep.Instalments) != len(inst) {
			t.Fatalf("%d instalments reported, %d given", len(rep.Instalments), len(inst))
		}
		counted := new(big.Int) // what was paid by asOf
		for _, p := range pays {
			if p.Amount > 0 && !p.ValueDate.After(asOf) {
				counted.Add(counted, big.NewInt(p.Amount))
			}
		}
		allocated := new(big.Int)
		allPaid, late := true, 0
		for i, s := range rep.Instalments {
			amount := max(s.Amount, 0)
			if s.Paid < 0 || s.Paid > amount {
				t.Fatalf("instalment %d: paid %d of %d", i, s.Paid, s.Amount)
			}
			allocated.Add(allocated, big.NewInt(s.Paid))
			if (s.State == collection.InstalmentPaid) != (s.Paid == amount) {
				t.Fatalf("instalment %d: state %s with %d of %d paid", i, s.State, s.Paid, amount)
			}
			if (s.State == collection.InstalmentPaid) != (!s.PaidOn.IsZero() || amount == 0) {
				t.Fatalf("instalment %d: state %s, paid on %q", i, s.State, s.PaidOn)
			}
			if s.PaidOn.After(asOf) {
				t.Fatalf("instalment %d paid on %s, after %s", i, s.PaidOn, asOf)
			}
			switch s.State {
			case collection.InstalmentPaid:
			case collection.InstalmentMissed:
				allPaid = false
				if !s.Late {
					t.Fatalf("instalment %d missed but not late", i)
				}
			case collection.InstalmentDue, collection.InstalmentPartiallyPaid:
				allPaid = false
				if s.Late || (s.State == collection.InstalmentDue) != (s.Paid == 0) {
					t.Fatalf("instalment %d: state %s, late %v, paid %d", i, s.State, s.Late, s.Paid)
				}
			default:
				t.Fatalf("instalment %d: unknown state %q", i, s.State)
			}
			if s.Late {
				late++
			}
			if i > 0 && s.Due.Before(rep.Instalments[i-1].Due) {
				t.Fatal("instalments not in due-date order")
			}
		}
		if allocated.Cmp(counted) > 0 {
			t.Fatalf("allocated %s of %s paid", allocated, counted)
		}
		if allocated.Cmp(big.NewInt(rep.Paid)) != 0 || rep.Unallocated < 0 {
			t.Fatalf("report paid %d, unallocated %d; instalments hold %s", rep.Paid, rep.Unallocated, allocated)
		}
		if counted.IsInt64() && rep.Paid+rep.Unallocated != counted.Int64() {
			t.Fatalf("paid %d + unallocated %d != %s paid", rep.Paid, rep.Unallocated, counted)
		}
		if (rep.State == collection.PlanCompleted) != allPaid {
			t.Fatalf("plan %s, all instalments paid: %v", rep.State, allPaid)
		}
		if rep.Missed != late {
			t.Fatalf("missed %d, %d instalments late", rep.Missed, late)
		}
		maxMissedEff := policy.MaxMissed
		if maxMissedEff <= 0 {
			maxMissedEff = collection.DefaultMaxMissed
		}
		switch rep.State {
		case collection.PlanCompleted:
		case collection.PlanBroken:
			if rep.Missed < maxMissedEff {
				t.Fatalf("broken with %d missed of %d allowed", rep.Missed, maxMissedEff)
			}
		case collection.PlanActive:
			if rep.Missed >= maxMissedEff {
				t.Fatalf("active with %d missed of %d allowed", rep.Missed, maxMissedEff)
			}
		default:
			t.Fatalf("unknown plan state %q", rep.State)
		}
		if (rep.Missed >= maxMissedEff) != !rep.BrokenOn.IsZero() || rep.BrokenOn.After(asOf) {
			t.Fatalf("broken on %q with %d missed, as of %s", rep.BrokenOn, rep.Missed, asOf)
		}

		// The same inputs in another order give the same report.
		rev := slices.Clone(pays)
		slices.Reverse(rev)
		if again := collection.PlanStatus(inst, rev, asOf, policy); !reflect.DeepEqual(again, rep) {
			t.Fatalf("the order of the payments changed the report:\n%+v\n%+v", rep, again)
		}
		// A day later, a broken or completed plan has not become active.
		next := collection.PlanStatus(inst, pays, asOf.AddDays(1), policy)
		if rep.State != collection.PlanActive && next.State == collection.PlanActive {
			t.Fatalf("plan %s on %s, active the day after", rep.State, asOf)
		}
		if next.Missed < rep.Missed {
			t.Fatalf("missed %d on %s, %d the day after", rep.Missed, asOf, next.Missed)
		}
	})
}
