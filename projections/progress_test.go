package projections_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
	"github.com/adc-dz/tahsil/store"
)

// TestProgressWait follows the offsets of the required projections:
// Wait returns once every one of them passed the event's offset, and
// gives up with ErrNotYetApplied at the deadline while one of them has not.
func TestProgressWait(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	ctx := context.Background()
	progress := projections.NewProgress(pool, eventProjections, apptest.Logger())
	pctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go progress.Run(pctx)
	wait := func(partition int32, offset int64, timeout time.Duration) error {
		wctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return progress.Wait(wctx, partition, offset)
	}

	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 2, Debtors: 6, Seed: 10})
	var part int32
	var off int64
	for part, off = range p.ends() {
		break
	}
	// No runner yet.
	if err := wait(part, off, 200*time.Millisecond); !errors.Is(err, projections.ErrNotYetApplied) {
		t.Fatalf("Wait with no runner: %v, want ErrNotYetApplied", err)
	}

	// A runner without the debtors projection: the required debtors
	// projection never moves, so Wait still gives up.
	projs := app.EventProjections()
	var withoutDebtors []projections.Projection
	for _, p := range projs {
		if p.Name() != "debtors" {
			withoutDebtors = append(withoutDebtors, p)
		}
	}
	partial := startRunner(t, eventRunnerConfig(app, "partial", withoutDebtors), nil)
	waitApplied(t, pool, p.ends(), "creditors", "timeline", "accounts", "creditor_debtors")
	if err := wait(part, off, 300*time.Millisecond); !errors.Is(err, projections.ErrNotYetApplied) {
		t.Fatalf("Wait with debtors not running: %v, want ErrNotYetApplied", err)
	}
	// A Wait started now returns as soon as the debtors projection runs.
	done := make(chan error, 1)
	go func() { done <- wait(part, off, 20*time.Second) }()
	time.Sleep(100 * time.Millisecond)
	partial.stop()
	startRunner(t, eventRunnerConfig(app, "all", nil), nil)
	if err := <-done; err != nil {
		t.Fatalf("Wait once every projection runs: %v", err)
	}
	got := offsets(t, pool, eventProjections...)
	for _, n := range eventProjections {
		if got[n][part] <= off {
			t.Fatalf("Wait returned with %s at %d/%d, before the event at %d", n, part, got[n][part], off)
		}
	}
	// Each new command is waited for in turn (the notifications path).
	var active []string
	for _, id := range p.debtors {
		if !p.archived[id] {
			active = append(active, id)
		}
	}
	for _, id := range active[:min(5, len(active))] {
		out, err := submitCommand(ctx, app, id, collection.ArchiveDebtor{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		if err := wait(out.Partition, out.LastOffset, 10*time.Second); err != nil {
			t.Fatalf("Wait for %d/%d: %v", out.Partition, out.LastOffset, err)
		}
		row, err := store.New(pool).DebtorGet(ctx, store.DebtorGetParams{ID: id})
		if err != nil || row.Status != collection.StatusArchived {
			t.Fatalf("after Wait, debtor %s reads %+v, %v", id, row, err)
		}
	}
	// An already applied offset returns at once.
	if err := wait(part, 0, 50*time.Millisecond); err != nil {
		t.Fatalf("Wait for an applied offset: %v", err)
	}
}

// TestProgressWithoutNotification advances offsets without NOTIFY, as a
// batch too large for a notification does: Wait still returns, from the
// periodic re-read of the offsets table.
func TestProgressWithoutNotification(t *testing.T) {
	t.Parallel()
	pool := apptest.Start(t, apptest.Options{NoDecider: true, NoProjections: true}).Pool
	ctx := context.Background()
	progress := projections.NewProgress(pool, []string{"debtors", "timeline"}, apptest.Logger())
	pctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go progress.Run(pctx)

	set := func(name string, next int64) {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			return store.New(tx).ProjectionOffsetsUpsert(ctx, store.ProjectionOffsetsUpsertParams{
				Projections: []string{name}, Partitions: []int32{2}, NextOffsets: []int64{next}, UpdatedAt: time.Now(),
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	set("debtors", 100)
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	if err := progress.Wait(wctx, 2, 41); !errors.Is(err, projections.ErrNotYetApplied) {
		t.Fatalf("Wait with timeline behind: %v, want ErrNotYetApplied", err)
	}
	done := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		done <- progress.Wait(wctx, 2, 41)
	}()
	set("timeline", 42)
	if err := <-done; err != nil {
		t.Fatalf("Wait after a silent advance: %v", err)
	}
}
