package collection

import (
	"slices"
	"strconv"
	"time"
)

// Calendar is the Algerian business calendar: every day is a business day
// except the weekend (Friday and Saturday) and the configured public
// holidays. It is an immutable value, safe to share between goroutines;
// the zero Calendar has the weekend and no holidays.
//
// The Friday–Saturday weekend has applied since 14 August 2009 (before, it
// was Thursday–Friday). The calendar applies it to every date: dates before
// 2009 are not used for deadlines or schedules.
//
// A public holiday that falls on a weekend day is not carried over to a
// weekday: Algeria has no such substitution rule.
type Calendar struct {
	holidays []int64 // days since 1970-01-01, sorted, without duplicates
}

// NewCalendar returns the calendar whose public holidays are the given
// dates, in any order; duplicates and zero dates are ignored. The list
// must hold the Islamic holidays of each year as announced (see
// DefaultHolidays), not only the fixed-date ones.
func NewCalendar(holidays []Date) Calendar {
	days := make([]int64, 0, len(holidays))
	for _, h := range holidays {
		if !h.IsZero() {
			days = append(days, epochDay(h))
		}
	}
	slices.Sort(days)
	return Calendar{holidays: slices.Compact(days)}
}

// DefaultHolidays returns the fixed-date national holidays of Algeria in
// year (loi 63-278 fixant la liste des fêtes légales, as amended):
//
//   - 1 January, New Year's Day;
//   - 12 January, Yennayer, the Amazigh New Year (a holiday since 2018);
//   - 1 May, Labour Day;
//   - 5 July, Independence and Youth Day;
//   - 1 November, Revolution Day.
//
// The religious holidays (Awal Moharram, Achoura, Mawlid Ennabaoui, Aïd
// el-Fitr and Aïd el-Adha, each of the latter two for two days or more)
// follow the Hijri lunar calendar: they move by about eleven days a year
// and their exact dates are fixed only when the new moon is sighted and the
// Ministry of Religious Affairs announces them, sometimes with an extra day
// granted by the government. No algorithm predicts them reliably, so none
// is attempted here: an operator configures each year's dates, and the
// calendar is NewCalendar(append(DefaultHolidays(y), religious...)).
func DefaultHolidays(year int) []Date {
	hs := []Date{DateOf(year, time.January, 1)}
	if year >= 2018 {
		hs = append(hs, DateOf(year, time.January, 12))
	}
	return append(hs,
		DateOf(year, time.May, 1),
		DateOf(year, time.July, 5),
		DateOf(year, time.November, 1),
	)
}

// Holidays returns the calendar's public holidays in date order (a copy).
func (c Calendar) Holidays() []Date {
	out := make([]Date, len(c.holidays))
	for i, e := range c.holidays {
		out[i] = dateOfEpochDay(e)
	}
	return out
}

// IsWeekend reports a Friday or a Saturday.
func IsWeekend(d Date) bool {
	w := d.Weekday()
	return w == time.Friday || w == time.Saturday
}

// IsHoliday reports a configured public holiday, whatever its weekday.
func (c Calendar) IsHoliday(d Date) bool {
	_, ok := slices.BinarySearch(c.holidays, epochDay(d))
	return ok
}

// IsBusinessDay reports a day that is neither a weekend day nor a public
// holiday.
func (c Calendar) IsBusinessDay(d Date) bool {
	return !IsWeekend(d) && !c.IsHoliday(d)
}

