package access

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length bounds, in Unicode code points (what a person counts as
// characters), not bytes. 12 is above ASVS 5.0 6.2.1's floor of 8; the
// ceiling bounds the work an attacker can ask of argon2 while still letting
// passphrases and password managers through (6.2.9 asks for at least 64).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

// argon2id parameters: the first option of the OWASP Password Storage Cheat
// Sheet (19 MiB, 2 passes, 1 lane), which ASVS 5.0 11.4.2 defers to. About
// 45 ms and 19 MiB per hash on our 2-core machines: memory, more than time,
// bounds concurrent logins, so the API must not verify more passwords at
// once than it has memory for. Raising them later is safe: old hashes carry
// their own parameters, still verify, and NeedsRehash tells when to upgrade
// one.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Bounds on parameters read back from a stored hash, so that a corrupted or
// planted row cannot make one login allocate gigabytes or spin for minutes.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 64
	minArgonSaltLen   = 8
	maxArgonSaltLen   = 64
	minArgonKeyLen    = 16
	maxArgonKeyLen    = 64
)

// dummyHash is the hash of a random password nobody knows, with the current
// parameters (a test keeps it so). It is a constant rather than computed on
// first use: a lazy computation would make the first unknown e-mail slower
// than the rest, the very timing difference DummyVerify exists to hide.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$bWXXxUMv7ZSv/jQGxB20ew$uPpPtbwbdbJuXkwVfEh0dsVw9/aIwSxFQ/aPTZTOw7Y"

// ErrMalformedHash is returned by VerifyPassword for a stored value that is
// not an argon2id PHC string within the accepted parameter bounds.
var ErrMalformedHash = errors.New("malformed argon2id password hash")

// argonParams are the parameters of one stored hash.
type argonParams struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
}

// HashPassword returns the argon2id hash of pw as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, both in unpadded standard
// base64. It does not judge the password: call CheckPassword first.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	p := argonParams{memoryKiB: argonMemoryKiB, time: argonTime, threads: argonThreads}
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memoryKiB, p.threads, argonKeyLen)
	return encodeArgon(p, salt, key), nil
}

// VerifyPassword reports whether pw matches the stored hash encoded, using
// the parameters written in encoded, so hashes made with older parameters
// keep working. The comparison is constant-time. err is ErrMalformedHash
// (wrapped) when encoded cannot be used at all; ok is then false.
func VerifyPassword(encoded, pw string) (ok bool, err error) {
	p, salt, want, err := decodeArgon(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memoryKiB, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// HashPassword uses now (or cannot be read). After a successful login, the
// caller re-hashes the password it just verified and stores the new hash.
func NeedsRehash(encoded string) bool {
	p, salt, key, err := decodeArgon(encoded)
	if err != nil {
		return true
	}
	return p != argonParams{memoryKiB: argonMemoryKiB, time: argonTime, threads: argonThreads} ||
		len(salt) != argonSaltLen || len(key) != argonKeyLen
}

// DummyVerify spends the time and memory of a real VerifyPassword and throws
// the result away. Call it when the e-mail of a login matches no account (or
// a disabled one), so the response time does not reveal which e-mails exist
// (ASVS 5.0 6.3.8).
func DummyVerify(pw string) {
	_, _ = VerifyPassword(dummyHash, pw)
}

// CheckPassword returns "" when pw is acceptable as a new password, else a
// reason to show the person. The rules are those of ASVS 5.0 6.2 and NIST SP
// 800-63B: a length between MinPasswordLength and MaxPasswordLength, and not
// one of the most common passwords (case-insensitively, so "PASSWORD1234" is
// refused too). There are deliberately no composition rules (6.2.5), and pw
// is judged exactly as typed: no trimming or normalisation (6.2.8).
func CheckPassword(pw string) (reason string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return fmt.Sprintf("The password must have at least %d characters.", MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Sprintf("The password must have at most %d characters.", MaxPasswordLength)
	case isCommonPassword(pw):
		return "This password is among the most common ones, which attackers try first. Choose another."
	}
	return ""
}

func encodeArgon(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memoryKiB, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// decodeArgon parses what encodeArgon writes, strictly: the fields in that
// order, version 19 only, no padding, and parameters within bounds.
func decodeArgon(encoded string) (p argonParams, salt, key []byte, err error) {
	malformed := func(what string) (argonParams, []byte, []byte, error) {
		return argonParams{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, what)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return malformed("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return malformed("unsupported version " + parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return malformed("parameters must be m,t,p")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(params[i], name+"=")
		if !ok {
			return malformed("parameters must be m,t,p")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		// Canonical numbers only ("01" is not): a hash this package did not
		// write in its own form is rehashed at the next sign-in.
		if err != nil || strconv.FormatUint(n, 10) != v {
			return malformed("parameter " + name + " is not a number")
		}
		vals[i] = n
	}
	m, t, threads := vals[0], vals[1], vals[2]
	if t < 1 || t > maxArgonTime || threads < 1 || threads > 255 || m < 8*threads || m > maxArgonMemoryKiB {
		return malformed("parameters out of bounds")
	}
	enc := base64.RawStdEncoding.Strict()
	if salt, err = enc.DecodeString(parts[4]); err != nil || len(salt) < minArgonSaltLen || len(salt) > maxArgonSaltLen {
		return malformed("bad salt")
	}
	if key, err = enc.DecodeString(parts[5]); err != nil || len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return malformed("bad key")
	}
	return argonParams{memoryKiB: uint32(m), time: uint32(t), threads: uint8(threads)}, salt, key, nil
}
