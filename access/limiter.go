package access

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// Limiter is a token bucket per key (a client IP for logins, an API key for
// integrations), in memory and bounded: it tracks at most maxKeys keys and
// forgets the least recently used one to make room for a new one.
//
// Forgetting a key forgives it: the next request from it starts with a full
// bucket. An attacker who can send from more than maxKeys addresses can so
// reset their own buckets; size maxKeys well above the number of clients
// active within a refill period (each key costs about 200 bytes), and keep
// the per-account lockout (Factor), which no eviction resets. Each process
// has its own buckets: with several replicas the effective rate multiplies.
//
// A Limiter is safe for concurrent use.
type Limiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets *simplelru.LRU[string, *rate.Limiter]
}

// NewLimiter returns a Limiter that lets each key make burst requests at
// once and then limit requests per second, remembering up to maxKeys keys.
// limit may be rate.Inf, which allows everything.
func NewLimiter(limit rate.Limit, burst int, maxKeys int) (*Limiter, error) {
	var errs []error
	if !(limit > 0) {
		errs = append(errs, fmt.Errorf("limit must be positive, got %v", limit))
	}
	if burst < 1 {
		errs = append(errs, fmt.Errorf("burst must be at least 1, got %d", burst))
	}
	if maxKeys < 1 {
		errs = append(errs, fmt.Errorf("maxKeys must be at least 1, got %d", maxKeys))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new limiter: %w", err)
	}
	buckets, err := simplelru.NewLRU[string, *rate.Limiter](maxKeys, nil)
	if err != nil {
		return nil, fmt.Errorf("new limiter: %w", err)
	}
	return &Limiter{limit: limit, burst: burst, buckets: buckets}, nil
}

// Allow takes one token from key's bucket at now. When the bucket is empty it
// takes nothing, so refused requests do not push the next allowed one
// further away, and returns how long to wait until a token is there: whole
// seconds, at least one, ready for a Retry-After header.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bucket, found := l.buckets.Get(key)
	if !found {
		bucket = rate.NewLimiter(l.limit, l.burst)
		l.buckets.Add(key, bucket)
	}
	if bucket.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - bucket.TokensAt(now)
	wait := time.Duration(math.Ceil(missing / float64(l.limit) * float64(time.Second)))
	return false, roundUpToSecond(wait)
}

// Len returns how many keys the Limiter currently remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.Len()
}

// roundUpToSecond rounds d up to a whole number of seconds, at least one:
// Retry-After is in seconds, and rounding down would invite a retry that is
// refused again.
func roundUpToSecond(d time.Duration) time.Duration {
	s := (d + time.Second - 1) / time.Second
	return max(s, 1) * time.Second
}
