package access

import "time"

// Account lockout policy (ASVS 5.0 6.3.1, NIST SP 800-63B 5.2.2): every
// MaxFailuresBeforeLock consecutive failures lock the account for BaseLock,
// doubling with each lock up to MaxLock; MaxConsecutiveFailures failures in
// a row block it until an admin unlocks it.
//
// The numbers weigh guessing against malicious lockout (6.1.1). An attacker
// gets at most 100 guesses per account, spread over about two weeks of
// locks, which no password that passed CheckPassword should fall to; a
// victim whose account someone else is hammering is locked 15 minutes at
// first, and only a sustained attack ever needs an admin. Per-IP limits
// (Limiter) slow attacks that spread over many accounts instead.
const (
	MaxFailuresBeforeLock  = 5
	BaseLock               = 15 * time.Minute
	MaxLock                = 24 * time.Hour
	MaxConsecutiveFailures = 100
)

// Factor is the failure state of one authentication factor of one account
// (its password, or its TOTP and recovery codes), as stored with the account.
// The zero value is an account in good standing. Methods return a new value
// and take the time as an argument, so the policy is tested without a clock.
type Factor struct {
	// Failures counts consecutive failures since the last success or unlock.
	Failures int
	// Locks counts the timed locks in this run of failures; it sets the
	// length of the next one.
	Locks int
	// LockedUntil is the end of the current or latest timed lock.
	LockedUntil time.Time
	// Blocked means MaxConsecutiveFailures was reached: locked until an
	// admin unlocks the account.
	Blocked bool
}

// Locked reports whether the factor refuses attempts at now, and until when:
// the zero time when Blocked, as no time ends that lock. While locked, the
// caller refuses the attempt without checking it and without calling Fail,
// so that guesses made during a lock neither count nor get an answer.
func (f Factor) Locked(now time.Time) (bool, time.Time) {
	if f.Blocked {
		return true, time.Time{}
	}
	if now.Before(f.LockedUntil) {
		return true, f.LockedUntil
	}
	return false, time.Time{}
}

// Fail records a failed attempt at now, made while the factor was not
// locked, and reports whether this failure locked it (for a timed lock or
// a block). On a blocked factor it changes nothing.
func (f Factor) Fail(now time.Time) (next Factor, lockedNow bool) {
	if f.Blocked {
		return f, false
	}
	next = f
	next.Failures++
	switch {
	case next.Failures >= MaxConsecutiveFailures:
		next.Blocked = true
		return next, true
	case next.Failures%MaxFailuresBeforeLock == 0:
		next.LockedUntil = now.Add(lockDuration(f.Locks))
		next.Locks++
		return next, true
	}
	return next, false
}

// Succeed records a successful attempt: the run of failures is over.
func (f Factor) Succeed() Factor {
	return Factor{}
}

// Unlock is an admin's unlock of a locked or blocked factor; like a success,
// it starts afresh.
func (f Factor) Unlock() Factor {
	return Factor{}
}

// lockDuration is BaseLock doubled once per earlier lock, capped at MaxLock:
// 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 16 h, then 24 h. The cap keeps a
// victim's worst case at a day rather than growing without bound; the block
// at MaxConsecutiveFailures is what ends a long attack.
func lockDuration(locks int) time.Duration {
	d := BaseLock
	for range locks {
		d *= 2
		if d >= MaxLock {
			return MaxLock
		}
	}
	return d
}
