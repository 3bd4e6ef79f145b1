package access

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP settings: RFC 6238 with the parameters every authenticator app
// understands (SHA-1, 6 digits, 30 seconds). HMAC-SHA-1 is still sound as a
// MAC; the others are what Google Authenticator and its peers assume,
// whatever the otpauth URI says.
const (
	totpPeriod     = 30
	totpSecretSize = 20 // 160 bits, as RFC 4226 recommends
	// minTOTPSecretSize is RFC 4226's minimum, enforced on verification.
	minTOTPSecretSize = 16
	totpDigits        = otp.DigitsSix
	totpAlgorithm     = otp.AlgorithmSHA1
	// totpSkew is how many steps before and after now a code is accepted:
	// one, for clocks that drift or a code typed as it rolls over.
	totpSkew = 1
	// maxQRSize bounds the PNG a caller may ask for.
	maxQRSize = 2048
)

// ErrTOTPInvalid is returned for a code that matches no accepted time step,
// and for anything that is not six digits.
var ErrTOTPInvalid = errors.New("invalid TOTP code")

// ErrTOTPReplayed is returned for a correct code whose time step was already
// used: a code is accepted once (ASVS 5.0 6.5.1), so one seen over a
// shoulder or copied from a log cannot be used a second time. Count it as a
// failed attempt, like ErrTOTPInvalid.
var ErrTOTPReplayed = errors.New("TOTP code already used")

// NewTOTPKey makes a TOTP key with a fresh 160-bit secret from crypto/rand
// (ASVS 5.0 6.5.3). issuer ("Tahsil") and accountName (the e-mail) are what
// the authenticator app shows. key.Secret() is the base32 secret to store
// (encrypted); key.URL() is the otpauth URI for the QR code.
func NewTOTPKey(issuer, accountName string) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: accountName,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      totpDigits,
		Algorithm:   totpAlgorithm,
		Rand:        rand.Reader,
	})
	if err != nil {
		return nil, fmt.Errorf("generate TOTP key: %w", err)
	}
	return key, nil
}

// TOTPQRPNG returns a size×size PNG of the QR code of key's otpauth URI, for
// the enrolment page. The image carries the secret: serve it with
// Cache-Control: no-store and never log it.
func TOTPQRPNG(key *otp.Key, size int) ([]byte, error) {
	if size <= 0 || size > maxQRSize {
		return nil, fmt.Errorf("QR code size %d is outside 1..%d", size, maxQRSize)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("draw TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode TOTP QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// VerifyTOTP checks code against secret (base32, as key.Secret() returns it)
// at now, accepting the time steps now-1, now and now+1. On success it
// returns the matching step, which the caller must store as the account's
// new lastStep in the same transaction that accepts the login.
//
// A correct code whose step is not after lastStep fails with ErrTOTPReplayed:
// each step, and so each code, is accepted once. A newly enrolled account
// passes lastStep 0. Any other mismatch is ErrTOTPInvalid. Other errors
// (a secret that is not base32) are server faults, not the user's.
//
// code is trimmed of spaces, including the one apps show in the middle
// ("123 456"), and must then be exactly six ASCII digits. All three steps are
// always computed and each comparison is constant-time, so the time taken
// does not tell how close a guess came or which step it matched.
func VerifyTOTP(secret, code string, now time.Time, lastStep int64) (step int64, err error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if !isSixDigits(code) {
		return 0, ErrTOTPInvalid
	}
	if err := checkTOTPSecret(secret); err != nil {
		return 0, fmt.Errorf("verify TOTP: %w", err)
	}
	current := floorDiv(now.Unix(), totpPeriod)
	var found, replayed bool
	for s := current - totpSkew; s <= current+totpSkew; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), hotp.ValidateOpts{
			Digits:    totpDigits,
			Algorithm: totpAlgorithm,
		})
		if err != nil {
			return 0, fmt.Errorf("verify TOTP: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		switch {
		case s <= lastStep:
			replayed = true
		case !found:
			// The earliest unused matching step wins, so that a (one in a
			// million) match of two steps does not burn the later one.
			found, step = true, s
		}
	}
	switch {
	case found:
		return step, nil
	case replayed:
		return 0, ErrTOTPReplayed
	}
	return 0, ErrTOTPInvalid
}

// checkTOTPSecret refuses a secret shorter than RFC 4226's minimum of 128
// bits. An empty or truncated secret (a bad decryption, a bug) would
// otherwise still produce codes, from a key an attacker can compute.
func checkTOTPSecret(secret string) error {
	s := strings.TrimRight(strings.ToUpper(strings.TrimSpace(secret)), "=")
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return fmt.Errorf("secret is not base32: %w", err)
	}
	if len(raw) < minTOTPSecretSize {
		return fmt.Errorf("secret has %d bytes, want at least %d", len(raw), minTOTPSecretSize)
	}
	return nil
}

func isSixDigits(s string) bool {
	if len(s) != totpDigits.Length() {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// floorDiv divides rounding toward minus infinity, as RFC 6238's
// T = floor((Unix time - T0) / X) does; Go's / truncates toward zero.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
