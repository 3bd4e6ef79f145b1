package projections_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
	"github.com/adc-dz/tahsil/store"
)

// badEvent builds a well-formed envelope of ev for aggregate id at version.
func badEvent(t testing.TB, app *apptest.App, id string, version int64, ev collection.Event, personal []byte) *events.Envelope {
	t.Helper()
	typ, v, data, err := app.Registry.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	return &events.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Type: typ, V: v,
		Aggregate:  events.AggregateRef{Type: ev.Aggregate(), ID: id, Version: version},
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond), Actor: events.Actor{UserID: "intruder"},
		CommandID: uuid.Must(uuid.NewV7()).String(), CorrelationID: "fail-stop-test", Data: data, Personal: personal,
	}
}

// skip does what `tahsil projections skip` does, in one transaction.
func skip(t testing.TB, pool *pgxpool.Pool, projection string, partition int32, offset int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	by, why := "test operator", "skipped: test"
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		n, err := q.ProjectionFailureResolve(ctx, store.ProjectionFailureResolveParams{
			Projection: projection, Partition: partition, KafkaOffset: offset, ResolvedAt: &now, Resolution: &why, ResolvedBy: &by, Skipped: true,
		})
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("%s is not stopped at %d/%d", projection, partition, offset)
		}
		return q.ProjectionOffsetSkipPast(ctx, store.ProjectionOffsetSkipPastParams{
			Projection: projection, Partition: partition, NextOffset: offset + 1, UpdatedAt: now,
		})
	})
	if err != nil {
		t.Fatalf("skip %s at %d/%d: %v", projection, partition, offset, err)
	}
}

// openFailures lists the unresolved failures as "projection partition/offset type".
func openFailures(t testing.TB, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := store.New(pool).ProjectionFailuresOpen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %d/%d %s", r.Projection, r.Partition, r.KafkaOffset, r.EventType))
	}
	sort.Strings(out)
	return out
}

func runnerFailures(r *runner) []string {
	var out []string
	for _, f := range r.Failures() {
		out = append(out, fmt.Sprintf("%s %d/%d %s", f.Projection, f.Partition, f.Offset, f.EventType))
	}
	sort.Strings(out)
	return out
}

// generateUntil adds debtors until every partition has an event past after.
func generateUntil(t testing.TB, p *portfolio, after map[int32]int64, seed uint64) {
	t.Helper()
	for i := range 10 {
		p.generate(t, portfolioSpec{Creditors: 3, Debtors: 12, Seed: seed + uint64(i)})
		ends, done := p.ends(), true
		for part, off := range after {
			if ends[part] <= off {
				done = false
			}
		}
		if done {
			return
		}
	}
	t.Fatalf("no event written after %v", after)
}

