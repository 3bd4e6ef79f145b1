package projections

import (
	"context"
	"time"

	"github.com/adc-dz/tahsil/events"
)

// SetResumeEvery shortens how often r looks for resolved failures. Call it
// before Run.
func SetResumeEvery(r *Runner, d time.Duration) { r.resumeEvery = d }

// Decode fills Env and Event of tahsil.events records, as a runner does.
func Decode(reg *events.Registry, recs []Record) error { return decode(reg, recs) }

// ApplyOnce runs one batch transaction of a runner: it skips what each
// projection already applied, applies the rest and stores the offsets.
func ApplyOnce(ctx context.Context, db Beginner, projs []Projection, recs []Record, now time.Time) error {
	_, err := applyOnce(ctx, db, projs, recs, newPlan(), now)
	return err
}
