package access_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/adc-dz/tahsil/access"
)

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := access.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashPasswordFormat(t *testing.T) {
	t.Parallel()
	h := mustHash(t, "correct horse battery staple")
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(h, prefix) {
		t.Fatalf("hash %q does not start with %q", h, prefix)
	}
	parts := strings.Split(strings.TrimPrefix(h, prefix), "$")
	if len(parts) != 2 {
		t.Fatalf("hash %q: want salt$key after the parameters", h)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[0])
	if err != nil || len(salt) != 16 {
		t.Errorf("salt %q: %d bytes, %v; want 16 bytes of unpadded base64", parts[0], len(salt), err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[1])
	if err != nil || len(key) != 32 {
		t.Errorf("key %q: %d bytes, %v; want 32 bytes of unpadded base64", parts[1], len(key), err)
	}
	// The key is argon2id itself, not something of our own making.
	if want := argon2.IDKey([]byte("correct horse battery staple"), salt, 2, 19456, 1, 32); string(key) != string(want) {
		t.Error("key is not argon2id(pw, salt, t=2, m=19456, p=1, 32)")
	}
	if h2 := mustHash(t, "correct horse battery staple"); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if access.NeedsRehash(h) {
		t.Error("NeedsRehash of a fresh hash = true")
	}
}

func TestVerifyPassword(t *testing.T) {
	t.Parallel()
	const pw = "Tahsil: ستة عشر حرفا, 16!"
	h := mustHash(t, pw)
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"same", pw, true},
		{"other", "something else entirely", false},
		{"empty", "", false},
		{"case changed", strings.ToUpper(pw), false},
		{"trailing space", pw + " ", false},
		{"truncated", pw[:len(pw)-1], false},
	}
	for _, tt := range tests {
		ok, err := access.VerifyPassword(h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("%s: VerifyPassword = %v, %v; want %v, nil", tt.name, ok, err, tt.want)
		}
	}
}

// TestVerifyPasswordReadsItsParameters checks that a hash made with other
// parameters (an older policy, or another argon2id implementation) still
// verifies, and is flagged for re-hashing.
func TestVerifyPasswordReadsItsParameters(t *testing.T) {
	t.Parallel()
	salt := []byte("sixteen byte slt")
	key := argon2.IDKey([]byte("an older password"), salt, 1, 8*1024, 2, 24)
	old := "$argon2id$v=19$m=8192,t=1,p=2$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	ok, err := access.VerifyPassword(old, "an older password")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(old parameters) = %v, %v; want true", ok, err)
	}
	if ok, _ := access.VerifyPassword(old, "an older passworD"); ok {
		t.Error("wrong password verified against old parameters")
	}
	if !access.NeedsRehash(old) {
		t.Error("NeedsRehash(old parameters) = false")
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	t.Parallel()
	good := mustHash(t, "a perfectly fine password")
	salt := base64.RawStdEncoding.EncodeToString([]byte("sixteen byte slt"))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	tests := map[string]string{
		"empty":            "",
		"plain text":       "a perfectly fine password",
		"bcrypt":           "$2a$10$yoijtlT0xosZcTd.XWOLUe04zUiNrJj1TAZZSAxJC1zQX/lL.yrhG",
		"argon2i":          strings.Replace(good, "argon2id", "argon2i", 1),
		"version 16":       strings.Replace(good, "v=19", "v=16", 1),
		"no version":       "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key,
		"params reordered": "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key,
		"param missing":    "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key,
		"param not number": "$argon2id$v=19$m=lots,t=2,p=1$" + salt + "$" + key,
		"negative":         "$argon2id$v=19$m=19456,t=-2,p=1$" + salt + "$" + key,
		"zero time":        "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key,
		"zero threads":     "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key,
		"256 threads":      "$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key,
		"huge memory":      "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key,
		"huge time":        "$argon2id$v=19$m=19456,t=1000000,p=1$" + salt + "$" + key,
		"padded salt":      "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key,
		"short salt":       "$argon2id$v=19$m=19456,t=2,p=1$" + base64.RawStdEncoding.EncodeToString([]byte("salt")) + "$" + key,
		"short key":        "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 8)),
		"bad base64":       "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$not*base64",
		"trailing field":   good + "$",
		"leading text":     "x" + good,
	}
	for name, h := range tests {
		ok, err := access.VerifyPassword(h, "a perfectly fine password")
		if ok || !errors.Is(err, access.ErrMalformedHash) {
			t.Errorf("%s: VerifyPassword = %v, %v; want false, ErrMalformedHash", name, ok, err)
		}
		if !access.NeedsRehash(h) {
			t.Errorf("%s: NeedsRehash = false", name)
		}
	}
}