// TestFailStop writes two events the debtors projection cannot apply: an
// update of a debtor never registered, and a registration whose personal
// part was sealed for another person. The debtors projection stops at each
// of them on its partition; the other projections, and the debtors
// projection on the other partitions, go on. Once an operator skips a
// record, the runner resumes that partition by itself, with no new record
// arriving to wake it up.
func TestFailStop(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	ctx := context.Background()
	pool := app.Pool
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 6, Debtors: 24, Seed: 3})
	r := startRunner(t, eventRunnerConfig(app, "", nil), func(r *projections.Runner) {
		projections.SetResumeEvery(r, 100*time.Millisecond)
	})
	waitApplied(t, pool, p.ends())
	before := p.ends()

	ghost := uuid.Must(uuid.NewV7()).String()
	wilaya := 16
	unknown := badEvent(t, app, ghost, 1, collection.DebtorUpdated{ID: ghost, Changes: collection.DebtorChanges{Wilaya: &wilaya}}, nil)
	off0 := produceEvent(t, app, 0, unknown)

	stranger, victim := uuid.Must(uuid.NewV7()).String(), p.debtors[0]
	if err := app.Keys.Create(ctx, stranger); err != nil {
		t.Fatal(err)
	}
	sealed, err := app.Sealer.Seal(ctx, victim, collection.DebtorPersonal{FullName: "Nadia Haddad", NIN: "109870123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	misSealed := badEvent(t, app, stranger, 1, collection.DebtorRegistered{ID: stranger, Ref: "D-BAD002",
		Profile: collection.DebtorProfile{Kind: collection.DebtorPerson, Wilaya: 16, PreferredChannel: "none", Language: "fr"}}, sealed)
	off2 := produceEvent(t, app, 2, misSealed)

	generateUntil(t, p, map[int32]int64{0: off0, 2: off2}, 30)
	ends := p.ends()

	// The timeline and the creditors pass the two records; the debtors
	// projection passes everything on partition 1 and stops on 0 and 2.
	waitApplied(t, pool, ends, "timeline", "creditors")
	waitApplied(t, pool, map[int32]int64{1: ends[1]}, "debtors")
	wantFailures := []string{
		fmt.Sprintf("debtors 0/%d debtor.updated", off0),
		fmt.Sprintf("debtors 2/%d debtor.registered", off2),
	}
	waitFor(t, 10*time.Second, "the failures", func() (bool, string) {
		got := openFailures(t, pool)
		return fmt.Sprint(got) == fmt.Sprint(wantFailures), fmt.Sprint(got)
	})
	if got := runnerFailures(r); fmt.Sprint(got) != fmt.Sprint(wantFailures) {
		t.Fatalf("Runner.Failures() = %v, want %v", got, wantFailures)
	}
	for _, f := range r.Failures() {
		if want := map[int32]string{0: "unknown debtor", 2: "does not open"}[f.Partition]; !strings.Contains(f.Error, want) {
			t.Errorf("failure at %d/%d says %q, want it to mention %q", f.Partition, f.Offset, f.Error, want)
		}
		if want := map[int32]string{0: unknown.ID, 2: misSealed.ID}[f.Partition]; f.EventID != want {
			t.Errorf("failure at %d/%d names event %s, want %s", f.Partition, f.Offset, f.EventID, want)
		}
	}
	time.Sleep(300 * time.Millisecond) // a few more resume checks and polls
	// Stopped means: everything before the record applied, nothing after.
	// (The next offset may be a transaction marker's, below the record.)
	stoppedAt := func(next, last, bad int64) bool { return next > last && next <= bad }
	got := offsets(t, pool, "debtors")["debtors"]
	if !stoppedAt(got[0], before[0], off0) || !stoppedAt(got[2], before[2], off2) {
		t.Fatalf("debtors stored next offsets %v, want stopped at 0/%d and 2/%d", got, off0, off2)
	}
	// The debtors registered after the stop are in the timeline, not in the
	// debtors table; nobody else is missing.
	missing := func(partition int32) int {
		return rowCount(t, pool, `SELECT count(*) FROM event_log e WHERE e.type = 'debtor.registered'
			AND e.partition = $1 AND e.aggregate_id <> $2 AND NOT EXISTS (SELECT 1 FROM debtors d WHERE d.id = e.aggregate_id)`,
			partition, stranger)
	}
	registeredAfter := func(partition int32, offset int64) int {
		return rowCount(t, pool, `SELECT count(*) FROM event_log WHERE type = 'debtor.registered'
			AND partition = $1 AND kafka_offset > $2`, partition, offset)
	}
	after0, after2 := registeredAfter(0, off0), registeredAfter(2, off2)
	if missing(0) != after0 || missing(2) != after2 || missing(1) != 0 || after0+after2 == 0 {
		t.Fatalf("debtors missing from the table on partitions 0, 1, 2: %d, %d, %d; registered after the stops on 0 and 2: %d, %d",
			missing(0), missing(1), missing(2), after0, after2)
	}
	if n := rowCount(t, pool, "SELECT count(*) FROM event_log WHERE aggregate_id = ANY($1)", []string{ghost, stranger}); n != 2 {
		t.Fatalf("the timeline holds %d of the two unappliable events", n)
	}

	// Read-your-writes: waiting for a later event on a stopped partition
	// times out; on a running one it returns.
	progress := projections.NewProgress(pool, eventProjections, apptest.Logger())
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go progress.Run(pctx)
	wait := func(part int32, timeout time.Duration) error {
		wctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return progress.Wait(wctx, part, ends[part])
	}
	if err := wait(0, 300*time.Millisecond); err != projections.ErrNotYetApplied {
		t.Fatalf("Wait for 0/%d behind a stop: %v, want ErrNotYetApplied", ends[0], err)
	}
	if err := wait(1, 10*time.Second); err != nil {
		t.Fatalf("Wait for 1/%d: %v", ends[1], err)
	}

	// The operator skips the first record: partition 0 resumes, 2 stays.
	skip(t, pool, "debtors", 0, off0)
	if err := wait(0, 20*time.Second); err != nil {
		t.Fatalf("after the skip, Wait for 0/%d: %v", ends[0], err)
	}
	waitFor(t, 5*time.Second, "Runner.Failures() to drop the skipped record", func() (bool, string) {
		got := runnerFailures(r)
		return fmt.Sprint(got) == fmt.Sprint(wantFailures[1:]), fmt.Sprint(got)
	})
	if missing(0) != 0 || missing(2) != after2 {
		t.Fatalf("after one skip, debtors missing on partitions 0 and 2: %d, %d", missing(0), missing(2))
	}
	if got := offsets(t, pool, "debtors")["debtors"][2]; !stoppedAt(got, before[2], off2) {
		t.Fatalf("debtors moved on partition 2 to %d without a skip (stopped at %d)", got, off2)
	}

	skip(t, pool, "debtors", 2, off2)
	waitApplied(t, pool, ends)
	waitFor(t, 5*time.Second, "Runner.Failures() to empty", func() (bool, string) {
		return len(r.Failures()) == 0, fmt.Sprint(runnerFailures(r))
	})
	if got := openFailures(t, pool); len(got) != 0 {
		t.Fatalf("open failures after the skips: %v", got)
	}
	if missing(0)+missing(1)+missing(2) != 0 {
		t.Fatal("debtors still missing after the skips")
	}
	if n := rowCount(t, pool, "SELECT count(*) FROM debtors WHERE id = ANY($1)", []string{ghost, stranger}); n != 0 {
		t.Fatalf("%d skipped debtors in the table", n)
	}
	if got, want := rowCount(t, pool, "SELECT count(*) FROM debtors"), len(p.debtors); got != want {
		t.Fatalf("%d debtors, want %d", got, want)
	}
	// Every debtor row is at the version of its last event.
	if n := rowCount(t, pool, `SELECT count(*) FROM debtors d WHERE d.version <>
		(SELECT max(aggregate_version) FROM event_log e WHERE e.aggregate_id = d.id)`); n != 0 {
		t.Fatalf("%d debtors behind their timeline", n)
	}
}

