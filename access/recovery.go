package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// RecoveryCodeCount is how many recovery codes an account receives at MFA
// enrolment (DESIGN.md); each is usable once, instead of a TOTP code.
const RecoveryCodeCount = 10

// recoveryCodeBytes is the entropy of one code: 120 bits. ASVS 5.0 6.5.2
// allows a plain hash (SHA-256) only for lookup secrets of 112 bits or more;
// below that they would need a salted password hash, and every login with a
// recovery code would have to try it against all ten. 15 bytes are 24
// Crockford base32 characters exactly, with no padding.
const recoveryCodeBytes = 15

// recoveryGroup is the length of the dash-separated groups a person reads.
const recoveryGroup = 4

// crockford is Crockford's base32: digits and upper-case letters without I,
// L, O and U, so that no two symbols look alike when read or typed.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns RecoveryCodeCount fresh codes to show the person
// once, such as "7K2M-9QXD-R4TB-…" (six groups of four), and their hashes to
// store, in the same order. The plain codes must never be stored or logged.
func NewRecoveryCodes() (codes []string, hashes [][]byte, err error) {
	codes = make([]string, RecoveryCodeCount)
	hashes = make([][]byte, RecoveryCodeCount)
	raw := make([]byte, recoveryCodeBytes)
	for i := range codes {
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, fmt.Errorf("new recovery code: %w", err)
		}
		codes[i] = groupRecoveryCode(crockford.EncodeToString(raw))
		hashes[i] = HashRecoveryCode(codes[i])
	}
	return codes, hashes, nil
}

// HashRecoveryCode returns the SHA-256 of code after normalising it the way
// Crockford intends for typed input: case-insensitive, dashes and spaces
// ignored, I and L read as 1, O as 0. A fast hash is sound here because the
// codes are random with 120 bits of entropy: unlike a password, there is no
// dictionary to try, and 2^120 guesses are out of reach however fast the
// hash (ASVS 5.0 6.5.2). Look the hash up among the account's unused codes
// and mark it used in the same transaction that accepts the login.
func HashRecoveryCode(code string) []byte {
	sum := sha256.Sum256([]byte(normalizeRecoveryCode(code)))
	return sum[:]
}

func normalizeRecoveryCode(code string) string {
	var b strings.Builder
	b.Grow(len(code))
	for _, r := range strings.ToUpper(code) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func groupRecoveryCode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += recoveryGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+recoveryGroup, len(s))])
	}
	return b.String()
}
