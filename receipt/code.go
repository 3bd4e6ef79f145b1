package receipt

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"strings"
)

// codeDomain separates receipt codes from any other use of the same secret.
// Changing it invalidates every receipt already printed.
const codeDomain = "tahsil/receipt/v1"

// crockford is Douglas Crockford's base-32 alphabet: digits and capitals
// without I, L, O and U, so a code read aloud or typed back is unambiguous.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeChars is the length of a verification code without its hyphen: 10
// characters of 5 bits, the first 50 bits of the MAC. A forger must guess
// among 2^50 codes, each guess costing a request to a rate-limited
// verification endpoint.
const codeChars = 10

// VerificationCode returns the code printed on a receipt, "XXXXX-XXXXX" in
// Crockford base 32: the first 50 bits of HMAC-SHA-256 under secret over the
// payment id, amount (centimes) and value date (YYYY-MM-DD). Whoever holds
// the secret recomputes it with [Verify] to check that a printed receipt is
// genuine and that none of these three fields was altered.
//
// The secret must be at least 32 random bytes and must stay stable: rotating
// it invalidates every receipt already printed unless the verifier keeps the
// old one. An empty secret yields "", which [Render] refuses.
func VerificationCode(secret []byte, paymentID string, amount int64, valueDate string) string {
	if len(secret) == 0 {
		return ""
	}
	raw := codeBits(secret, paymentID, amount, valueDate)
	var b [codeChars + 1]byte
	j := 0
	for i := range codeChars {
		if i == codeChars/2 {
			b[j] = '-'
			j++
		}
		b[j] = crockford[raw[i]]
		j++
	}
	return string(b[:])
}

// Verify reports whether code is the verification code of the payment. It
// accepts what a person types back: lower case, spaces or hyphens anywhere,
// and the letters O, I and L for the digits 0, 1 and 1. The comparison runs
// in constant time. An empty secret verifies nothing.
func Verify(secret []byte, code, paymentID string, amount int64, valueDate string) bool {
	if len(secret) == 0 {
		return false
	}
	got, ok := parseCode(code)
	want := codeBits(secret, paymentID, amount, valueDate)
	// Compare even when parsing failed, so that timing says nothing.
	eq := subtle.ConstantTimeCompare(got[:], want[:])
	return ok && eq == 1
}

// codeBits returns the first 50 bits of the MAC as ten 5-bit values.
func codeBits(secret []byte, paymentID string, amount int64, valueDate string) [codeChars]byte {
	mac := hmac.New(sha256.New, secret)
	// Every field is length-prefixed, so no two inputs share a message
	// ("ab"+"c" differs from "a"+"bc").
	var buf [binary.MaxVarintLen64]byte
	field := func(s string) {
		mac.Write(buf[:binary.PutUvarint(buf[:], uint64(len(s)))])
		mac.Write([]byte(s))
	}
	field(codeDomain)
	field(paymentID)
	mac.Write(binary.BigEndian.AppendUint64(buf[:0], uint64(amount)))
	field(valueDate)
	sum := mac.Sum(nil)

	// Read the leading 50 bits, 5 at a time.
	hi := binary.BigEndian.Uint64(sum[:8])
	var out [codeChars]byte
	for i := range codeChars {
		out[i] = byte(hi>>(64-5*(i+1))) & 0x1f
	}
	return out
}

// parseCode decodes a typed code into its ten 5-bit values.
func parseCode(code string) (out [codeChars]byte, ok bool) {
	n := 0
	ok = true
	for _, r := range strings.ToUpper(code) {
		if r == '-' || r == ' ' {
			continue
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		v := strings.IndexRune(crockford, r)
		if v < 0 || n >= codeChars {
			ok = false
			continue
		}
		out[n] = byte(v)
		n++
	}
	return out, ok && n == codeChars
}
