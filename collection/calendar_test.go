package collection_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

// civil reads a "2006-01-02" date in a test table.
func civil(s string) collection.Date {
	d, err := collection.ParseDate(s)
	if err != nil {
		panic("bad test date " + s)
	}
	return d
}

// testCalendar has the fixed-date holidays of 2024 to 2028 and, as an
// operator would configure them, two days of a religious holiday:
// 30 and 31 March 2025 (example dates for the tests, not a reference).
func testCalendar() collection.Calendar {
	var hs []collection.Date
	for y := 2024; y <= 2028; y++ {
		hs = append(hs, collection.DefaultHolidays(y)...)
	}
	hs = append(hs, civil("2025-03-30"), civil("2025-03-31"))
	return collection.NewCalendar(hs)
}

func TestCalendarDefaultHolidays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year int
		want []string
	}{
		{2025, []string{"2025-01-01", "2025-01-12", "2025-05-01", "2025-07-05", "2025-11-01"}},
		{2018, []string{"2018-01-01", "2018-01-12", "2018-05-01", "2018-07-05", "2018-11-01"}},
		{2017, []string{"2017-01-01", "2017-05-01", "2017-07-05", "2017-11-01"}}, // before Yennayer
	}
	for _, tt := range tests {
		var got []string
		for _, d := range collection.DefaultHolidays(tt.year) {
			got = append(got, d.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("DefaultHolidays(%d) = %v, want %v", tt.year, got, tt.want)
		}
	}
}

func TestCalendarHolidays(t *testing.T) {
	t.Parallel()
	in := []collection.Date{civil("2025-11-01"), {}, civil("2025-01-01"), civil("2025-11-01")}
	cal := collection.NewCalendar(in)
	in[0] = civil("2025-06-01") // the calendar keeps its own copy
	got := cal.Holidays()
	want := []collection.Date{civil("2025-01-01"), civil("2025-11-01")}
	if !slices.EqualFunc(got, want, collection.Date.Equal) {
		t.Fatalf("Holidays() = %v, want %v (sorted, duplicates and zero dates dropped)", got, want)
	}
	got[0] = civil("2025-06-02")
	if cal.IsHoliday(civil("2025-06-02")) || !cal.IsHoliday(civil("2025-01-01")) {
		t.Error("Holidays() must return a copy")
	}
	if len(collection.Calendar{}.Holidays()) != 0 {
		t.Error("the zero Calendar has no holidays")
	}
}

func TestCalendarIsBusinessDay(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	tests := []struct {
		day  string
		want bool
		why  string
	}{
		{"2025-01-01", false, "New Year's Day, a Wednesday"},
		{"2025-01-02", true, "Thursday"},
		{"2025-01-03", false, "Friday"},
		{"2025-01-04", false, "Saturday"},
		{"2025-01-05", true, "Sunday starts the week"},
		{"2025-01-12", false, "Yennayer, a Sunday"},
		{"2025-03-30", false, "configured religious holiday"},
		{"2025-03-31", false, "configured religious holiday, second day"},
		{"2025-05-01", false, "Labour Day"},
		{"2025-07-05", false, "Independence Day on a Saturday"},
		{"2025-07-06", true, "no substitute day for a holiday on a weekend"},
		{"2025-11-01", false, "Revolution Day on a Saturday"},
		{"2025-11-02", true, "Sunday after"},
		{"2024-02-29", true, "leap day, a Thursday"},
		{"2029-01-01", true, "a year the calendar was not given: only the weekend applies"},
	}
	for _, tt := range tests {
		if got := cal.IsBusinessDay(civil(tt.day)); got != tt.want {
			t.Errorf("IsBusinessDay(%s) = %v, want %v (%s)", tt.day, got, tt.want, tt.why)
		}
	}
	if !(collection.Calendar{}).IsBusinessDay(civil("2025-01-01")) {
		t.Error("the zero Calendar has no holidays")
	}
	if !collection.IsWeekend(civil("2025-01-03")) || collection.IsWeekend(civil("2025-01-05")) {
		t.Error("IsWeekend: Friday and Saturday only")
	}
}