// TestFailStopUndecodableRecord writes a record that is not an event at
// all: every projection stops at it, on its partition only. Skipping it
// for one projection lets that one go on while the others stay stopped.
func TestFailStopUndecodableRecord(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 3, Debtors: 12, Seed: 4})
	r := startRunner(t, eventRunnerConfig(app, "", nil), func(r *projections.Runner) {
		projections.SetResumeEvery(r, 100*time.Millisecond)
	})
	waitApplied(t, pool, p.ends())
	before := p.ends()[1]

	garbage := badEvent(t, app, uuid.Must(uuid.NewV7()).String(), 1, collection.CreditorArchived{}, nil)
	garbage.Data = []byte(`{"id": 42}`) // the envelope is fine, the data is not a creditor.archived
	off := produceEvent(t, app, 1, garbage)
	generateUntil(t, p, map[int32]int64{1: off}, 40)
	ends := p.ends()

	waitApplied(t, pool, map[int32]int64{0: ends[0], 2: ends[2]})
	var want []string
	for _, n := range eventProjections {
		want = append(want, fmt.Sprintf("%s 1/%d creditor.archived", n, off))
	}
	sort.Strings(want)
	waitFor(t, 10*time.Second, "every projection to stop", func() (bool, string) {
		got := openFailures(t, pool)
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got)
	})
	if got := runnerFailures(r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Runner.Failures() = %v, want %v", got, want)
	}
	stopped := func(n string) bool {
		got := offsets(t, pool, n)[n][1]
		return got > before && got <= off
	}
	for _, n := range eventProjections {
		if !stopped(n) {
			t.Fatalf("%s not stopped at 1/%d: %v", n, off, offsets(t, pool, n))
		}
	}

	// Skipping it for the timeline only: the timeline goes on, the others
	// stay where they are, and the resolved failure stays resolved.
	skip(t, pool, "timeline", 1, off)
	waitApplied(t, pool, map[int32]int64{1: ends[1]}, "timeline")
	time.Sleep(500 * time.Millisecond) // several resume checks
	for _, n := range []string{"creditors", "debtors"} {
		if !stopped(n) {
			t.Fatalf("%s moved without a skip (stopped at 1/%d): %v", n, off, offsets(t, pool, n))
		}
	}
	// Every failure but the timeline's, which sorts last.
	stillOpen := want[:len(want)-1]
	if got := openFailures(t, pool); fmt.Sprint(got) != fmt.Sprint(stillOpen) {
		t.Fatalf("open failures %v, want %v", got, stillOpen)
	}
	if got := runnerFailures(r); fmt.Sprint(got) != fmt.Sprint(stillOpen) {
		t.Fatalf("Runner.Failures() = %v, want %v", got, stillOpen)
	}
	if got := offsets(t, pool, "timeline")["timeline"][1]; got <= ends[1] {
		t.Fatalf("timeline fell back to 1/%d", got)
	}

	for _, n := range eventProjections {
		if n != "timeline" {
			skip(t, pool, n, 1, off)
		}
	}
	waitApplied(t, pool, ends)
	waitFor(t, 5*time.Second, "Runner.Failures() to empty", func() (bool, string) {
		return len(r.Failures()) == 0, fmt.Sprint(runnerFailures(r))
	})
	checkConsistent(t, pool)
}
