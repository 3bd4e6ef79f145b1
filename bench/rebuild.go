package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/projections"
	"github.com/adc-dz/tahsil/store"
)

// RebuildBenchConfig configures the rebuild scenario.
type RebuildBenchConfig struct {
	// Events is the number of debtor.registered events in the log
	// (default 1,000,000).
	Events int
	// All also times a rebuild of the three tahsil.events projections.
	All bool
	// Verify first builds the debtors table incrementally with a
	// projection runner and checks that the rebuild ends equal to it.
	Verify bool
	// Timeout stops a rebuild that takes longer (default 4 minutes), so a
	// regression cannot hold the run hostage; the rate so far is reported.
	Timeout time.Duration
}

// Rebuild target: at least half the COPY rate.
const rebuildTargetRatio = 0.5

// debtorColumns are the debtors table's columns, in table order.
var debtorColumns = []string{"id", "ref", "status", "kind", "full_name", "nin", "nif", "rc", "phones", "email", "address",
	"wilaya", "preferred_channel", "language", "erased", "search", "version", "created_at", "updated_at"}

// RunRebuild writes a log of debtor.registered events straight to
// tahsil.events, as the decider writes them, then times
// projections.Rebuild of the debtors projection against a COPY of the
// rows it produced into an empty table of the same shape.
func RunRebuild(ctx context.Context, env *Env, cfg RebuildBenchConfig) (*Section, error) {
	if cfg.Events == 0 {
		cfg.Events = 1_000_000
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 4 * time.Minute
	}
	const db = "bench_rebuild"
	if err := env.CreateDatabase(ctx, db); err != nil {
		return nil, err
	}
	defer env.DropDatabase(context.WithoutCancel(ctx), db) //nolint:errcheck // the directory goes anyway
	tracer := &switchTracer{}
	pool, err := env.Pool(ctx, db, 32, tracer)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	broker, err := env.Broker(ctx, "rebuild")
	if err != nil {
		return nil, err
	}
	defer broker.Close()
	brokers := []string{broker.Addr()}
	reg := events.NewRegistry()
	master := make([]byte, keyring.KeySize)
	rand.Read(master)
	// Each reader gets a keyring of its own with a cold cache of the size
	// cmd/tahsil uses, as a `tahsil projections rebuild` process would.
	personal := func() (projections.Personal, error) {
		k, err := keyring.New(pool, master, 200_000)
		if err != nil {
			return nil, err
		}
		return struct {
			*events.Sealer
			*keyring.Keyring
		}{events.NewSealer(k), k}, nil
	}

	s := &Section{
		Title: "2. Projection rebuild against COPY",
		Lead: fmt.Sprintf("A log of %s debtor.registered events (%d partitions), written to tahsil.events as the decider "+
			"writes them (envelopes with sealed personal parts under one data key per debtor, in Kafka transactions of "+
			"2,000), then projections.Rebuild of the debtors projection: read the log from offset zero, decode, "+
			"open every personal part (keys preloaded per batch from data_keys, cold cache), upsert in batches of "+
			"10,000 with the offsets, in PostgreSQL transactions. Against it, one pgx CopyFrom of the resulting rows "+
			"(same columns and values) into an empty table created LIKE debtors INCLUDING ALL (same indexes, "+
			"including the trigram index on search).", thousands(int64(cfg.Events)), env.Partitions),
	}

	start := time.Now()
	if err := produceDebtorLog(ctx, env, pool, brokers, reg, master, cfg.Events); err != nil {
		return nil, fmt.Errorf("write the log: %w", err)
	}
	genTook := time.Since(start)
	env.Say("rebuild: log written", "events", cfg.Events, "took", genTook.Round(time.Millisecond))

	t := Table{Header: []string{"what", "rows", "time", "rows/s", "peak live heap growth"}}
	t.Rows = append(t.Rows, []string{"writing the log (keys by COPY, sealing, transactional produce)", thousands(int64(cfg.Events)),
		secs(genTook), rate(float64(cfg.Events) / genTook.Seconds()), ""})

	// The COPY baseline copies the final rows: those of the incremental
	// build when there is one (the rebuild must then end equal to them),
	// else those of the rebuild.
	var copyTook time.Duration
	var copyDigest string
	copyRows := func() error {
		env.Say("rebuild: COPY of the same rows")
		var err error
		if copyTook, copyDigest, err = timedCopy(ctx, pool, cfg.Events); err != nil {
			return fmt.Errorf("COPY baseline: %w", err)
		}
		t.Rows = append(t.Rows, []string{"COPY of the same rows into an empty table LIKE debtors INCLUDING ALL", thousands(int64(cfg.Events)),
			secs(copyTook), rate(float64(cfg.Events) / copyTook.Seconds()), ""})
		return nil
	}

	var incDigest string
	if cfg.Verify {
		p, err := personal()
		if err != nil {
			return nil, err
		}
		took, err := runIncremental(ctx, env, pool, brokers, reg, p, cfg.Events)
		if err != nil {
			return nil, fmt.Errorf("incremental build: %w", err)
		}
		if incDigest, err = tableDigest(ctx, pool, "debtors", cfg.Events); err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, []string{"incremental build: projection runner catching up (debtors only, batches of 5,000)",
			thousands(int64(cfg.Events)), secs(took), rate(float64(cfg.Events) / took.Seconds()), ""})
		if err := copyRows(); err != nil {
			return nil, err
		}
		if copyDigest != incDigest {
			return nil, fmt.Errorf("the COPY table differs from the one it was copied from (%s vs %s)", copyDigest, incDigest)
		}
	}

	p, err := personal()
	if err != nil {
		return nil, err
	}
	over := "an empty debtors table (never analyzed)"
	if cfg.Verify {
		over = "the incrementally built debtors table, as `tahsil projections rebuild` replaces a live read model"
	}
	env.Say("rebuild: projections.Rebuild(debtors)", "over", over, "timeout", cfg.Timeout)
	rebuildRec := NewRecorder()
	tracer.set(rebuildRec)
	rb, err := timedRebuild(ctx, env, pool, brokers, reg, []projections.Projection{projections.NewDebtors(p)}, cfg.Events, cfg.Timeout)
	tracer.set(nil)
	if err != nil {
		return nil, err
	}
	rebuildRate := float64(rb.records) / rb.took.Seconds()
	label := "projections.Rebuild(debtors)"
	if rb.timedOut {
		label += fmt.Sprintf(" — STOPPED after %s, unfinished", cfg.Timeout)
	}
	t.Rows = append(t.Rows, []string{label, thousands(rb.records), secs(rb.took), rate(rebuildRate), mib(rb.peak)})
	if !rb.timedOut {
		digest, err := tableDigest(ctx, pool, "debtors", cfg.Events)
		if err != nil {
			return nil, err
		}
		if cfg.Verify {
			s.Checks = append(s.Checks, Check{Target: "the rebuilt debtors table equals the incrementally built one",
				Pass: digest == incDigest, Measured: fmt.Sprintf("md5 over every row: %s vs %s", short(digest), short(incDigest))})
		} else {
			if err := copyRows(); err != nil {
				return nil, err
			}
			if copyDigest != digest {
				return nil, fmt.Errorf("the COPY table differs from the rebuilt one (%s vs %s)", copyDigest, digest)
			}
		}
	}
	copyRate := 0.0
	if copyTook > 0 {
		copyRate = float64(cfg.Events) / copyTook.Seconds()
	}

	if cfg.All && !rb.timedOut {
		p1, err := personal()
		if err != nil {
			return nil, err
		}
		p2, err := personal()
		if err != nil {
			return nil, err
		}
		env.Say("rebuild: projections.Rebuild(creditors, debtors, timeline)", "timeout", cfg.Timeout)
		all, err := timedRebuild(ctx, env, pool, brokers, reg,
			[]projections.Projection{projections.NewCreditors(p1), projections.NewDebtors(p2), projections.Timeline{}}, cfg.Events, cfg.Timeout)
		if err != nil {
			return nil, err
		}
		label := "projections.Rebuild(creditors, debtors, timeline)"
		if all.timedOut {
			label += fmt.Sprintf(" — STOPPED after %s, unfinished", cfg.Timeout)
		}
		t.Rows = append(t.Rows, []string{label, thousands(all.records), secs(all.took),
			rate(float64(all.records) / all.took.Seconds()), mib(all.peak)})
		if !all.timedOut {
			var n int64
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM event_log").Scan(&n); err != nil || n != int64(cfg.Events) {
				return nil, fmt.Errorf("event_log holds %d rows after the rebuild, want %d (%v)", n, cfg.Events, err)
			}
		}
	}
	s.Tables = append(s.Tables, t, statementTable("PostgreSQL statements of projections.Rebuild(debtors), by total time", rebuildRec, rb.took))

	check := Check{Target: "rebuild of debtors ≥ half the COPY rate"}
	switch {
	case rb.timedOut:
		check.Measured = fmt.Sprintf("did not finish within %s: %s of %s events, %s events/s so far, against COPY's %s rows/s",
			cfg.Timeout, thousands(rb.records), thousands(int64(cfg.Events)), rate(rebuildRate), rate(copyRate))
	case copyRate > 0:
		ratio := rebuildRate / copyRate
		check.Pass = ratio >= rebuildTargetRatio
		check.Measured = fmt.Sprintf("%s events/s vs %s rows/s (ratio %.2f)", rate(rebuildRate), rate(copyRate), ratio)
	}
	s.Checks = append([]Check{check}, s.Checks...)
	s.Notes = append(s.Notes, "The rebuild ran over "+over+".")
	if st, ok := rebuildRec.Get("pg DebtorsGetMany"); ok && rb.took > 0 && st.Total.Seconds() > 0.2*rb.took.Seconds() {
		s.Notes = append(s.Notes, fmt.Sprintf("DebtorsGetMany took %.0f%% of the rebuild (mean %s, max %s per batch of 10,000 ids), "+
			"growing with the table: after TRUNCATE the planner believes debtors is empty, and the cached generic plan of "+
			"`WHERE id = ANY($1)` is a sequential scan that compares every row with every id of the batch, which is quadratic "+
			"over the rebuild. Writing the query as a join on unnest($1) (index lookups) removes it.",
			100*st.Total.Seconds()/rb.took.Seconds(), ms(st.Mean), ms(st.Max)))
	}
	s.Notes = append(s.Notes,
		"Peak heap growth: the live heap as marked by each GC (runtime/metrics /gc/heap/live:bytes, sampled every 100 ms), at its highest during the rebuild, minus its level before. It is an upper bound: the in-process broker shares the heap, and its fetch path allocates too.",
		"The COPY is one statement and one transaction; the rebuild commits every 10,000 events with its offsets, so it can stop and resume.")
	return s, nil
}