func TestCalendarNextBusinessDay(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	tests := []struct{ from, want string }{
		{"2025-01-02", "2025-01-02"}, // already a business day
		{"2025-01-03", "2025-01-05"}, // Friday
		{"2025-01-04", "2025-01-05"}, // Saturday
		{"2026-01-01", "2026-01-04"}, // holiday Thursday, then the weekend
		{"2027-12-31", "2028-01-02"}, // Friday, Saturday 1 January: across the year
		{"2025-03-28", "2025-04-01"}, // weekend then a two-day holiday
		{"2025-07-05", "2025-07-06"}, // holiday on a weekend
	}
	for _, tt := range tests {
		if got := cal.NextBusinessDay(civil(tt.from)); got.String() != tt.want {
			t.Errorf("NextBusinessDay(%s) = %s, want %s", tt.from, got, tt.want)
		}
	}
}

func TestCalendarAddBusinessDays(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-01-02", 0, "2025-01-02"},
		{"2025-01-03", 0, "2025-01-05"},  // 0 from a Friday: the next business day
		{"2025-01-02", 1, "2025-01-05"},  // Thursday + 1 is Sunday
		{"2025-01-03", 1, "2025-01-05"},  // the start day is not counted
		{"2025-01-05", 5, "2025-01-13"},  // Yennayer on the Sunday
		{"2025-01-05", 10, "2025-01-20"}, // two weeks, and Yennayer on a Sunday adds a day
		{"2025-12-31", 1, "2026-01-04"},  // across the year: 1 January, Friday, Saturday
		{"2025-12-31", 5, "2026-01-08"},
		{"2026-01-11", 1, "2026-01-13"}, // Yennayer on a Monday
		{"2025-03-27", 1, "2025-04-01"}, // weekend then a two-day holiday
		{"2025-07-03", 1, "2025-07-06"}, // a holiday on the Saturday changes nothing
		{"2025-01-05", -1, "2025-01-02"},
		{"2025-01-02", -1, "2024-12-31"}, // backwards across 1 January
		{"2025-01-04", -1, "2025-01-02"},
	}
	for _, tt := range tests {
		got := cal.AddBusinessDays(civil(tt.from), tt.n)
		if got.String() != tt.want {
			t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestCalendarBusinessDaysBetween(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	tests := []struct {
		a, b string
		want int
	}{
		{"2025-01-02", "2025-01-02", 0},
		{"2025-01-02", "2025-01-05", 1},  // Thursday to Sunday
		{"2025-01-03", "2025-01-04", 0},  // Friday to Saturday
		{"2025-01-05", "2025-01-12", 4},  // a week, ending on Yennayer
		{"2025-01-04", "2025-01-11", 5},  // Saturday to Saturday
		{"2025-07-03", "2025-07-06", 1},  // a holiday on the weekend is not subtracted twice
		{"2025-12-31", "2026-01-08", 5},  // across the year
		{"2025-01-05", "2025-01-02", -1}, // reversed
		{"2025-01-01", "2026-01-01", 256},
	}
	for _, tt := range tests {
		if got := cal.BusinessDaysBetween(civil(tt.a), civil(tt.b)); got != tt.want {
			t.Errorf("BusinessDaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestCalendarBusinessDaysAgree checks the arithmetic of BusinessDaysBetween
// against counting day by day, and that AddBusinessDays is its inverse.
func TestCalendarBusinessDaysAgree(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	rng := rand.New(rand.NewPCG(1, 2))
	base := civil("2023-12-01")
	for range 2000 {
		a := base.AddDays(rng.IntN(6 * 365))
		b := a.AddDays(rng.IntN(120))
		want := 0
		for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
			if cal.IsBusinessDay(d) {
				want++
			}
		}
		if got := cal.BusinessDaysBetween(a, b); got != want {
			t.Fatalf("BusinessDaysBetween(%s, %s) = %d, counted %d", a, b, got, want)
		}
		if got := cal.BusinessDaysBetween(b, a); got != -want {
			t.Fatalf("BusinessDaysBetween(%s, %s) = %d, want %d", b, a, got, -want)
		}
		n := 1 + rng.IntN(60)
		c := cal.AddBusinessDays(a, n)
		if !cal.IsBusinessDay(c) || cal.BusinessDaysBetween(a, c) != n {
			t.Fatalf("AddBusinessDays(%s, %d) = %s, %d business days after", a, n, c, cal.BusinessDaysBetween(a, c))
		}
		if back := cal.AddBusinessDays(c, -n); cal.IsBusinessDay(a) && !back.Equal(a) {
			t.Fatalf("AddBusinessDays(%s, %d) = %s, want %s", c, -n, back, a)
		}
	}
}

func TestDeadlineFrom(t *testing.T) {
	t.Parallel()
	cal := testCalendar()
	tests := []struct {
		start string
		d     collection.Deadline
		want  string
	}{
		{"2025-01-05", collection.Deadline{Name: "calendar", Days: 15}, "2025-01-20"},
		{"2025-01-02", collection.Deadline{Name: "ends on a Friday", Days: 15}, "2025-01-19"},
		{"2025-04-16", collection.Deadline{Name: "ends on Labour Day", Days: 15}, "2025-05-04"},
		{"2025-12-17", collection.Deadline{Name: "ends on 1 January", Days: 15}, "2026-01-04"},
		{"2025-01-05", collection.Deadline{Name: "franc", Days: 15, Franc: true}, "2025-01-21"},
		{"2025-01-01", collection.Deadline{Name: "franc, ends on a Friday", Days: 15, Franc: true}, "2025-01-19"},
		{"2025-01-02", collection.Deadline{Name: "business", Days: 5, Business: true}, "2025-01-09"},
		{"2025-01-02", collection.Deadline{Name: "business franc", Days: 5, Business: true, Franc: true}, "2025-01-13"},
		{"2025-01-09", collection.Deadline{Name: "business over Yennayer", Days: 2, Business: true}, "2025-01-14"},
		{"2025-01-03", collection.Deadline{Name: "zero days from a Friday", Days: 0}, "2025-01-05"},
		{"2025-01-02", collection.Deadline{Name: "zero days", Days: 0}, "2025-01-02"},
	}
	for _, tt := range tests {
		got := cal.DeadlineFrom(civil(tt.start), tt.d)
		if got.String() != tt.want {
			t.Errorf("%s: DeadlineFrom(%s, %+v) = %s, want %s", tt.d.Name, tt.start, tt.d, got, tt.want)
		}
		if !cal.IsBusinessDay(got) {
			t.Errorf("%s: deadline %s is not a business day", tt.d.Name, got)
		}
	}
}

func TestDeadlineValidate(t *testing.T) {
	t.Parallel()
	if err := (collection.Deadline{Name: "mise en demeure", Days: 8}).Validate(); err != nil {
		t.Errorf("valid deadline: %v", err)
	}
	wantFields(t, collection.Deadline{Days: -1}.Validate(), map[string]string{
		"name": "required",
		"days": "between 0 and",
	})
	wantFields(t, collection.Deadline{Name: "x", Days: collection.MaxDeadlineDays + 1}.Validate(), map[string]string{
		"days": "between 0 and",
	})
}

func TestCalendarZeroDate(t *testing.T) {
	t.Parallel()
	// 0001-01-01 is a Monday; nothing here may loop or panic.
	var zero collection.Date
	cal := testCalendar()
	if !cal.IsBusinessDay(zero) || cal.NextBusinessDay(zero) != zero {
		t.Error("the zero Date is an ordinary Monday")
	}
	if got := cal.BusinessDaysBetween(zero, zero.AddDays(7)); got != 5 {
		t.Errorf("BusinessDaysBetween over the first week = %d, want 5", got)
	}
	if zero.Weekday() != time.Monday {
		t.Fatal("test assumption")
	}
}
