package projections_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
)

// TestRunnerRestartStartsAtStoredOffsets stops a runner that applied the
// whole log and starts two others on the same database: one in the same
// consumer group, one in another. Both are positioned at the offsets stored
// in PostgreSQL, not at the start of the log, and are handed only the
// records written after; applied by whichever gets there first, each
// exactly once.
func TestRunnerRestartStartsAtStoredOffsets(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 10, Debtors: 40, Debts: 60, Seed: 5})
	r1 := startRunner(t, eventRunnerConfig(app, "restart", nil), nil)
	waitApplied(t, pool, p.ends())
	r1.stop()
	first := dumpReadModels(t, pool)
	firstEvents := p.eventCount()

	r2 := startRunner(t, eventRunnerConfig(app, "restart", nil), nil)
	r3 := startRunner(t, eventRunnerConfig(app, "another-group", nil), nil)
	time.Sleep(500 * time.Millisecond) // time to join, seek and poll
	if a2, a3 := r2.Applied(), r3.Applied(); a2 != 0 || a3 != 0 {
		t.Fatalf("restarted runners were handed %d and %d old records", a2, a3)
	}
	requireSameDumps(t, "after restart", first, dumpReadModels(t, pool))

	p.generate(t, portfolioSpec{Creditors: 5, Debtors: 20, Debts: 30, Seed: 55})
	waitApplied(t, pool, p.ends())
	added := uint64(p.eventCount() - firstEvents)
	waitFor(t, 10*time.Second, "both runners to see the new records", func() (bool, string) {
		return r2.Applied() == added && r3.Applied() == added, fmt.Sprintf("%d and %d of %d", r2.Applied(), r3.Applied(), added)
	})
	if got := rowCount(t, pool, "SELECT count(*) FROM event_log"); got != p.eventCount() {
		t.Fatalf("%d timeline rows, want %d", got, p.eventCount())
	}
	checkConsistent(t, pool)
	if fs := append(r2.Failures(), r3.Failures()...); len(fs) > 0 {
		t.Fatalf("failures: %+v", fs)
	}
	incremental := dumpReadModels(t, pool)
	r2.stop()
	r3.stop()
	rebuild(t, app)
	requireSameDumps(t, "rebuild", incremental, dumpReadModels(t, pool))
}

// TestRunnersInTwoGroupsApplyEachRecordOnce runs two runners in different
// consumer groups over one database from an empty read model: both are
// handed every record, in small batches, at the same time. The offset rows
// locked in each batch's transaction let one apply a record and the other
// skip it, so the rows come out exact and nothing is reported as failed.
func TestRunnersInTwoGroupsApplyEachRecordOnce(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 20, Debtors: 80, Debts: 100, Seed: 7})
	var rs []*runner
	for _, g := range []string{"group-a", "group-b"} {
		cfg := eventRunnerConfig(app, g, nil)
		cfg.MaxBatch = 15
		rs = append(rs, newRunner(t, cfg, nil))
	}
	for _, r := range rs {
		r.start()
	}
	waitApplied(t, pool, p.ends())
	for _, r := range rs {
		r.stop()
		if fs := r.Failures(); len(fs) > 0 {
			t.Fatalf("failures: %+v", fs)
		}
	}
	if got := openFailures(t, pool); len(got) > 0 {
		t.Fatalf("open failures: %v", got)
	}
	checkConsistent(t, pool)
	incremental := dumpReadModels(t, pool)
	rebuild(t, app)
	requireSameDumps(t, "rebuild", incremental, dumpReadModels(t, pool))
}

// TestApplySkipsRecordsBelowStoredOffsets delivers records again to the
// batch transaction of a runner: what lies below a projection's stored
// offset is skipped, whether the batch repeats an earlier one or overlaps
// it.
func TestApplySkipsRecordsBelowStoredOffsets(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 10, Debtors: 40, Debts: 60, Seed: 8})
	recs := readEvents(t, app, p.ends())
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
	ctx := context.Background()
	now := time.Now()
	projs := app.EventProjections()
	half, twoThirds := len(recs)/2, 2*len(recs)/3
	for i, batch := range [][]projections.Record{recs[:half], recs[:half], recs[:twoThirds], recs[half:], recs} {
		if err := projections.ApplyOnce(ctx, pool, projs, batch, now); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if got := rowCount(t, pool, "SELECT count(*) FROM event_log"); got != len(recs) {
		t.Fatalf("%d timeline rows, want %d", got, len(recs))
	}
	checkConsistent(t, pool)
	incremental := dumpReadModels(t, pool)
	rebuild(t, app)
	requireSameDumps(t, "rebuild", incremental, dumpReadModels(t, pool))
}