// produceDebtorLog creates the data keys in bulk and writes n sealed
// debtor.registered events to tahsil.events in transactions of 2,000, keyed
// by debtor as the decider keys them.
func produceDebtorLog(ctx context.Context, env *Env, pool *pgxpool.Pool, brokers []string, reg *events.Registry, master []byte, n int) error {
	keys, err := keyring.New(pool, master, 200_000)
	if err != nil {
		return err
	}
	sealer := events.NewSealer(keys)
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.TransactionalID("tahsil-bench-loader"),
		kgo.TransactionTimeout(60*time.Second),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)), // the bus's partitioner: murmur2 of the key
		kgo.MaxBufferedRecords(20_000),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	const chunk, txn = 10_000, 2_000
	base := time.Date(2024, 1, 1, 7, 0, 0, 0, time.UTC)
	actor := events.Actor{Role: "anonymous", IP: "127.0.0.1", UserAgent: "tahsil-bench"}
	lastSay := time.Now()
	for off := 0; off < n; off += chunk {
		m := min(chunk, n-off)
		ids := make([]string, m)
		for j := range ids {
			ids[j] = uuid.Must(uuid.NewV7()).String()
		}
		if err := keys.CreateMany(ctx, ids); err != nil {
			return err
		}
		if err := keys.Preload(ctx, ids); err != nil {
			return err
		}
		recs := make([]*kgo.Record, m)
		g, gctx := errgroup.WithContext(ctx)
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			g.Go(func() error {
				for j := w; j < m; j += workers {
					i := off + j
					profile, pers, err := Debtor(int64(100_000_000 + i)).Validate()
					if err != nil {
						return err
					}
					sealed, err := sealer.Seal(gctx, ids[j], pers)
					if err != nil {
						return err
					}
					typ, v, data, err := reg.Encode(collection.DebtorRegistered{ID: ids[j], Ref: Ref(int64(i)), Profile: profile, Personal: sealed})
					if err != nil {
						return err
					}
					recs[j], err = events.EventRecord(&events.Envelope{
						ID: uuid.Must(uuid.NewV7()).String(), Type: typ, V: v,
						Aggregate:  events.AggregateRef{Type: collection.DebtorAggregate, ID: ids[j], Version: 1},
						OccurredAt: base.Add(time.Duration(i) * 31 * time.Second), Actor: actor,
						CommandID: uuid.Must(uuid.NewV7()).String(), CorrelationID: uuid.Must(uuid.NewV7()).String(),
						Data: data, Personal: sealed,
					})
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for t := 0; t < m; t += txn {
			if err := cl.BeginTransaction(); err != nil {
				return err
			}
			var mu sync.Mutex
			var perr error
			for _, r := range recs[t:min(t+txn, m)] {
				cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
					if err != nil {
						mu.Lock()
						perr = errors.Join(perr, err)
						mu.Unlock()
					}
				})
			}
			if err := cl.Flush(ctx); err != nil {
				return err
			}
			commit := kgo.TryCommit
			if perr != nil {
				commit = kgo.TryAbort
			}
			if err := cl.EndTransaction(ctx, commit); err != nil {
				return err
			}
			if perr != nil {
				return perr
			}
		}
		if time.Since(lastSay) > 5*time.Second {
			env.Say("rebuild: writing the log", "events", off+m, "of", n)
			lastSay = time.Now()
		}
	}
	return nil
}

