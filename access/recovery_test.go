package access_test

import (
	"bytes"
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/access"
)

// recoveryCodeSyntax is six groups of four Crockford base32 symbols.
var recoveryCodeSyntax = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$`)

func TestNewRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes, hashes, err := access.NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != access.RecoveryCodeCount || len(hashes) != access.RecoveryCodeCount || access.RecoveryCodeCount != 10 {
		t.Fatalf("%d codes and %d hashes, want 10 of each", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !recoveryCodeSyntax.MatchString(c) {
			t.Errorf("code %q is not six dash-separated groups of four Crockford symbols", c)
		}
		if seen[c] {
			t.Errorf("code %q given twice", c)
		}
		seen[c] = true
		if !bytes.Equal(hashes[i], access.HashRecoveryCode(c)) {
			t.Errorf("hash %d is not HashRecoveryCode(codes[%d])", i, i)
		}
		if len(hashes[i]) != sha256.Size {
			t.Errorf("hash %d has %d bytes", i, len(hashes[i]))
		}
	}
	again, _, err := access.NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range again {
		if seen[c] {
			t.Fatalf("code %q came out of two calls", c)
		}
	}
}

// TestRecoveryCodeEntropy checks that every symbol position varies: 24
// symbols of 5 bits make the 120 bits a plain hash needs (ASVS 5.0 6.5.2).
func TestRecoveryCodeEntropy(t *testing.T) {
	t.Parallel()
	var symbols [24]map[byte]bool
	for i := range symbols {
		symbols[i] = map[byte]bool{}
	}
	for range 20 {
		codes, _, err := access.NewRecoveryCodes()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			plain := strings.ReplaceAll(c, "-", "")
			if len(plain) != 24 {
				t.Fatalf("code %q has %d symbols, want 24", c, len(plain))
			}
			for i := range plain {
				symbols[i][plain[i]] = true
			}
		}
	}
	// 200 draws from 32 symbols: a position with fewer than 16 distinct
	// ones is not random (the chance of that by luck is below 1e-12).
	for i, s := range symbols {
		if len(s) < 16 {
			t.Errorf("position %d took only %d distinct symbols in 200 codes", i, len(s))
		}
	}
}

func TestHashRecoveryCodeNormalises(t *testing.T) {
	t.Parallel()
	const code = "0123-4567-89AB-CDEF-GHJK-MNPQ"
	want := access.HashRecoveryCode(code)
	if !bytes.Equal(want, sha256Sum("0123456789ABCDEFGHJKMNPQ")) {
		t.Fatal("HashRecoveryCode is not SHA-256 of the code without dashes")
	}
	same := []string{
		"0123456789ABCDEFGHJKMNPQ",
		"0123-4567-89ab-cdef-ghjk-mnpq",
		" 0123 4567 89AB CDEF GHJK MNPQ ",
		"O123-4567-89AB-CDEF-GHJK-MNPQ", // O read as 0
		"o123-4567-89AB-CDEF-GHJK-MNPQ",
		"0I23-4567-89AB-CDEF-GHJK-MNPQ", // I read as 1
		"0l23-4567-89AB-CDEF-GHJK-MNPQ", // l read as 1
		"0L23-4567-89AB-CDEF-GHJK-MNPQ",
		"0123--4567-89AB-CDEF-GHJK-MNPQ",
	}
	for _, c := range same {
		if !bytes.Equal(access.HashRecoveryCode(c), want) {
			t.Errorf("HashRecoveryCode(%q) differs from that of %q", c, code)
		}
	}
	different := []string{
		"",
		"0123-4567-89AB-CDEF-GHJK-MNP",
		"0123-4567-89AB-CDEF-GHJK-MNPR",
		"1123-4567-89AB-CDEF-GHJK-MNPQ",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-0",
		"U123-4567-89AB-CDEF-GHJK-MNPQ", // U has no meaning, not an alias of V
	}
	for _, c := range different {
		if bytes.Equal(access.HashRecoveryCode(c), want) {
			t.Errorf("HashRecoveryCode(%q) equals that of %q", c, code)
		}
	}
}

func sha256Sum(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
