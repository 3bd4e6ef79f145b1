// Package access decides who someone is and what they may do: roles and
// permissions, password hashing and policy, TOTP, recovery codes, opaque
// tokens, account lockout and rate limits. It is pure: no HTTP, database or
// Kafka, and the time is always an argument. The API and the stores call it
// and keep the state it returns.
//
// The choices, with the OWASP ASVS 5.0 requirements they answer:
//
//   - Authorisation is one table, role → permissions (permissions.go), and
//     every route names the permission it needs (8.1.1, 8.2.1). Which records
//     a creditor or debtor sees is not a permission: SQL filters every query
//     by their id, and another tenant's record answers 404 (8.2.2, 8.4.1).
//   - Passwords: 12 to 128 characters, checked against a list of common
//     passwords, no composition rules, never altered (6.2.1, 6.2.4, 6.2.5,
//     6.2.8, 6.2.9). Stored as argon2id with the OWASP cheat sheet's
//     parameters (m=19 MiB, t=2, p=1) in PHC format, so parameters can be
//     raised later without invalidating old hashes (11.4.2).
//   - Unknown e-mails cost the same as known ones (DummyVerify), so login
//     timing does not tell which accounts exist (6.3.8).
//   - TOTP is RFC 6238 with a 160-bit secret from crypto/rand (6.5.3), one
//     step of drift either way, and each step accepted once (6.5.1).
//   - Recovery codes carry 120 bits, enough for a plain SHA-256 to store
//     them (6.5.2); sessions, MFA steps, API keys and CSRF tokens are 256
//     random bits, stored as SHA-256 and looked up by hash (7.2.3).
//   - Brute force is slowed per account (Factor: timed locks growing to a
//     day, a block after 100 failures) and per client (Limiter) (6.3.1);
//     throttle.go explains the numbers, for the documentation 6.1.1 asks for.
//
// Secrets never leave through this package's errors: messages name what is
// wrong, never the password, code or token.
package access
