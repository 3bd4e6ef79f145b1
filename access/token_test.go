package access_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/access"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{access.PrefixSession, access.PrefixMFA, access.PrefixAPIKey, access.PrefixCSRF} {
		plain, hash, err := access.NewToken(prefix)
		if err != nil {
			t.Fatalf("NewToken(%q): %v", prefix, err)
		}
		body, ok := strings.CutPrefix(plain, prefix)
		if !ok {
			t.Fatalf("token %q does not start with %q", plain, prefix)
		}
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil || len(raw) != 32 {
			t.Errorf("token body %q: %d bytes, %v; want 256 bits of unpadded base64url", body, len(raw), err)
		}
		if want := sha256.Sum256([]byte(plain)); !bytes.Equal(hash, want[:]) {
			t.Errorf("hash of %q is not SHA-256 of the whole token", prefix)
		}
		if !bytes.Equal(hash, access.HashToken(plain)) {
			t.Errorf("NewToken's hash differs from HashToken")
		}
		if got := access.TokenPrefix(plain); got != prefix {
			t.Errorf("TokenPrefix(%q) = %q, want %q", plain, got, prefix)
		}
	}
}

func TestNewTokenIsRandom(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		plain, _, err := access.NewToken(access.PrefixSession)
		if err != nil {
			t.Fatal(err)
		}
		if seen[plain] {
			t.Fatalf("token %q made twice", plain)
		}
		seen[plain] = true
	}
}

func TestNewTokenRefusesBadPrefixes(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "ts", "_", "TS_", "t1_", "ts-", "toolongpfx_", "ts__", "é_"} {
		if plain, _, err := access.NewToken(prefix); err == nil {
			t.Errorf("NewToken(%q) = %q, want an error", prefix, plain)
		}
	}
}

func TestTokenPrefix(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"ts_abc":          "ts_",
		"tk_a_b_c":        "tk_",
		"ts_":             "ts_",
		"abcdefgh_x":      "abcdefgh_",
		"abcdefghi_x":     "", // too long to be a prefix
		"":                "",
		"ts":              "",
		"_abc":            "",
		"TS_abc":          "",
		"Bearer ts_abc":   "",
		"a1_b":            "",
		"xyzxyz":          "",
		"abc-def_ghi_jkl": "",
	}
	for in, want := range tests {
		if got := access.TokenPrefix(in); got != want {
			t.Errorf("TokenPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHashTokenDistinguishesKinds(t *testing.T) {
	t.Parallel()
	// The prefix is hashed too, so a session token's body presented as an
	// API key does not find the session's row.
	if bytes.Equal(access.HashToken("ts_same"), access.HashToken("tk_same")) {
		t.Fatal("tokens differing only by prefix have one hash")
	}
}