// runIncremental runs a projection runner of the debtors projection, as
// `tahsil serve` does, until it has applied n events.
func runIncremental(ctx context.Context, env *Env, pool *pgxpool.Pool, brokers []string, reg *events.Registry, p projections.Personal, n int) (time.Duration, error) {
	r, err := projections.NewRunner(projections.RunnerConfig{
		Brokers: brokers, Pool: pool, Group: "tahsil-bench-incremental", Registry: reg, Logger: env.Log,
		Projections: []projections.Projection{projections.NewDebtors(p)},
	})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- r.Run(rctx) }()
	defer func() { cancel(); <-done }()
	env.Say("rebuild: incremental build by a projection runner")
	lastSay := time.Now()
	for r.Applied() < uint64(n) {
		select {
		case err := <-done:
			return 0, fmt.Errorf("runner stopped: %v", err)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if f := r.Failures(); len(f) > 0 {
			return 0, fmt.Errorf("runner stopped at %+v", f[0])
		}
		if time.Since(lastSay) > 10*time.Second {
			env.Say("rebuild: incremental build", "applied", r.Applied(), "of", n)
			lastSay = time.Now()
		}
	}
	return time.Since(start), nil
}

// rebuildRun is what one timed rebuild did.
type rebuildRun struct {
	records  int64
	took     time.Duration
	peak     float64
	timedOut bool
}

