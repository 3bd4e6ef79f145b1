package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/adc-dz/tahsil/store"
)

// Retention of the sign-in leftovers. An MFA challenge is useless a minute
// after it expires, but a day keeps the last failed attempts at hand while
// someone asks why a login did not go through. An ended session keeps the
// address and browser it was used from: a month covers a security review
// of recent access; what must last longer is in security_log, which is
// append-only and kept.
const (
	MFAChallengeRetention = 24 * time.Hour
	SessionRetention      = 30 * 24 * time.Hour
)

// Purged counts what one Purge deleted.
type Purged struct {
	MFAChallenges int64
	Sessions      int64
}

// Purge deletes MFA challenges and sessions that ended longer ago than
// their retention. Sessions keep IP addresses and user agents, personal
// data under Law 18-07, so they are not kept forever; the tables would also
// grow by a row per login without it. It is idempotent and safe to run from
// several processes at once.
func (s *Service) Purge(ctx context.Context) (Purged, error) {
	now := s.now()
	q := store.New(s.cfg.Pool)
	var p Purged
	var err error
	if p.MFAChallenges, err = q.MFAChallengesPurge(ctx, now.Add(-MFAChallengeRetention)); err != nil {
		return p, fmt.Errorf("purge MFA challenges: %w", err)
	}
	before := now.Add(-SessionRetention)
	if p.Sessions, err = q.SessionsPurge(ctx, store.SessionsPurgeParams{
		IdleSeconds: s.cfg.IdleTimeout.Seconds(), Before: &before,
	}); err != nil {
		return p, fmt.Errorf("purge sessions: %w", err)
	}
	return p, nil
}

// PurgeEvery runs Purge at once and then every interval until ctx ends,
// logging through report; a failed purge is retried at the next tick.
func (s *Service) PurgeEvery(ctx context.Context, interval time.Duration, report func(Purged, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p, err := s.Purge(ctx)
		if ctx.Err() != nil {
			return
		}
		report(p, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
