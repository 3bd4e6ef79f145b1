package collection

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a civil date (no time, no zone): a due date, a value date, a
// hearing. It is written "2006-01-02" in JSON. The zero Date is "unset"
// and is written as "".
type Date struct{ t time.Time }

// DateOf returns the civil date of y-m-d.
func DateOf(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateIn returns the civil date of an instant in a location (Algiers for
// "today" as people in Algeria see it).
func DateIn(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return DateOf(y, m, d)
}

// ParseDate reads "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, invalid("must be a date written YYYY-MM-DD")
	}
	return Date{t}, nil
}

// IsZero reports an unset date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String is "2006-01-02", or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// Time is midnight UTC of the date.
func (d Date) Time() time.Time { return d.t }

// AddDays moves the date by n calendar days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// DaysSince is the number of calendar days from o to d (negative when d is
// before o).
func (d Date) DaysSince(o Date) int { return int(d.t.Sub(o.t).Hours() / 24) }

// Before, After and Equal compare dates.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }
func (d Date) After(o Date) bool  { return d.t.After(o.t) }
func (d Date) Equal(o Date) bool  { return d.t.Equal(o.t) }

// Weekday is the day of the week.
func (d Date) Weekday() time.Weekday { return d.t.Weekday() }

// MarshalJSON implements json.Marshaler.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON implements json.Unmarshaler; "" is the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a string YYYY-MM-DD")
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	p, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("a date must be written YYYY-MM-DD: %q", s)
	}
	*d = Date{p}
	return nil
}
