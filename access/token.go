package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Token prefixes say what a token is for, so that one found in a log, a
// browser or a repository can be recognised (and secret scanners can match
// "tk_"), and so that a token of one kind is never accepted as another.
const (
	PrefixSession = "ts_"
	PrefixMFA     = "tm_"
	PrefixAPIKey  = "tk_"
	PrefixCSRF    = "tc_"
)

// tokenBytes is the entropy of a token: 256 bits, twice the 128 that ASVS 5.0
// 7.2.3 asks of session tokens, and 43 characters of base64.
const tokenBytes = 32

// maxPrefixLetters bounds the letters of a prefix, before its underscore.
const maxPrefixLetters = 8

// NewToken returns a fresh opaque token, prefix followed by 256 random bits
// in unpadded URL-safe base64, and the hash to store in its place. The plain
// token goes to the client once and is never stored or logged.
//
// prefix must be one to eight lower-case ASCII letters and an underscore,
// like the Prefix constants: the random part may itself contain "_", so
// only a well-formed prefix can be told apart from it by TokenPrefix.
func NewToken(prefix string) (plain string, hash []byte, err error) {
	if TokenPrefix(prefix) != prefix || prefix == "" {
		return "", nil, fmt.Errorf("new token: prefix %q is not 1 to %d lower-case letters and \"_\"", prefix, maxPrefixLetters)
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	plain = prefix + base64.RawURLEncoding.EncodeToString(raw)
	return plain, HashToken(plain), nil
}

// HashToken returns the SHA-256 of the whole token, prefix included, which is
// what the database stores and is looked up by. Tokens are random with 256
// bits of entropy, so neither salt nor a slow hash would add anything: a
// stolen table of hashes cannot be reversed, and looking up by hash avoids a
// timing side channel on the comparison.
func HashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}

// TokenPrefix returns the prefix of plain (its leading lower-case letters and
// the underscore after them), or "" when it does not start with one. The
// prefix is not secret: it may be logged to tell which kind of token was
// refused. Compare it before looking a token up, so that an API key is never
// accepted as a session.
func TokenPrefix(plain string) string {
	for i := range min(len(plain), maxPrefixLetters+1) {
		switch c := plain[i]; {
		case c == '_' && i > 0:
			return plain[:i+1]
		case c < 'a' || c > 'z':
			return ""
		}
	}
	return ""
}
