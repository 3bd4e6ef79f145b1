package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/store"
)

// RebuildConfig configures a rebuild.
type RebuildConfig struct {
	Brokers     []string
	Pool        *pgxpool.Pool
	Topic       string // default tahsil.events
	Projections []Projection
	Registry    *events.Registry
	// BatchSize bounds the records applied per transaction (default 10000).
	BatchSize int
	// Progress, when set, is called after each batch with the records read
	// so far and the total to read.
	Progress   func(done, total int64)
	Now        func() time.Time
	ClientOpts []kgo.Opt
}

// RebuildResult says what a rebuild did.
type RebuildResult struct {
	Records  int64
	Duration time.Duration
	Failures []Failure
}

// Rebuild empties the projections' tables and replays the topic from offset
// zero up to its current end. It holds each projection's lock for the whole
// replay: running runners wait, then continue from the offsets the rebuild
// stored, so a rebuild can run beside a live system.
func Rebuild(ctx context.Context, cfg RebuildConfig) (RebuildResult, error) {
	start := time.Now()
	if cfg.Topic == "" {
		cfg.Topic = events.EventsTopic
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Topic == events.EventsTopic && cfg.Registry == nil {
		return RebuildResult{}, errors.New("rebuild: tahsil.events needs a registry")
	}
	conn, err := cfg.Pool.Acquire(ctx)
	if err != nil {
		return RebuildResult{}, err
	}
	defer conn.Release()
	q := store.New(conn)
	for _, p := range cfg.Projections {
		if err := q.ProjectionLockExclusive(ctx, p.Name()); err != nil {
			return RebuildResult{}, fmt.Errorf("lock %s: %w", p.Name(), err)
		}
		defer q.ProjectionUnlockExclusive(context.WithoutCancel(ctx), p.Name()) //nolint:errcheck // released with the session anyway
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		tq := store.New(tx)
		for _, p := range cfg.Projections {
			for _, t := range p.Tables() {
				if _, err := tx.Exec(ctx, "TRUNCATE "+pgx.Identifier{t}.Sanitize()); err != nil {
					return fmt.Errorf("empty %s: %w", t, err)
				}
			}
			if err := tq.ProjectionOffsetsDelete(ctx, p.Name()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: reset: %w", err)
	}

	cl, err := kgo.NewClient(append(append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.FetchMaxBytes(64 << 20),
		kgo.FetchMaxPartitionBytes(16 << 20),
	}, events.ReplayClientOpts()...), cfg.ClientOpts...)...)
	if err != nil {
		return RebuildResult{}, err
	}
	defer cl.Close()
	res := RebuildResult{}

	// Records operators skipped are skipped again; failures still open are
	// retried and resolved once the rebuild gets past them.
	pl := newPlan()
	names := make([]string, len(cfg.Projections))
	for i, p := range cfg.Projections {
		names[i] = p.Name()
	}
	skipped, err := q.ProjectionSkipsList(ctx, names)
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: load skips: %w", err)
	}
	for _, sk := range skipped {
		s := slot{sk.Projection, sk.Partition}
		if pl.skips[s] == nil {
			pl.skips[s] = map[int64]bool{}
		}
		pl.skips[s][sk.KafkaOffset] = true
	}
	openRows, err := q.ProjectionFailuresOpen(ctx)
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: load failures: %w", err)
	}
	var open []Failure
	for _, f := range openRows {
		for _, n := range names {
			if f.Projection == n {
				open = append(open, Failure{Projection: f.Projection, Partition: f.Partition, Offset: f.KafkaOffset})
			}
		}
	}
	reached := map[slot]int64{}
	onFail := func(name string, ae *ApplyError) {
		res.Failures = append(res.Failures, Failure{Projection: name, Partition: ae.Partition, Offset: ae.Offset,
			EventID: ae.EventID, EventType: ae.EventType, Error: ae.Err.Error(), FailedAt: cfg.Now().UTC()})
	}
	batch := make([]Record, 0, cfg.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if cfg.Topic == events.EventsTopic {
			_ = decode(cfg.Registry, batch) // an undecodable record stops each projection at it
		}
		stored, err := applyBatch(ctx, conn, cfg.Projections, batch, pl, cfg.Now().UTC(), onFail)
		if err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
		for s, n := range stored {
			reached[s] = max(reached[s], n)
		}
		res.Records += int64(len(batch))
		batch = batch[:0]
		return nil
	}
	var total int64
	progress := func(read, all int64) {
		total = all
		if cfg.Progress != nil {
			cfg.Progress(read, all)
		}
	}
	err = events.Replay(ctx, cl, []string{cfg.Topic}, nil, progress, func(r *kgo.Record) error {
		batch = append(batch, Record{Partition: r.Partition, Offset: r.Offset, Value: r.Value})
		if len(batch) >= cfg.BatchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := flush(); err != nil {
		return res, err
	}
	if _, err := resolveApplied(ctx, conn, open, reached, cfg.Now().UTC()); err != nil {
		return res, err
	}
	if cfg.Progress != nil {
		cfg.Progress(total, total)
	}
	res.Duration = time.Since(start)
	return res, nil
}
