// Package wait polls for a condition that no notification announces, such
// as a record reaching a read model written by another process.
package wait

import (
	"context"
	"time"
)

// Interval is how often Until asks: short next to a projection's latency,
// long enough not to load the database.
const Interval = 50 * time.Millisecond

// Until calls done every Interval until it says true, fails, or ctx ends.
func Until(ctx context.Context, done func() (bool, error)) error {
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
