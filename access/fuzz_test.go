package access_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/access"
)

// FuzzNeedsRehash feeds arbitrary stored values to the PHC parser (without
// hashing, which would make the fuzzer allocate 19 MiB per input): it must
// not panic, and only a hash in exactly the current form passes.
func FuzzNeedsRehash(f *testing.F) {
	f.Add(access.DummyHashForTest)
	f.Add("$argon2id$v=19$m=8192,t=1,p=2$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$2a$10$yoijtlT0xosZcTd.XWOLUe04zUiNrJj1TAZZSAxJC1zQX/lL.yrhG")
	f.Add("")
	f.Fuzz(func(t *testing.T, encoded string) {
		if access.NeedsRehash(encoded) {
			return
		}
		const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
		rest, ok := strings.CutPrefix(encoded, prefix)
		if !ok {
			t.Fatalf("NeedsRehash(%q) = false without the current parameters", encoded)
		}
		salt, key, _ := strings.Cut(rest, "$")
		s, err1 := base64.RawStdEncoding.DecodeString(salt)
		k, err2 := base64.RawStdEncoding.DecodeString(key)
		if err1 != nil || err2 != nil || len(s) != 16 || len(k) != 32 {
			t.Fatalf("NeedsRehash(%q) = false for a salt or key of the wrong size", encoded)
		}
	})
}

// FuzzVerifyTOTP checks that only six ASCII digits (give or take spaces)
// are ever compared, and that nothing panics.
func FuzzVerifyTOTP(f *testing.F) {
	now := time.Unix(1_750_000_000, 0)
	for _, s := range []string{"287082", " 123 456 ", "12345", "１２３４５６", "", "\x00"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, code string, lastStep int64) {
		step, err := access.VerifyTOTP(rfcSecret, code, now, lastStep)
		digits := strings.ReplaceAll(strings.TrimSpace(code), " ", "")
		wellFormed := len(digits) == 6 && strings.Trim(digits, "0123456789") == ""
		switch {
		case err == nil:
			if !wellFormed || step <= lastStep || step < now.Unix()/30-1 || step > now.Unix()/30+1 {
				t.Fatalf("VerifyTOTP(%q, %d) accepted step %d", code, lastStep, step)
			}
		case !errors.Is(err, access.ErrTOTPInvalid) && !errors.Is(err, access.ErrTOTPReplayed):
			t.Fatalf("VerifyTOTP(%q): unexpected error %v", code, err)
		case !wellFormed && !errors.Is(err, access.ErrTOTPInvalid):
			t.Fatalf("VerifyTOTP(%q) = %v for a malformed code", code, err)
		}
	})
}

// FuzzTokenPrefix checks that TokenPrefix only ever returns a well-formed
// prefix of its input, never a piece of the secret part.
func FuzzTokenPrefix(f *testing.F) {
	for _, s := range []string{"ts_abc", "tk_a_b", "abc", "_x", "abcdefghi_j", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, plain string) {
		p := access.TokenPrefix(plain)
		if p == "" {
			return
		}
		letters, ok := strings.CutSuffix(p, "_")
		if !strings.HasPrefix(plain, p) || !ok || letters == "" || len(letters) > 8 ||
			strings.Trim(letters, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("TokenPrefix(%q) = %q", plain, p)
		}
	})
}
