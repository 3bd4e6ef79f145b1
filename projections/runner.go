package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/store"
)

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Brokers []string
	// Group is the consumer group (default "tahsil-projections-" + Topic).
	// The group only spreads partitions; offsets are kept in PostgreSQL.
	Group string
	// Topic consumed (default tahsil.events).
	Topic       string
	Pool        *pgxpool.Pool
	Projections []Projection
	// Registry decodes tahsil.events records; required for that topic.
	Registry *events.Registry
	// MaxBatch bounds the records applied in one transaction (default 5000).
	MaxBatch int
	Logger   *slog.Logger
	Now      func() time.Time
	// ClientOpts are appended to the Kafka client's options (tests).
	ClientOpts []kgo.Opt
}

func (c *RunnerConfig) setDefaults() {
	if c.Topic == "" {
		c.Topic = events.EventsTopic
	}
	if c.Group == "" {
		c.Group = "tahsil-projections-" + c.Topic
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 5000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of the configuration.
func (c RunnerConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("projections: no Kafka brokers"))
	}
	if c.Pool == nil {
		errs = append(errs, errors.New("projections: no database pool"))
	}
	if len(c.Projections) == 0 {
		errs = append(errs, errors.New("projections: nothing to project"))
	}
	if c.Topic == events.EventsTopic && c.Registry == nil {
		errs = append(errs, errors.New("projections: tahsil.events needs a registry"))
	}
	return errors.Join(errs...)
}

