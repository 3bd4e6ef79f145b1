package access_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/adc-dz/tahsil/access"
)

func newLimiter(t *testing.T, limit rate.Limit, burst, maxKeys int) *access.Limiter {
	t.Helper()
	l, err := access.NewLimiter(limit, burst, maxKeys)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestNewLimiterValidates(t *testing.T) {
	t.Parallel()
	if _, err := access.NewLimiter(rate.Every(time.Second), 1, 1); err != nil {
		t.Fatalf("smallest valid limiter: %v", err)
	}
	if _, err := access.NewLimiter(rate.Inf, 1, 1); err != nil {
		t.Fatalf("unlimited limiter: %v", err)
	}
	_, err := access.NewLimiter(0, 0, 0)
	if err == nil {
		t.Fatal("NewLimiter(0, 0, 0) succeeded")
	}
	// Every problem is reported at once.
	for _, want := range []string{"limit", "burst", "maxKeys"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := access.NewLimiter(-1, 1, 1); err == nil {
		t.Error("negative limit accepted")
	}
}

func TestLimiterAllow(t *testing.T) {
	t.Parallel()
	// Three at once, then one every ten seconds.
	l := newLimiter(t, rate.Every(10*time.Second), 3, 100)
	steps := []struct {
		at        time.Duration
		wantOK    bool
		wantRetry time.Duration
	}{
		{0, true, 0},
		{0, true, 0},
		{0, true, 0},
		{0, false, 10 * time.Second},
		{0, false, 10 * time.Second}, // refused requests took nothing
		{5 * time.Second, false, 5 * time.Second},
		{9500 * time.Millisecond, false, time.Second}, // half a second, rounded up
		{9999 * time.Millisecond, false, time.Second},
		{10 * time.Second, true, 0},
		{10 * time.Second, false, 10 * time.Second},
		{15 * time.Second, false, 5 * time.Second},
		{20 * time.Second, true, 0},
		// Idle for a long time: back to a full bucket, never more.
		{time.Hour, true, 0},
		{time.Hour, true, 0},
		{time.Hour, true, 0},
		{time.Hour, false, 10 * time.Second},
	}
	for i, s := range steps {
		ok, retry := l.Allow("192.0.2.1", t0.Add(s.at))
		if ok != s.wantOK || retry != s.wantRetry {
			t.Errorf("step %d at +%v: Allow = %v, %v; want %v, %v", i, s.at, ok, retry, s.wantOK, s.wantRetry)
		}
	}
}

func TestLimiterRetryAfterIsWholeSeconds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit rate.Limit
		want  time.Duration
	}{
		{rate.Limit(3), time.Second},    // a third of a second
		{rate.Limit(1000), time.Second}, // a millisecond
		{rate.Every(1500 * time.Millisecond), 2 * time.Second},
		{rate.Every(90 * time.Second), 90 * time.Second},
		{rate.Every(time.Hour), time.Hour},
	}
	for _, tt := range tests {
		l := newLimiter(t, tt.limit, 1, 10)
		if ok, _ := l.Allow("k", t0); !ok {
			t.Fatalf("limit %v: first request refused", tt.limit)
		}
		ok, retry := l.Allow("k", t0)
		if ok || retry != tt.want {
			t.Errorf("limit %v: second request = %v, %v; want false, %v", tt.limit, ok, retry, tt.want)
		}
	}
}

func TestLimiterKeysAreIndependent(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, rate.Every(time.Minute), 1, 100)
	if ok, _ := l.Allow("a", t0); !ok {
		t.Fatal("a refused")
	}
	if ok, _ := l.Allow("a", t0); ok {
		t.Fatal("a allowed twice")
	}
	if ok, _ := l.Allow("b", t0); !ok {
		t.Fatal("b refused because of a")
	}
}

func TestLimiterUnlimited(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, rate.Inf, 1, 10)
	for i := range 1000 {
		if ok, retry := l.Allow("k", t0); !ok || retry != 0 {
			t.Fatalf("request %d refused by an unlimited limiter", i)
		}
	}
}

func TestLimiterForgetsTheLeastRecentlyUsedKey(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, rate.Every(time.Hour), 1, 2)
	l.Allow("a", t0) // a's bucket is now empty
	l.Allow("b", t0)
	if ok, _ := l.Allow("a", t0); ok { // a is used again, so b is the oldest
		t.Fatal("a allowed twice")
	}
	l.Allow("c", t0) // evicts b
	if got := l.Len(); got != 2 {
		t.Fatalf("Len = %d, want 2", got)
	}
	if ok, _ := l.Allow("a", t0); ok {
		t.Error("a was evicted although recently used")
	}
	// b was forgotten, and so forgiven: a fresh bucket (this evicts c).
	if ok, _ := l.Allow("b", t0); !ok {
		t.Error("b, evicted, was refused")
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, rate.Every(time.Second), 1, 1000)
	for i := range 100_000 {
		l.Allow(fmt.Sprintf("198.51.100.%d", i), t0)
	}
	if got := l.Len(); got != 1000 {
		t.Fatalf("Len = %d after 100,000 keys, want the bound 1000", got)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	const burst, goroutines, perGoroutine = 50, 16, 100
	l := newLimiter(t, rate.Every(time.Hour), burst, 8)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				// One hot key shared by all, and churn on others that
				// forces evictions while the hot key is in use.
				if ok, _ := l.Allow("hot", t0); ok {
					allowed.Add(1)
				}
				l.Allow(fmt.Sprintf("cold-%d-%d", g, i%4), t0)
				if i%10 == 0 {
					l.Len()
				}
			}
		})
	}
	wg.Wait()
	// The hot key may be evicted by the churn and forgiven, so more than
	// burst can pass, but never fewer.
	if got := allowed.Load(); got < burst {
		t.Fatalf("%d requests allowed on the hot key, want at least %d", got, burst)
	}
	if got := l.Len(); got > 8 {
		t.Fatalf("Len = %d, over the bound of 8", got)
	}
}

func TestLimiterConcurrentExactCount(t *testing.T) {
	t.Parallel()
	// Without evictions, exactly burst requests pass at one instant, however
	// many goroutines race for them.
	const burst = 37
	l := newLimiter(t, rate.Every(time.Hour), burst, 10)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 50 {
				if ok, _ := l.Allow("key", t0); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != burst {
		t.Fatalf("%d requests allowed, want exactly %d", got, burst)
	}
}
