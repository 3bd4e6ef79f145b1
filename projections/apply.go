package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/store"
)

// Committer is implemented by a projection with an effect outside the
// database, such as a cache, that must follow its rows. After a batch's
// transaction commits, Committed gets the records the projection applied
// in it; a rolled-back batch calls nothing. Done inside the transaction, a
// concurrent reader could still see the old rows and undo the effect.
type Committer interface {
	Committed(recs []Record)
}

// Beginner starts transactions: a pool for the runner, the one connection
// holding the exclusive lock for a rebuild.
type Beginner interface {
	store.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

type slot struct {
	projection string
	partition  int32
}

// projectionError is an *ApplyError of a named projection.
type projectionError struct {
	projection string
	*ApplyError
}

// decode fills Env and Event of tahsil.events records. A record that does
// not decode keeps its error: each projection that reaches it stops there,
// like at any record it cannot apply. The first such error is returned.
func decode(reg *events.Registry, recs []Record) error {
	var first error
	for i := range recs {
		r := &recs[i]
		env, err := events.ParseEvent(r.Value)
		if err == nil {
			r.Env = env
			r.Event, err = reg.DecodeEvent(env)
		}
		if err != nil {
			r.decodeErr = failAt(*r, err)
			if first == nil {
				first = r.decodeErr
			}
		}
	}
	return first
}

// plan says which records each projection leaves out of a batch: from its
// stop (an unresolved failure) on, and the single records an operator
// skipped (only a rebuild meets those again).
type plan struct {
	stops map[slot]int64
	skips map[slot]map[int64]bool
}

func newPlan() plan { return plan{stops: map[slot]int64{}, skips: map[slot]map[int64]bool{}} }

// applyOnce applies recs to every projection in one transaction, skipping
// what each projection already applied and what lies at or beyond a
// projection's stop (its unresolved failure). It returns the next offsets
// it stored.
func applyOnce(ctx context.Context, db Beginner, projs []Projection, recs []Record, pl plan, now time.Time) (map[slot]int64, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	q := store.New(tx)

	names := make([]string, len(projs))
	for i, p := range projs {
		names[i] = p.Name()
	}
	if err := q.ProjectionsLockShared(ctx, names); err != nil {
		return nil, fmt.Errorf("lock %v: %w", names, err)
	}
	partSet := map[int32]bool{}
	for _, r := range recs {
		partSet[r.Partition] = true
	}
	parts := make([]int32, 0, len(partSet))
	for p := range partSet {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	lock := store.ProjectionOffsetsLockParams{Projections: names, Partitions: parts}
	rows, err := q.ProjectionOffsetsLock(ctx, lock)
	if err != nil {
		return nil, fmt.Errorf("lock offsets: %w", err)
	}
	next := map[slot]int64{}
	for _, row := range rows {
		next[slot{row.Projection, row.Partition}] = row.NextOffset
	}
	// FOR UPDATE locks no missing row: two batches of a partition's first
	// records (a rebalance, a second runner) would both apply them, the
	// later one failing on versions the other committed. Create the
	// missing rows at offset 0 first (an insert that never lowers an
	// offset, and locks a row another batch just created), then lock again
	// to read what that batch stored.
	if len(rows) < len(names)*len(parts) {
		for _, name := range names {
			for _, part := range parts {
				if _, ok := next[slot{name, part}]; ok {
					continue
				}
				if err := q.ProjectionOffsetSkipPast(ctx, store.ProjectionOffsetSkipPastParams{
					Projection: name, Partition: part, NextOffset: 0, UpdatedAt: now,
				}); err != nil {
					return nil, fmt.Errorf("create offset: %w", err)
				}
			}
		}
		if rows, err = q.ProjectionOffsetsLock(ctx, lock); err != nil {
			return nil, fmt.Errorf("lock offsets: %w", err)
		}
		for _, row := range rows {
			next[slot{row.Projection, row.Partition}] = row.NextOffset
		}
	}

	stored := map[slot]int64{}
	applied := make([][]Record, len(projs)) // for the Committers
	for i, p := range projs {
		todo := make([]Record, 0, len(recs))
		for _, r := range recs {
			s := slot{p.Name(), r.Partition}
			if r.Offset < next[s] {
				continue
			}
			if stop, stopped := pl.stops[s]; stopped && r.Offset >= stop {
				continue
			}
			if pl.skips[s][r.Offset] {
				// Skipped by an operator: the offset moves past it.
				stored[s] = max(stored[s], r.Offset+1)
				continue
			}
			if r.decodeErr != nil {
				return nil, &projectionError{projection: p.Name(), ApplyError: r.decodeErr}
			}
			todo = append(todo, r)
		}
		if len(todo) == 0 {
			continue
		}
		applied[i] = todo
		if err := p.Apply(ctx, tx, todo); err != nil {
			if ae, ok := asApplyError(err); ok {
				return nil, &projectionError{projection: p.Name(), ApplyError: ae}
			}
			return nil, fmt.Errorf("projection %s: %w", p.Name(), err)
		}
		for _, r := range todo {
			s := slot{p.Name(), r.Partition}
			if r.Offset+1 > stored[s] {
				stored[s] = r.Offset + 1
			}
		}
	}
	if len(stored) == 0 {
		return stored, tx.Commit(ctx)
	}
	keys := make([]slot, 0, len(stored))
	for s := range stored {
		keys = append(keys, s)
	}
	// A fixed order keeps concurrent batches from deadlocking on the rows.
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].projection != keys[j].projection {
			return keys[i].projection < keys[j].projection
		}
		return keys[i].partition < keys[j].partition
	})
	payload := make([]progressNote, 0, len(keys))
	offsets := store.ProjectionOffsetsUpsertParams{UpdatedAt: now}
	for _, s := range keys {
		offsets.Projections = append(offsets.Projections, s.projection)
		offsets.Partitions = append(offsets.Partitions, s.partition)
		offsets.NextOffsets = append(offsets.NextOffsets, stored[s])
		payload = append(payload, progressNote{s.projection, s.partition, stored[s]})
	}
	if err := q.ProjectionOffsetsUpsert(ctx, offsets); err != nil {
		return nil, fmt.Errorf("store offsets: %w", err)
	}
	note, _ := json.Marshal(payload)
	if len(note) < 7900 { // NOTIFY payloads are capped at 8000 bytes; waiters also poll
		if err := q.ProjectionNotify(ctx, string(note)); err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	for i, p := range projs {
		if c, ok := p.(Committer); ok && len(applied[i]) > 0 {
			c.Committed(applied[i])
		}
	}
	return stored, nil
}

