package projections_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
)

// interrupting wraps a real projection and, after the nth call of its
// Apply (the others' writes are then in the transaction too, when it is
// the last projection), runs at[n] inside the batch's transaction, before
// the offsets are stored and the transaction commits.
type interrupting struct {
	projections.Projection
	mu    sync.Mutex
	calls int
	at    map[int]func(ctx context.Context, tx pgx.Tx) error
}

func (p *interrupting) Apply(ctx context.Context, tx pgx.Tx, recs []projections.Record) error {
	if err := p.Projection.Apply(ctx, tx, recs); err != nil {
		return err
	}
	p.mu.Lock()
	p.calls++
	f := p.at[p.calls]
	p.mu.Unlock()
	if f != nil {
		return f(ctx, tx)
	}
	return nil
}

// withLast returns the app's event projections with the last one (the
// timeline) wrapped by at.
func withLast(app *apptest.App, at map[int]func(context.Context, pgx.Tx) error) []projections.Projection {
	projs := app.EventProjections()
	projs[len(projs)-1] = &interrupting{Projection: projs[len(projs)-1], at: at}
	return projs
}

// countInTx counts the timeline rows the transaction sees: its own
// uncommitted ones included.
func countInTx(ctx context.Context, tx pgx.Tx) (int, error) {
	var n int
	err := tx.QueryRow(ctx, "SELECT count(*) FROM event_log").Scan(&n)
	return n, err
}

// TestCrashMidBatch interrupts runners between Apply and commit in three
// ways (the process panics, the database connection dies, the process is
// told to stop), each time with the batch's rows written in the
// transaction. Nothing of the batch may survive, and the runners that
// follow, in the same group, resume from the stored offsets: the tables
// end equal to a clean rebuild's.
func TestCrashMidBatch(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: scaled(20), Debtors: scaled(120), Debts: scaled(150), Seed: 2})
	pool := app.Pool
	const group = "crash-test"

	// 1. A panic in the middle of the third batch.
	var seen int
	cfg := eventRunnerConfig(app, group, withLast(app, map[int]func(context.Context, pgx.Tx) error{
		3: func(ctx context.Context, tx pgx.Tx) error {
			n, err := countInTx(ctx, tx)
			if err != nil {
				return err
			}
			seen = n
			panic("crash after Apply, before commit")
		},
	}))
	cfg.MaxBatch = 40
	r1 := startRunner(t, cfg, nil)
	<-r1.done
	if r1.panicked == nil {
		t.Fatalf("the first runner did not crash: %v", r1.err)
	}
	r1.stop()
	committed := rowCount(t, pool, "SELECT count(*) FROM event_log")
	if committed == 0 || committed >= seen {
		t.Fatalf("after the crash: %d timeline rows committed, %d were in the crashed transaction", committed, seen)
	}
	checkConsistent(t, pool)
	t.Logf("panic: %d rows committed, the crashed batch had written up to %d", committed, seen)

	// 2. The second runner loses its database connection in its second
	// batch (retried on a new one), and is stopped in its fourth.
	var r2 *runner
	seen = 0
	cfg = eventRunnerConfig(app, group, withLast(app, map[int]func(context.Context, pgx.Tx) error{
		2: func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
			if err == nil {
				return fmt.Errorf("the connection survived its termination")
			}
			return err
		},
		4: func(ctx context.Context, tx pgx.Tx) error {
			n, err := countInTx(ctx, tx)
			if err != nil {
				return err
			}
			seen = n
			r2.cancel()
			return nil
		},
	}))
	cfg.MaxBatch = 40
	r2 = newRunner(t, cfg, nil)
	r2.start()
	<-r2.done
	if r2.panicked != nil || r2.err != nil {
		t.Fatalf("second runner: panic %v, error %v", r2.panicked, r2.err)
	}
	r2.stop()
	before := committed
	committed = rowCount(t, pool, "SELECT count(*) FROM event_log")
	if seen == 0 || committed <= before || committed >= seen {
		t.Fatalf("after the stop: %d timeline rows committed (%d before), %d were in the stopped transaction", committed, before, seen)
	}
	checkConsistent(t, pool)
	t.Logf("stop: %d rows committed, the stopped batch had written up to %d", committed, seen)

	// 3. A clean runner of the same group finishes the work.
	r3 := startRunner(t, eventRunnerConfig(app, group, nil), nil)
	waitApplied(t, pool, p.ends())
	if got := rowCount(t, pool, "SELECT count(*) FROM event_log"); got != p.eventCount() {
		t.Fatalf("%d timeline rows, want %d", got, p.eventCount())
	}
	// The runner counts a batch once its transaction has committed, so the
	// count may trail the stored offsets for a moment.
	rest := uint64(p.eventCount() - committed)
	waitFor(t, 10*time.Second, "the last runner's count", func() (bool, string) {
		return r3.Applied() >= rest, fmt.Sprint(r3.Applied())
	})
	if applied := r3.Applied(); applied != rest {
		t.Fatalf("the last runner was given %d records, want the %d not yet applied", applied, rest)
	}
	checkConsistent(t, pool)
	incremental := dumpReadModels(t, pool)
	r3.stop()
	if fs := r3.Failures(); len(fs) > 0 {
		t.Fatalf("failures: %+v", fs)
	}

	res := rebuild(t, app)
	if len(res.Failures) > 0 {
		t.Fatalf("rebuild stopped: %+v", res.Failures)
	}
	requireSameDumps(t, "rebuild after crashes", dumpReadModels(t, pool), incremental)
}
