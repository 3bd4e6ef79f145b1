package receipt

import (
	"errors"
	"strconv"
	"strings"
)

// ErrNegativeAmount is returned by [FormatAmount] for an amount below zero: a
// receipt shows what was paid and what is left, never a negative sum.
var ErrNegativeAmount = errors.New("receipt: negative amount")

// FormatAmount formats an amount in centimes of Algerian dinar the French
// way, "12 500,00 DA": digits grouped by three with a space, a decimal
// comma, two decimals and the unit. It uses integer arithmetic only and
// refuses a negative amount.
//
// The group separator is an ASCII space, so the string is safe for SMS and
// plain text. Inside right-to-left text the Unicode bidi algorithm treats
// such a space as a word break and may swap the groups; the PDF uses a
// no-break space (bidi class CS), which keeps the number whole.
func FormatAmount(centimes int64) (string, error) {
	return formatAmount(centimes, " ", "DA")
}

// formatAmount is FormatAmount with a chosen group separator and unit.
func formatAmount(centimes int64, sep, unit string) (string, error) {
	if centimes < 0 {
		return "", ErrNegativeAmount
	}
	// Work on the decimal digits: strconv is exact for every int64, and
	// splitting the string keeps floats out entirely.
	digits := strconv.FormatInt(centimes, 10)
	if len(digits) < 3 {
		digits = strings.Repeat("0", 3-len(digits)) + digits
	}
	whole, cents := digits[:len(digits)-2], digits[len(digits)-2:]

	var b strings.Builder
	b.Grow(len(digits) + len(digits)/3*len(sep) + 1 + len(unit) + 1)
	first := len(whole) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(whole[:first])
	for i := first; i < len(whole); i += 3 {
		b.WriteString(sep)
		b.WriteString(whole[i : i+3])
	}
	b.WriteByte(',')
	b.WriteString(cents)
	if unit != "" {
		b.WriteByte(' ')
		b.WriteString(unit)
	}
	return b.String(), nil
}