// timedRebuild runs projections.Rebuild, stopped after timeout, and
// samples the heap meanwhile.
func timedRebuild(ctx context.Context, env *Env, pool *pgxpool.Pool, brokers []string, reg *events.Registry, projs []projections.Projection, n int, timeout time.Duration) (rebuildRun, error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sampler := startHeapSampler()
	lastSay := time.Now()
	start := time.Now()
	res, err := projections.Rebuild(rctx, projections.RebuildConfig{
		Brokers: brokers, Pool: pool, Projections: projs, Registry: reg,
		Progress: func(done, total int64) {
			if time.Since(lastSay) > 10*time.Second {
				env.Say("rebuild: progress", "read", done, "of", total)
				lastSay = time.Now()
			}
		},
	})
	run := rebuildRun{records: res.Records, took: time.Since(start), peak: sampler.stop()}
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			run.timedOut = true
			env.Say("rebuild: stopped at the time limit", "applied", res.Records, "of", n)
			return run, nil
		}
		return run, err
	}
	if len(res.Failures) > 0 {
		return run, fmt.Errorf("rebuild stopped: %+v", res.Failures[0])
	}
	if res.Records != int64(n) {
		return run, fmt.Errorf("rebuild applied %d records, want %d", res.Records, n)
	}
	return run, nil
}