// progressNote is the NOTIFY payload element: a projection's new next offset.
type progressNote struct {
	Projection string `json:"p"`
	Partition  int32  `json:"n"`
	NextOffset int64  `json:"o"`
}

// applyBatch applies recs, recording and stopping at every record a
// projection cannot apply, and retrying the rest. Errors it returns are
// transient (database unreachable): the caller retries the same batch.
func applyBatch(ctx context.Context, db Beginner, projs []Projection, recs []Record, pl plan, now time.Time, onFail func(string, *ApplyError)) (map[slot]int64, error) {
	for {
		stored, err := applyOnce(ctx, db, projs, recs, pl, now)
		var pe *projectionError
		if !errors.As(err, &pe) {
			return stored, err
		}
		s := slot{pe.projection, pe.Partition}
		if old, ok := pl.stops[s]; ok && old <= pe.Offset {
			return nil, fmt.Errorf("projection %s failed again before its stop: %w", pe.projection, pe.ApplyError)
		}
		pl.stops[s] = pe.Offset
		onFail(pe.projection, pe.ApplyError)
		if err := recordFailure(ctx, db, pe.projection, pe.ApplyError, now); err != nil {
			return nil, err
		}
	}
}

func recordFailure(ctx context.Context, db Beginner, projection string, ae *ApplyError, now time.Time) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if err := store.New(tx).ProjectionFailureRecord(ctx, store.ProjectionFailureRecordParams{
		Projection: projection, Partition: ae.Partition, KafkaOffset: ae.Offset,
		EventID: ae.EventID, EventType: ae.EventType, Error: ae.Err.Error(), FailedAt: now,
	}); err != nil {
		return fmt.Errorf("record projection failure: %w", err)
	}
	return tx.Commit(ctx)
}

// resolveApplied closes the failures of open whose record the projection
// has now applied (a fixed release retried it, or a rebuild got past it),
// and returns the failures still open.
func resolveApplied(ctx context.Context, db Beginner, open []Failure, stored map[slot]int64, now time.Time) ([]Failure, error) {
	still := open[:0:0]
	for _, f := range open {
		next, ok := stored[slot{f.Projection, f.Partition}]
		if !ok || next <= f.Offset {
			still = append(still, f)
			continue
		}
		by := "tahsil"
		if _, err := store.New(db).ProjectionFailureResolve(ctx, store.ProjectionFailureResolveParams{
			Projection: f.Projection, Partition: f.Partition, KafkaOffset: f.Offset,
			ResolvedAt: &now, Resolution: &appliedOnRetry, ResolvedBy: &by, Skipped: false,
		}); err != nil {
			return open, fmt.Errorf("resolve projection failure: %w", err)
		}
	}
	return still, nil
}

var appliedOnRetry = "applied on retry"
