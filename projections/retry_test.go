package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
)

// buggy stands for a release whose debtors projection cannot apply one
// event; the next release (a plain projection) can.
type buggy struct {
	projections.Projection
	eventID string
	hit     atomic.Bool
}

func (b *buggy) Apply(ctx context.Context, tx pgx.Tx, recs []projections.Record) error {
	for _, r := range recs {
		if r.Env != nil && r.Env.ID == b.eventID {
			b.hit.Store(true)
			return &projections.ApplyError{Partition: r.Partition, Offset: r.Offset, EventID: r.Env.ID,
				EventType: r.Env.Type, Err: errors.New("bug in this release")}
		}
	}
	return b.Projection.Apply(ctx, tx, recs)
}

// TestFailureRetriedByNextRelease: a failure recorded by one run is retried
// by the next, which applies the record, resolves the failure and goes on.
func TestFailureRetriedByNextRelease(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 2, Debtors: 10, Seed: 11})
	recs := readEvents(t, app, p.ends())
	var target projections.Record
	for _, r := range recs {
		if r.Env.Type == "debtor.registered" {
			target = r
			break
		}
	}
	projs := app.EventProjections()
	bad := &buggy{Projection: projs[1], eventID: target.Env.ID}
	projs[1] = bad
	first := startRunner(t, eventRunnerConfig(app, "", projs), nil)
	want := fmt.Sprintf("debtors %d/%d debtor.registered", target.Partition, target.Offset)
	waitFor(t, 15*time.Second, "the debtors projection to stop", func() (bool, string) {
		got := openFailures(t, app.Pool)
		return fmt.Sprint(got) == fmt.Sprint([]string{want}), fmt.Sprint(got)
	})
	first.stop()

	second := startRunner(t, eventRunnerConfig(app, "", nil), nil)
	waitApplied(t, app.Pool, p.ends())
	waitFor(t, 10*time.Second, "the failure to be resolved", func() (bool, string) {
		return len(openFailures(t, app.Pool)) == 0 && len(second.Failures()) == 0, fmt.Sprint(openFailures(t, app.Pool))
	})
	var resolution string
	if err := app.Pool.QueryRow(context.Background(),
		`SELECT resolution FROM projection_failures WHERE projection = 'debtors' AND kafka_offset = $1`, target.Offset).Scan(&resolution); err != nil {
		t.Fatal(err)
	}
	if resolution != "applied on retry" {
		t.Fatalf("resolution %q, want applied on retry", resolution)
	}
	checkConsistent(t, app.Pool)
}

// TestRebuildHonoursSkips: a record every projection was skipped past
// (here one that does not even decode) is skipped again by a rebuild, which
// ends with the same tables and reopens nothing.
func TestRebuildHonoursSkips(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 3, Debtors: 12, Seed: 12})
	r := startRunner(t, eventRunnerConfig(app, "", nil), func(r *projections.Runner) {
		projections.SetResumeEvery(r, 100*time.Millisecond)
	})
	waitApplied(t, pool, p.ends())
	garbage := badEvent(t, app, uuid.Must(uuid.NewV7()).String(), 1, collection.CreditorArchived{}, nil)
	garbage.Data = []byte(`{"id": 42}`)
	off := produceEvent(t, app, 0, garbage)
	generateUntil(t, p, map[int32]int64{0: off}, 50)
	waitFor(t, 10*time.Second, "every projection to stop", func() (bool, string) {
		return len(openFailures(t, pool)) == len(eventProjections), fmt.Sprint(openFailures(t, pool))
	})
	for _, n := range eventProjections {
		skip(t, pool, n, 0, off)
	}
	waitApplied(t, pool, p.ends())
	r.stop()
	before := dumpReadModels(t, pool)

	res := rebuild(t, app)
	if len(res.Failures) != 0 {
		t.Fatalf("rebuild stopped at %v; the skips were not honoured", res.Failures)
	}
	if got := openFailures(t, pool); len(got) != 0 {
		t.Fatalf("rebuild reopened %v", got)
	}
	requireSameDumps(t, "rebuild after skips", before, dumpReadModels(t, pool))
	for _, n := range eventProjections {
		if got := offsets(t, pool, n)[n][0]; got <= off {
			t.Fatalf("%s stored 0/%d, not past the skipped record at %d", n, got, off)
		}
	}
}