// NextBusinessDay returns d itself if it is a business day, else the first
// business day after it.
func (c Calendar) NextBusinessDay(d Date) Date {
	for !c.IsBusinessDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// AddBusinessDays returns the n-th business day after d, d itself not
// counted (a Thursday plus one business day is the next Sunday). The result
// is always a business day: with n = 0 it is NextBusinessDay(d). A
// negative n counts backwards: the |n|-th business day before d.
//
// For every n >= 1, BusinessDaysBetween(d, AddBusinessDays(d, n)) == n.
// The work is proportional to n.
func (c Calendar) AddBusinessDays(d Date, n int) Date {
	if n == 0 {
		return c.NextBusinessDay(d)
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsBusinessDay(d) {
			n--
		}
	}
	return d
}

// BusinessDaysBetween counts the business days after a up to and including
// b: 0 when a == b, 1 from a Thursday to the next Sunday. When b is before
// a the count is negative: -BusinessDaysBetween(b, a).
func (c Calendar) BusinessDaysBetween(a, b Date) int {
	if b.Before(a) {
		return -c.BusinessDaysBetween(b, a)
	}
	from, to := epochDay(a), epochDay(b) // count the days in (from, to]
	span := to - from
	n := span / 7 * 5 // every run of seven days holds five weekdays
	for e := from + span/7*7 + 1; e <= to; e++ {
		if !weekendDay(e) {
			n++
		}
	}
	lo, _ := slices.BinarySearch(c.holidays, from+1)
	hi, _ := slices.BinarySearch(c.holidays, to+1)
	for _, h := range c.holidays[lo:hi] {
		if !weekendDay(h) { // a holiday on a weekend was not counted
			n--
		}
	}
	return int(n)
}

// Deadline is a time limit counted from a starting event (a notification,
// a judgement, the due date of an instalment), kept as data so that rules
// are configured rather than coded: for instance
// Deadline{Name: "opposition à injonction de payer", Days: 15, Franc: true}.
//
// Days is how many days the deadline runs, the starting day not counted;
// it must not be negative. With Business, the days counted are business
// days; otherwise they are calendar days.
//
// A deadline whose last day is not a business day (a weekend day or a
// public holiday) is extended to the next business day. This is the rule
// of Algerian civil procedure (Code de procédure civile et administrative,
// loi 08-09, art. 405), applied here to every deadline: an assumption, to
// be confirmed by counsel for each rule configured; a deadline that must
// not be extended has to be computed some other way. Holidays inside the
// period are counted as ordinary days (the same article).
//
// Franc makes the deadline a "délai franc": neither the starting day nor
// the day on which it would end is counted, so the act is still in time
// the day after. Art. 405 makes the deadlines of the CPCA franc, as we read
// it; contractual and internal deadlines (a reminder at D+7) are not.
// Whether a given rule is franc is a legal judgement recorded in its
// configuration, not guessed here.
type Deadline struct {
	Name     string `json:"name"`
	Days     int    `json:"days"`
	Business bool   `json:"business,omitempty"`
	Franc    bool   `json:"franc,omitempty"`
}

// MaxDeadlineDays bounds Deadline.Days: ten years of calendar days.
const MaxDeadlineDays = 3660

// Validate reports every problem of a deadline rule at once.
func (d Deadline) Validate() error {
	var fe FieldErrors
	if d.Name == "" {
		fe.Add("name", "is required")
	}
	if d.Days < 0 || d.Days > MaxDeadlineDays {
		fe.Add("days", "must be between 0 and "+strconv.Itoa(MaxDeadlineDays))
	}
	return fe.Err()
}

// DeadlineFrom returns the last day on which an act bound by d is still in
// time, when d starts to run on start: always a business day.
//
//   - calendar days: start + Days (+1 if Franc), moved to the next business
//     day if it is not one;
//   - business days: AddBusinessDays(start, Days) (Days+1 if Franc).
//
// A Days of 0 gives the first business day from start itself.
func (c Calendar) DeadlineFrom(start Date, d Deadline) Date {
	n := d.Days
	if d.Franc {
		n++
	}
	if d.Business {
		return c.AddBusinessDays(start, n)
	}
	return c.NextBusinessDay(start.AddDays(n))
}

// epochDay is the number of days from 1970-01-01 to d (negative before).
// A Date is midnight UTC, so the division is exact.
func epochDay(d Date) int64 { return d.Time().Unix() / 86400 }

func dateOfEpochDay(e int64) Date { return DateOf(1970, time.January, 1).AddDays(int(e)) }

// weekendDay reports whether the day e days after 1970-01-01 (a Thursday)
// is a Friday or a Saturday.
func weekendDay(e int64) bool {
	w := ((e+4)%7 + 7) % 7 // 0 is Sunday, as in time.Weekday
	return w == int64(time.Friday) || w == int64(time.Saturday)
}