// timedCopy reads the rebuilt debtors rows and times one COPY of them
// into an empty table of the same shape. It returns the new table's digest.
func timedCopy(ctx context.Context, pool *pgxpool.Pool, n int) (time.Duration, string, error) {
	rows, err := pool.Query(ctx, "SELECT * FROM debtors")
	if err != nil {
		return 0, "", err
	}
	debtors, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.Debtor])
	if err != nil {
		return 0, "", err
	}
	values := make([][]any, len(debtors))
	for i, d := range debtors {
		values[i] = []any{d.ID, d.Ref, d.Status, d.Kind, d.FullName, d.Nin, d.Nif, d.Rc, d.Phones, d.Email, d.Address,
			d.Wilaya, d.PreferredChannel, d.Language, d.Erased, d.Search, d.Version, d.CreatedAt, d.UpdatedAt}
	}
	debtors = nil
	if _, err := pool.Exec(ctx, "DROP TABLE IF EXISTS debtors_copy; CREATE TABLE debtors_copy (LIKE debtors INCLUDING ALL)"); err != nil {
		return 0, "", err
	}
	start := time.Now()
	copied, err := pool.CopyFrom(ctx, pgx.Identifier{"debtors_copy"}, debtorColumns, pgx.CopyFromRows(values))
	took := time.Since(start)
	if err != nil {
		return 0, "", err
	}
	if copied != int64(n) {
		return 0, "", fmt.Errorf("copied %d rows, want %d", copied, n)
	}
	digest, err := tableDigest(ctx, pool, "debtors_copy", n)
	return took, digest, err
}

// tableDigest returns an md5 over every row of a debtors-shaped table in
// id order, after checking its row count.
func tableDigest(ctx context.Context, pool *pgxpool.Pool, table string, n int) (string, error) {
	var count int64
	var digest string
	err := pool.QueryRow(ctx, "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY id)), '') FROM "+
		pgx.Identifier{table}.Sanitize()+" t").Scan(&count, &digest)
	if err != nil {
		return "", fmt.Errorf("digest of %s: %w", table, err)
	}
	if count != int64(n) {
		return "", fmt.Errorf("%s holds %d rows, want %d", table, count, n)
	}
	return digest, nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// heapSampler tracks the peak of the live heap (as the last GC marked it,
// so garbage awaiting collection does not count) above its level at start.
type heapSampler struct {
	stopc chan struct{}
	done  chan float64
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	h := &heapSampler{stopc: make(chan struct{}), done: make(chan float64, 1)}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() float64 {
		metrics.Read(sample)
		return float64(sample[0].Value.Uint64())
	}
	base := read()
	go func() {
		peak := base
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stopc:
				h.done <- max(0, peak-base)
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	}()
	return h
}

func (h *heapSampler) stop() float64 {
	close(h.stopc)
	return <-h.done
}

// switchTracer records PostgreSQL statements into the recorder of the
// phase being measured, if any.
type switchTracer struct {
	mu  sync.Mutex
	rec *Recorder
}

func (t *switchTracer) set(r *Recorder) { t.mu.Lock(); t.rec = r; t.mu.Unlock() }

func (t *switchTracer) get() PGTracer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return PGTracer{Prefix: "pg ", Rec: t.rec}
}

func (t *switchTracer) TraceQueryStart(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if tr := t.get(); tr.Rec != nil {
		return tr.TraceQueryStart(ctx, c, d)
	}
	return ctx
}

func (t *switchTracer) TraceQueryEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryEndData) {
	if tr := t.get(); tr.Rec != nil {
		tr.TraceQueryEnd(ctx, c, d)
	}
}

func (t *switchTracer) TraceCopyFromStart(ctx context.Context, c *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	if tr := t.get(); tr.Rec != nil {
		return tr.TraceCopyFromStart(ctx, c, d)
	}
	return ctx
}

func (t *switchTracer) TraceCopyFromEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceCopyFromEndData) {
	if tr := t.get(); tr.Rec != nil {
		tr.TraceCopyFromEnd(ctx, c, d)
	}
}
