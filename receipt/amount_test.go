package receipt

import (
	"errors"
	"math"
	"testing"
)

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		centimes int64
		want     string
		err      error
	}{
		{0, "0,00 DA", nil},
		{5, "0,05 DA", nil},
		{99, "0,99 DA", nil},
		{100, "1,00 DA", nil},
		{100000, "1 000,00 DA", nil},
		{1234567, "12 345,67 DA", nil},
		{1250000, "12 500,00 DA", nil},
		{99999999, "999 999,99 DA", nil},
		{123456789, "1 234 567,89 DA", nil},
		{math.MaxInt64, "92 233 720 368 547 758,07 DA", nil},
		{-1, "", ErrNegativeAmount},
		{-1250000, "", ErrNegativeAmount},
		{math.MinInt64, "", ErrNegativeAmount},
	} {
		got, err := FormatAmount(tc.centimes)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("FormatAmount(%d) = %q, %v; want %q, %v", tc.centimes, got, err, tc.want, tc.err)
		}
	}
}

// The page joins groups with no-break spaces so that right-to-left text
// keeps the number whole; only the separator differs.
func TestFormatAmountSeparator(t *testing.T) {
	t.Parallel()
	got, err := formatAmount(1234567, nbsp, "")
	if want := "12\u00a0345,67"; err != nil || got != want {
		t.Errorf("formatAmount(1234567, nbsp) = %q, %v; want %q", got, err, want)
	}
}
