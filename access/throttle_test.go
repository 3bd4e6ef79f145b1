package access_test

import (
	"testing"
	"time"

	"github.com/adc-dz/tahsil/access"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func TestThrottleConstants(t *testing.T) {
	t.Parallel()
	if access.MaxFailuresBeforeLock != 5 || access.BaseLock != 15*time.Minute ||
		access.MaxConsecutiveFailures != 100 || access.MaxLock != 24*time.Hour {
		t.Fatal("the lockout policy's constants changed: update DESIGN.md and the security notes with them")
	}
}

// fail records n failures one second apart from start and returns the state
// and the time of the last one.
func fail(t *testing.T, f access.Factor, start time.Time, n int) (access.Factor, time.Time) {
	t.Helper()
	now := start
	for i := range n {
		now = start.Add(time.Duration(i) * time.Second)
		f, _ = f.Fail(now)
	}
	return f, now
}

func TestFactorLocksEveryFifthFailure(t *testing.T) {
	t.Parallel()
	var f access.Factor
	for i := 1; i <= 4; i++ {
		var locked bool
		f, locked = f.Fail(t0)
		if locked || f.Failures != i {
			t.Fatalf("failure %d: locked %v, Failures %d", i, locked, f.Failures)
		}
		if l, _ := f.Locked(t0); l {
			t.Fatalf("locked after %d failures", i)
		}
	}
	f, locked := f.Fail(t0)
	if !locked {
		t.Fatal("fifth failure did not lock")
	}
	want := access.Factor{Failures: 5, Locks: 1, LockedUntil: t0.Add(15 * time.Minute)}
	if f != want {
		t.Fatalf("after five failures: %+v, want %+v", f, want)
	}

	tests := []struct {
		name       string
		at         time.Time
		wantLocked bool
		wantUntil  time.Time
	}{
		{"at once", t0, true, t0.Add(15 * time.Minute)},
		{"a minute later", t0.Add(time.Minute), true, t0.Add(15 * time.Minute)},
		{"a nanosecond before the end", t0.Add(15*time.Minute - 1), true, t0.Add(15 * time.Minute)},
		{"at the end", t0.Add(15 * time.Minute), false, time.Time{}},
		{"an hour later", t0.Add(time.Hour), false, time.Time{}},
	}
	for _, tt := range tests {
		locked, until := f.Locked(tt.at)
		if locked != tt.wantLocked || !until.Equal(tt.wantUntil) {
			t.Errorf("%s: Locked = %v, %v; want %v, %v", tt.name, locked, until, tt.wantLocked, tt.wantUntil)
		}
	}
}

func TestFactorLockDurationsDoubleUpToTheCap(t *testing.T) {
	t.Parallel()
	want := []time.Duration{
		15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
		8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour,
	}
	var f access.Factor
	now := t0
	for lock, d := range want {
		// Four failures that do not lock, then the fifth that does, each
		// made after the previous lock expired (a patient attacker).
		for i := 1; i <= 5; i++ {
			var locked bool
			f, locked = f.Fail(now)
			if locked != (i == 5) {
				t.Fatalf("lock %d, failure %d: locked = %v", lock+1, i, locked)
			}
		}
		if got := f.LockedUntil.Sub(now); got != d {
			t.Errorf("lock %d lasts %v, want %v", lock+1, got, d)
		}
		if f.Locks != lock+1 {
			t.Errorf("after lock %d: Locks = %d", lock+1, f.Locks)
		}
		now = f.LockedUntil
		if l, _ := f.Locked(now); l {
			t.Fatalf("lock %d has not expired at its end", lock+1)
		}
	}
}

func TestFactorBlocksAfterMaxConsecutiveFailures(t *testing.T) {
	t.Parallel()
	f, last := fail(t, access.Factor{}, t0, 99)
	if f.Blocked || f.Locks != 19 {
		t.Fatalf("after 99 failures: %+v, want 19 timed locks and no block", f)
	}
	f, locked := f.Fail(last.Add(48 * time.Hour))
	if !locked || !f.Blocked || f.Failures != 100 {
		t.Fatalf("100th failure: locked %v, %+v; want blocked", locked, f)
	}
	for _, at := range []time.Time{t0, last.Add(48 * time.Hour), last.Add(10 * 365 * 24 * time.Hour)} {
		if l, until := f.Locked(at); !l || !until.IsZero() {
			t.Errorf("blocked factor at %v: Locked = %v, %v; want true, zero time", at, l, until)
		}
	}
	// Failures on a blocked factor change nothing; only an admin helps.
	if g, locked := f.Fail(last.Add(49 * time.Hour)); g != f || locked {
		t.Errorf("Fail on a blocked factor = %+v, %v; want unchanged, false", g, locked)
	}
	if g := f.Unlock(); g != (access.Factor{}) {
		t.Errorf("Unlock = %+v, want the zero Factor", g)
	}
	if l, _ := f.Unlock().Locked(last); l {
		t.Error("still locked after Unlock")
	}
}

func TestFactorSuccessResets(t *testing.T) {
	t.Parallel()
	f, last := fail(t, access.Factor{}, t0, 12)
	if f.Failures != 12 || f.Locks != 2 {
		t.Fatalf("after 12 failures: %+v", f)
	}
	f = f.Succeed()
	if f != (access.Factor{}) {
		t.Fatalf("Succeed = %+v, want the zero Factor", f)
	}
	// A new run of failures starts from the first, 15-minute lock again.
	f, last = fail(t, f, last, 5)
	if f.Locks != 1 || f.LockedUntil.Sub(last) != 15*time.Minute {
		t.Fatalf("new run: %+v, want one 15-minute lock", f)
	}
}

func TestFactorFailuresMaySpanLocks(t *testing.T) {
	t.Parallel()
	// Four failures, a day apart: no lock, since only the fifth locks, and
	// consecutive means "no success in between", not "within a window".
	var f access.Factor
	for i := range 4 {
		var locked bool
		if f, locked = f.Fail(t0.Add(time.Duration(i) * 24 * time.Hour)); locked {
			t.Fatalf("failure %d locked", i+1)
		}
	}
	if f, locked := f.Fail(t0.Add(96 * time.Hour)); !locked || f.Locks != 1 {
		t.Fatalf("fifth failure, days later: locked %v, %+v", locked, f)
	}
}