func TestDummyVerifyCostsAsMuchAsARealOne(t *testing.T) {
	t.Parallel()
	// DummyVerify verifies against a fixed hash; its cost is a real
	// verification's as long as that hash has the current parameters.
	// Timing both would be a flaky test of the same fact.
	h := access.DummyHashForTest
	if access.NeedsRehash(h) {
		t.Fatalf("the dummy hash %q does not use the current parameters: replace it with a fresh HashPassword of a random password", h)
	}
	if ok, err := access.VerifyPassword(h, ""); err != nil || ok {
		t.Fatalf("VerifyPassword(dummy, \"\") = %v, %v", ok, err)
	}
	access.DummyVerify("any password at all")
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		pw     string
		reason string // a word the reason must contain; "" for accepted
	}{
		{"empty", "", "at least 12"},
		{"11 characters", "abcdefghijk", "at least 12"},
		{"12 characters", "zq8-mv4!ptx2", ""},
		{"11 code points, 22 bytes", strings.Repeat("é", 11), "at least 12"},
		{"12 code points, Arabic", "كلمةسرطويلةج", ""},
		{"spaces count and are kept", "  zq8 mv4 p  ", ""},
		{"128 characters", strings.Repeat("xk7", 42) + "ab", ""},
		{"129 characters", strings.Repeat("xk7", 43), "at most 128"},
		{"no composition rules: lower-case words", "purple tractor evening", ""},
		{"no composition rules: digits only", "492817365019", ""},
		{"common", "password1234", "common"},
		{"common, capitalised", "Password1234", "common"},
		{"common, upper case", "QWERTY123456", "common"},
		{"common keyboard walk", "1qaz2wsx3edc", "common"},
		{"common, other", "123456qwerty", "common"},
		{"common, short is refused by length first", "password", "at least 12"},
		{"common with a suffix is not in the list", "password1234!", ""},
		{"newline does not join two entries", "qwerty123456\n1qaz2wsx3edc", ""},
	}
	for _, tt := range tests {
		got := access.CheckPassword(tt.pw)
		switch {
		case tt.reason == "" && got != "":
			t.Errorf("%s: CheckPassword(%q) = %q, want accepted", tt.name, tt.pw, got)
		case tt.reason != "" && !strings.Contains(got, tt.reason):
			t.Errorf("%s: CheckPassword(%q) = %q, want a reason with %q", tt.name, tt.pw, got, tt.reason)
		}
	}
}

func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	lines := strings.Split(strings.TrimSuffix(access.CommonPasswordsForTest, "\n"), "\n")
	// ASVS 5.0 6.2.4: at least the 3,000 most common passwords that match
	// the policy; shorter entries would be dead weight.
	if len(lines) < 3000 {
		t.Fatalf("the list has %d passwords, want at least 3,000", len(lines))
	}
	seen := make(map[string]bool, len(lines))
	for i, l := range lines {
		if l == "" || l != strings.ToLower(l) || strings.TrimSpace(l) != l || !utf8.ValidString(l) {
			t.Fatalf("line %d %q: want a non-empty lower-case UTF-8 entry without surrounding spaces", i+1, l)
		}
		if n := utf8.RuneCountInString(l); n < access.MinPasswordLength || n > access.MaxPasswordLength {
			t.Fatalf("line %d %q has %d characters: the length rule already refuses it", i+1, l, n)
		}
		if seen[l] {
			t.Fatalf("line %d %q is a duplicate", i+1, l)
		}
		seen[l] = true
		// Every entry, however written, is refused as common.
		if got := access.CheckPassword(strings.ToUpper(l)); !strings.Contains(got, "common") {
			t.Errorf("CheckPassword(%q) = %q, want refused as common", strings.ToUpper(l), got)
		}
	}
	for _, pw := range []string{"password1234", "qwerty123456", "1qaz2wsx3edc", "123456789012"} {
		if !seen[pw] {
			t.Errorf("%q, among the most common long passwords, is not in the list", pw)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := access.HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	for b.Loop() {
		access.CheckPassword("a password nobody uses 42")
	}
}
