package receipt

import (
	"regexp"
	"strings"
	"testing"
)

const (
	codeID     = "0190c3e2-7b1d-7c3a-9f00-3b7e0d9a1c55"
	codeAmount = int64(1250000)
	codeDate   = "2026-01-04"
)

var codeShape = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$`)

func TestVerificationCodeStable(t *testing.T) {
	t.Parallel()
	got := VerificationCode(testSecret, codeID, codeAmount, codeDate)
	// Pinned: a change here invalidates every receipt already printed.
	if want := "X7615-M4E0Y"; got != want {
		t.Fatalf("VerificationCode = %q, want %q", got, want)
	}
	if !codeShape.MatchString(got) {
		t.Fatalf("code %q is not two groups of five Crockford base-32 characters", got)
	}
	if again := VerificationCode(testSecret, codeID, codeAmount, codeDate); again != got {
		t.Fatalf("second call gave %q, first %q", again, got)
	}
}

func TestVerificationCodeChangesWithEveryInput(t *testing.T) {
	t.Parallel()
	base := VerificationCode(testSecret, codeID, codeAmount, codeDate)
	for _, tc := range []struct {
		name   string
		secret []byte
		id     string
		amount int64
		date   string
	}{
		{"secret", []byte("0123456789abcdef0123456789abcdeF"), codeID, codeAmount, codeDate},
		{"payment id", testSecret, "0190c3e2-7b1d-7c3a-9f00-3b7e0d9a1c56", codeAmount, codeDate},
		{"amount +1", testSecret, codeID, codeAmount + 1, codeDate},
		{"amount -1", testSecret, codeID, codeAmount - 1, codeDate},
		{"amount ×10", testSecret, codeID, codeAmount * 10, codeDate},
		{"value date", testSecret, codeID, codeAmount, "2026-01-05"},
		{"id and date swapped", testSecret, codeDate, codeAmount, codeID},
		{"empty id", testSecret, "", codeAmount, codeDate},
	} {
		got := VerificationCode(tc.secret, tc.id, tc.amount, tc.date)
		if got == base {
			t.Errorf("%s changed: code stayed %q", tc.name, got)
		}
		if !codeShape.MatchString(got) {
			t.Errorf("%s: code %q has the wrong shape", tc.name, got)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	code := VerificationCode(testSecret, codeID, codeAmount, codeDate) // X7615-M4E0Y
	flipped := []byte(code)
	if flipped[0] == 'A' {
		flipped[0] = 'B'
	} else {
		flipped[0] = 'A'
	}
	for _, tc := range []struct {
		name   string
		secret []byte
		code   string
		id     string
		amount int64
		date   string
		want   bool
	}{
		{"as printed", testSecret, code, codeID, codeAmount, codeDate, true},
		{"lower case", testSecret, strings.ToLower(code), codeID, codeAmount, codeDate, true},
		{"without hyphen", testSecret, strings.ReplaceAll(code, "-", ""), codeID, codeAmount, codeDate, true},
		{"with spaces", testSecret, " X76 15-M4E 0Y ", codeID, codeAmount, codeDate, true},
		{"O for 0 and I for 1", testSecret, "X76I5-M4EOY", codeID, codeAmount, codeDate, true},
		{"altered amount", testSecret, code, codeID, codeAmount + 100, codeDate, false},
		{"altered amount, one centime", testSecret, code, codeID, codeAmount - 1, codeDate, false},
		{"altered payment id", testSecret, code, "0190c3e2-7b1d-7c3a-9f00-3b7e0d9a1c54", codeAmount, codeDate, false},
		{"altered value date", testSecret, code, codeID, codeAmount, "2025-01-04", false},
		{"other secret", []byte("another secret, another agency!!"), code, codeID, codeAmount, codeDate, false},
		{"empty secret", nil, code, codeID, codeAmount, codeDate, false},
		{"one character changed", testSecret, string(flipped), codeID, codeAmount, codeDate, false},
		{"too short", testSecret, code[:len(code)-1], codeID, codeAmount, codeDate, false},
		{"too long", testSecret, code + "0", codeID, codeAmount, codeDate, false},
		{"U is not in the alphabet", testSecret, "U" + code[1:], codeID, codeAmount, codeDate, false},
		{"empty", testSecret, "", codeID, codeAmount, codeDate, false},
	} {
		if got := Verify(tc.secret, tc.code, tc.id, tc.amount, tc.date); got != tc.want {
			t.Errorf("%s: Verify(%q) = %v, want %v", tc.name, tc.code, got, tc.want)
		}
	}
}

func TestVerificationCodeEmptySecret(t *testing.T) {
	t.Parallel()
	if got := VerificationCode(nil, codeID, codeAmount, codeDate); got != "" {
		t.Fatalf("VerificationCode with no secret = %q, want \"\"", got)
	}
}