// holding wraps a projection so that its Apply waits, before doing
// anything, until release is closed or a while has passed.
type holding struct {
	projections.Projection
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *holding) Apply(ctx context.Context, tx pgx.Tx, recs []projections.Record) error {
	h.once.Do(func() { close(h.entered) })
	select {
	case <-h.release:
	case <-time.After(time.Second):
	}
	return h.Projection.Apply(ctx, tx, recs)
}

// TestConcurrentFirstBatches races two batch transactions over the first
// records of a partition, when no offset row exists yet for the FOR
// UPDATE to lock: the first is held inside its transaction while the
// second, longer, batch tries to run to its end. Whichever order the
// database lets them finish in, the rows must be exact, no offset may go
// backwards and neither may fail.
func TestConcurrentFirstBatches(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 4, Debtors: 16, Seed: 9})
	recs := readEvents(t, app, p.ends())
	ctx := context.Background()
	now := time.Now()
	var long []projections.Record
	for _, r := range recs {
		if r.Partition == 0 {
			long = append(long, r)
		}
	}
	short := long[:len(long)/2]
	if len(short) == 0 {
		t.Fatalf("partition 0 has too few events: %d", len(long))
	}
	for _, only := range []string{"debtors", "all"} {
		t.Run(only, func(t *testing.T) {
			if _, err := pool.Exec(ctx, "TRUNCATE creditors, debtors, event_log, projection_offsets, projection_failures"); err != nil {
				t.Fatal(err)
			}
			projs := func() []projections.Projection {
				all := app.EventProjections()
				if only == "debtors" {
					return all[1:2]
				}
				return all
			}
			first := projs()
			h := &holding{Projection: first[0], entered: make(chan struct{}), release: make(chan struct{})}
			first[0] = h
			errs := make(chan error, 2)
			go func() { errs <- projections.ApplyOnce(ctx, pool, first, short, now) }()
			<-h.entered
			go func() {
				errs <- projections.ApplyOnce(ctx, pool, projs(), long, now)
			}()
			// Let the long batch commit if nothing holds it back, then
			// release the short one.
			time.Sleep(300 * time.Millisecond)
			close(h.release)
			// Both are waited for before failing: a transaction left
			// running would meet the next subtest's.
			for range 2 {
				if err := <-errs; err != nil {
					t.Errorf("concurrent batches: %v", err)
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			names := eventProjections
			if only == "debtors" {
				names = []string{"debtors"}
			}
			last := long[len(long)-1].Offset
			for n, parts := range offsets(t, pool, names...) {
				if parts[0] != last+1 {
					t.Fatalf("%s stored next offset %d, want %d", n, parts[0], last+1)
				}
			}
			if n := rowCount(t, pool, `SELECT count(*) FROM debtors d WHERE d.version <> (SELECT max((e.Value->'aggregate'->>'version')::bigint)
				FROM jsonb_array_elements($1::jsonb) e WHERE e.value->'aggregate'->>'id' = d.id::text)`, recordValues(long)); n != 0 {
				t.Fatalf("%d debtors not at the version of their last event", n)
			}
			if got, want := rowCount(t, pool, "SELECT count(*) FROM debtors"), countType(long, "debtor.registered"); got != want {
				t.Fatalf("%d debtors, want %d", got, want)
			}
		})
	}
}

func recordValues(recs []projections.Record) string {
	b := []byte("[")
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.Value...)
	}
	return string(append(b, ']'))
}

func countType(recs []projections.Record, typ string) int {
	n := 0
	for _, r := range recs {
		if r.Env.Type == typ {
			n++
		}
	}
	return n
}
