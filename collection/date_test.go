package collection

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDateJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`"2026-11-21"`, "2026-11-21", true},
		{`""`, "", true},
		{`"2026-02-29"`, "", false},
		{`"21/11/2026"`, "", false},
		{`20261121`, "", false},
	} {
		var d Date
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, ok %v", tc.in, err, tc.ok)
			continue
		}
		if d.String() != tc.want {
			t.Errorf("%s: %q, want %q", tc.in, d.String(), tc.want)
		}
		if tc.ok {
			out, _ := json.Marshal(d)
			if string(out) != tc.in {
				t.Errorf("round trip %s → %s", tc.in, out)
			}
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	d := DateOf(2026, time.December, 30)
	if got := d.AddDays(3).String(); got != "2027-01-02" {
		t.Errorf("AddDays across the year: %s", got)
	}
	if n := DateOf(2027, time.March, 1).DaysSince(DateOf(2027, time.February, 1)); n != 28 {
		t.Errorf("DaysSince = %d, want 28", n)
	}
	if !d.Before(d.AddDays(1)) || d.After(d) || !d.Equal(DateOf(2026, time.December, 30)) {
		t.Error("comparisons")
	}
	algiers := time.FixedZone("CET", 3600)
	late := time.Date(2026, time.November, 21, 23, 30, 0, 0, time.UTC) // 00:30 on the 22nd in Algiers
	if got := DateIn(late, algiers).String(); got != "2026-11-22" {
		t.Errorf("DateIn = %s, want the local date 2026-11-22", got)
	}
	if _, err := ParseDate("2026-13-01"); err == nil {
		t.Error("ParseDate accepted month 13")
	}
}