// Failure is an unresolved record a projection stopped at.
type Failure struct {
	Projection string    `json:"projection"`
	Partition  int32     `json:"partition"`
	Offset     int64     `json:"offset"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	Error      string    `json:"error"`
	FailedAt   time.Time `json:"failed_at"`
}

// Runner applies a topic to its projections.
type Runner struct {
	cfg RunnerConfig
	cl  *kgo.Client

	// plan is only touched by the Run goroutine; failures are the
	// unresolved ones, published for health checks and metrics.
	plan      plan
	mu        sync.Mutex
	failures  []Failure
	applied   uint64
	lastCheck time.Time
	// resumeEvery is how often Run looks for failures an operator
	// resolved (tests shorten it).
	resumeEvery time.Duration
}

// NewRunner connects the runner's consumer. Call Run to start applying.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, plan: newPlan(), resumeEvery: 5 * time.Second}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(50 * time.Millisecond),
		kgo.AdjustFetchOffsetsFn(r.storedOffsets),
	}, cfg.ClientOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("projections: %w", err)
	}
	r.cl = cl
	return r, nil
}

// Close leaves the group.
func (r *Runner) Close() { r.cl.Close() }

// Names lists the runner's projections.
func (r *Runner) Names() []string {
	out := make([]string, len(r.cfg.Projections))
	for i, p := range r.cfg.Projections {
		out[i] = p.Name()
	}
	return out
}

// Failures returns the unresolved failures this runner is stopped at.
func (r *Runner) Failures() []Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Failure(nil), r.failures...)
}

// Applied returns the number of records applied since start.
func (r *Runner) Applied() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied
}

// storedOffsets replaces the group's Kafka offsets, which the runner never
// commits, with the smallest next offset its projections stored.
func (r *Runner) storedOffsets(ctx context.Context, assigned map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	rows, err := store.New(r.cfg.Pool).ProjectionOffsetsList(ctx, r.Names())
	if err != nil {
		return nil, fmt.Errorf("load projection offsets: %w", err)
	}
	have := map[slot]int64{}
	for _, row := range rows {
		have[slot{row.Projection, row.Partition}] = row.NextOffset
	}
	out := map[string]map[int32]kgo.Offset{}
	for topic, parts := range assigned {
		out[topic] = map[int32]kgo.Offset{}
		for part := range parts {
			out[topic][part] = kgo.NewOffset().At(r.minNext(have, part))
		}
	}
	return out, nil
}

func (r *Runner) minNext(have map[slot]int64, part int32) int64 {
	min := int64(-1)
	for _, name := range r.Names() {
		n := have[slot{name, part}]
		if min < 0 || n < min {
			min = n
		}
	}
	return min
}

// Run applies records until ctx ends. Transient database errors are
// retried with backoff on the same batch: nothing is dropped.
//
// Failures recorded by an earlier run are retried, not assumed: a new
// release may apply the record now, and then the failure is resolved; if
// not, the projection stops there again.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.checkFailures(ctx); err != nil {
		return err
	}
	for {
		// The poll is bounded so that an idle runner still notices the
		// failures an operator resolved: the records past a stop were
		// fetched already, and no new record may come to wake it up.
		pctx, cancel := context.WithTimeout(ctx, r.resumeEvery)
		fetches := r.cl.PollRecords(pctx, r.cfg.MaxBatch)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if fetches.IsClientClosed() {
			return errors.New("projections: client closed")
		}
		fetches.EachError(func(t string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) {
				return // the poll's own bound
			}
			r.cfg.Logger.Warn("projections: fetch", "topic", t, "partition", p, "err", err)
		})
		raw := fetches.Records()
		if len(raw) > 0 {
			recs := make([]Record, len(raw))
			for i, kr := range raw {
				recs[i] = Record{Partition: kr.Partition, Offset: kr.Offset, Value: kr.Value}
			}
			if err := r.apply(ctx, recs); err != nil {
				return err
			}
		}
		if time.Since(r.lastCheck) >= r.resumeEvery {
			if err := r.checkFailures(ctx); err != nil {
				r.cfg.Logger.Warn("projections: check resolved failures", "err", err)
			}
		}
	}
}

func (r *Runner) apply(ctx context.Context, recs []Record) error {
	if r.cfg.Topic == events.EventsTopic {
		// A record that does not decode keeps its error and stops each
		// projection that reaches it.
		_ = decode(r.cfg.Registry, recs)
	}
	backoff := 100 * time.Millisecond
	for {
		stored, err := applyBatch(ctx, r.cfg.Pool, r.cfg.Projections, recs, r.plan, r.cfg.Now().UTC(), r.failed)
		if err == nil {
			r.mu.Lock()
			r.applied += uint64(len(recs))
			open := r.failures
			r.mu.Unlock()
			if len(open) > 0 {
				still, err := resolveApplied(ctx, r.cfg.Pool, open, stored, r.cfg.Now().UTC())
				if err != nil {
					r.cfg.Logger.Warn("projections: resolve applied failures", "err", err)
				}
				r.mu.Lock()
				r.failures = still
				r.mu.Unlock()
			}
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		r.cfg.Logger.Error("projections: batch not applied; retrying", "records", len(recs), "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (r *Runner) failed(projection string, ae *ApplyError) {
	r.cfg.Logger.Error("projection stopped at a record it cannot apply",
		"projection", projection, "partition", ae.Partition, "offset", ae.Offset,
		"event_id", ae.EventID, "event_type", ae.EventType, "err", ae.Err)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.failures {
		if f.Projection == projection && f.Partition == ae.Partition && f.Offset == ae.Offset {
			return
		}
	}
	r.failures = append(r.failures, Failure{
		Projection: projection, Partition: ae.Partition, Offset: ae.Offset,
		EventID: ae.EventID, EventType: ae.EventType, Error: ae.Err.Error(), FailedAt: r.cfg.Now().UTC(),
	})
}

// checkFailures reads the unresolved failures of the runner's projections.
// A stop whose failure an operator resolved (skipped) is lifted, and its
// partition re-read from the stored offsets: records past the stop were
// fetched already and set aside.
func (r *Runner) checkFailures(ctx context.Context) error {
	rows, err := store.New(r.cfg.Pool).ProjectionFailuresOpen(ctx)
	if err != nil {
		return fmt.Errorf("load projection failures: %w", err)
	}
	r.lastCheck = time.Now()
	mine := map[string]bool{}
	for _, n := range r.Names() {
		mine[n] = true
	}
	open := map[slot]int64{}
	var fs []Failure
	for _, row := range rows {
		if !mine[row.Projection] {
			continue
		}
		open[slot{row.Projection, row.Partition}] = row.KafkaOffset
		fs = append(fs, Failure{Projection: row.Projection, Partition: row.Partition, Offset: row.KafkaOffset,
			EventID: row.EventID, EventType: row.EventType, Error: row.Error, FailedAt: row.FailedAt})
	}
	r.mu.Lock()
	r.failures = fs
	r.mu.Unlock()
	seek := map[int32]bool{}
	for s, stop := range r.plan.stops {
		if off, still := open[s]; !still || off != stop {
			delete(r.plan.stops, s)
			seek[s.partition] = true
		}
	}
	if len(seek) == 0 {
		return nil
	}
	offs, err := store.New(r.cfg.Pool).ProjectionOffsetsList(ctx, r.Names())
	if err != nil {
		return err
	}
	have := map[slot]int64{}
	for _, row := range offs {
		have[slot{row.Projection, row.Partition}] = row.NextOffset
	}
	offsets := map[int32]kgo.EpochOffset{}
	for part := range seek {
		offsets[part] = kgo.EpochOffset{Epoch: -1, Offset: r.minNext(have, part)}
	}
	r.cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{r.cfg.Topic: offsets})
	r.cfg.Logger.Info("projections: resumed after resolved failures", "partitions", len(offsets))
	return nil
}
