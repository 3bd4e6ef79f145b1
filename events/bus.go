package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrPending means the command was written to the log but its outcome did
// not arrive in time: it will still be decided, and its outcome can be
// asked for later by command id.
var ErrPending = errors.New("command accepted for processing; outcome pending")

// BusConfig configures the command bus.
type BusConfig struct {
	Brokers []string
	// OutcomeTimeout bounds the wait for the decider's outcome (default 10 s).
	OutcomeTimeout time.Duration
	Logger         *slog.Logger
	// ClientOpts are appended to the Kafka client's options (tests).
	ClientOpts []kgo.Opt
}

// Bus submits commands to tahsil.commands and waits for their outcomes on
// tahsil.outcomes. Every bus instance reads every outcome partition (no
// group): the waiter may be in any API replica.
type Bus struct {
	cfg BusConfig
	cl  *kgo.Client

	mu      sync.Mutex
	waiters map[string]chan *Outcome
	recent  *lru.Cache[string, *Outcome]
}

// NewBus connects the bus and positions its outcome reader at the current
// end of tahsil.outcomes, so no outcome of a command it submits is missed.
func NewBus(ctx context.Context, cfg BusConfig) (*Bus, error) {
	if cfg.OutcomeTimeout == 0 {
		cfg.OutcomeTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("bus: no Kafka brokers")
	}
	admin, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)}, cfg.ClientOpts...)...)
	if err != nil {
		return nil, err
	}
	ends, err := kadm.NewClient(admin).ListEndOffsets(ctx, OutcomesTopic)
	admin.Close()
	if err != nil {
		return nil, fmt.Errorf("bus: list outcome offsets: %w", err)
	}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) { start[o.Partition] = kgo.NewOffset().At(o.Offset) })
	if len(start) == 0 {
		return nil, fmt.Errorf("bus: topic %s has no partitions", OutcomesTopic)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{OutcomesTopic: start}),
		kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.ProducerLinger(0),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
	}, cfg.ClientOpts...)...)
	if err != nil {
		return nil, err
	}
	recent, _ := lru.New[string, *Outcome](50_000)
	return &Bus{cfg: cfg, cl: cl, waiters: map[string]chan *Outcome{}, recent: recent}, nil
}

// Close closes the client.
func (b *Bus) Close() { b.cl.Close() }

// Run reads outcomes and hands each to its waiter until ctx ends.
func (b *Bus) Run(ctx context.Context) error {
	for {
		fetches := b.cl.PollFetches(ctx)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(t string, p int32, err error) {
			b.cfg.Logger.Warn("bus: fetch outcomes", "partition", p, "err", err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			o, err := ParseOutcome(r.Value)
			if err != nil {
				b.cfg.Logger.Error("bus: malformed outcome", "partition", r.Partition, "offset", r.Offset, "err", err)
				return
			}
			b.deliver(o)
		})
	}
}

func (b *Bus) deliver(o *Outcome) {
	b.mu.Lock()
	ch, ok := b.waiters[o.CommandID]
	delete(b.waiters, o.CommandID)
	b.mu.Unlock()
	if !b.recent.Contains(o.CommandID) {
		b.recent.Add(o.CommandID, o)
	}
	if ok {
		ch <- o
	}
}

// Recent returns an outcome this bus saw lately, before any projection of
// outcomes has stored it.
func (b *Bus) Recent(commandID string) (*Outcome, bool) { return b.recent.Get(commandID) }

// Submit writes a command and waits for its outcome. It returns ErrPending
// when the command is in the log but the outcome did not come within the
// configured timeout (or ctx's deadline, whichever is first).
func (b *Bus) Submit(ctx context.Context, cmd *CommandEnvelope) (*Outcome, error) {
	rec, err := CommandRecord(cmd)
	if err != nil {
		return nil, err
	}
	ch := make(chan *Outcome, 1)
	b.mu.Lock()
	if _, dup := b.waiters[cmd.ID]; dup {
		b.mu.Unlock()
		return b.await(ctx, cmd.ID)
	}
	b.waiters[cmd.ID] = ch
	b.mu.Unlock()
	if err := b.cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		b.forget(cmd.ID)
		return nil, fmt.Errorf("submit command %s: %w", cmd.ID, err)
	}
	return b.wait(ctx, cmd.ID, ch)
}

// await waits for the outcome of a command submitted by another request
// (an Idempotency-Key retry arriving while the first is in flight).
func (b *Bus) await(ctx context.Context, id string) (*Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.OutcomeTimeout)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if o, ok := b.recent.Get(id); ok {
			return o, nil
		}
		select {
		case <-ctx.Done():
			return nil, ErrPending
		case <-t.C:
		}
	}
}

func (b *Bus) wait(ctx context.Context, id string, ch chan *Outcome) (*Outcome, error) {
	timer := time.NewTimer(b.cfg.OutcomeTimeout)
	defer timer.Stop()
	select {
	case o := <-ch:
		return o, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	b.forget(id)
	return nil, ErrPending
}

func (b *Bus) forget(id string) {
	b.mu.Lock()
	delete(b.waiters, id)
	b.mu.Unlock()
}
