package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/collection"
)

// ProcessorConfig configures the decider's processor.
type ProcessorConfig struct {
	Brokers []string
	// Group is the consumer group of deciders (default "tahsil-decider").
	// Changing it makes the new group start from the oldest command.
	Group string
	// TransactionalID must be stable for one instance across restarts and
	// unique among running instances (default "tahsil-decider-1"): a
	// restarted instance fences its zombie by reusing it.
	TransactionalID string
	// MaxBatch bounds the commands decided in one transaction (default 2000).
	MaxBatch int
	Registry *Registry
	Logger   *slog.Logger
	// Now is the clock stamped on events (default time.Now).
	Now func() time.Time
	// ClientOpts are appended to every Kafka client's options (tests).
	ClientOpts []kgo.Opt
}

func (c *ProcessorConfig) setDefaults() {
	if c.Group == "" {
		c.Group = "tahsil-decider"
	}
	if c.TransactionalID == "" {
		c.TransactionalID = "tahsil-decider-1"
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 2000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of the configuration.
func (c ProcessorConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("processor: no Kafka brokers"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("processor: no registry"))
	}
	if c.MaxBatch < 1 {
		errs = append(errs, errors.New("processor: MaxBatch must be positive"))
	}
	return errors.Join(errs...)
}

// partitionState is what the decider holds for one owned partition: the
// folded state of each aggregate and the outcome of each command seen.
type partitionState struct {
	states   map[aggregateKey]collection.State
	outcomes map[uuid.UUID]decision
}

// decision is what the decider remembers of a decided command, enough to
// answer a redelivery with the first outcome. It is kept small (no strings:
// the redelivered envelope has them) because there is one per command, not
// per aggregate.
type decision struct {
	rejection  *collection.Rejection // nil when accepted
	version    int64
	lastOffset int64
	decidedAt  int64 // Unix nanoseconds
	eventCount int32
}

func remember(o *Outcome) decision {
	return decision{rejection: o.Rejection, version: o.Aggregate.Version, lastOffset: o.LastOffset,
		decidedAt: o.DecidedAt.UnixNano(), eventCount: int32(o.EventCount)}
}

// outcome rebuilds the first outcome for a redelivered command.
func (d decision) outcome(env *CommandEnvelope, partition int32) *Outcome {
	o := &Outcome{
		CommandID: env.ID, CommandType: env.Type, Status: Accepted,
		Aggregate: AggregateRef{Type: env.Aggregate.Type, ID: env.Aggregate.ID, Version: d.version},
		Rejection: d.rejection, Partition: partition, LastOffset: d.lastOffset, EventCount: int(d.eventCount),
		DecidedAt: time.Unix(0, d.decidedAt).UTC(), Actor: env.Actor,
	}
	if d.rejection != nil {
		o.Status = Rejected
	}
	return o
}

// aggregateKey names an aggregate by type and id: a creditor and a debtor
// with the same id are two aggregates, and one's state must never be
// handed to the other's decide (its type assertion would panic).
type aggregateKey struct {
	typ collection.AggregateType
	id  string
}

func keyOf(a AggregateRef) aggregateKey { return aggregateKey{a.Type, a.ID} }

// Processor consumes tahsil.commands in a GroupTransactSession and, for each
// command, writes its events and its outcome and commits its offset in one
// Kafka transaction: a command is applied exactly once.
type Processor struct {
	cfg  ProcessorConfig
	sess *kgo.GroupTransactSession
	// loader reads tahsil.events and tahsil.outcomes to rebuild states.
	loader *kgo.Client

	mu    sync.Mutex
	parts map[int32]*partitionState

	decided  uint64 // commands whose outcome was committed, for metrics
	rebuilds uint64

	// stop ends Run; running is closed when Run has returned. Close needs
	// both: a poll returning during Close would block the group leave.
	stop    context.CancelFunc
	running chan struct{}
	// fatal, once set by a failed state rebuild, ends Run: the partitions
	// were assigned but cannot be decided.
	fatal error

	// beforeCommit, when set (by tests, before Run), runs after a batch's
	// events and outcomes are produced and before its transaction ends.
	beforeCommit func()
}

// NewProcessor connects the processor's clients. Call Run to start deciding.
func NewProcessor(cfg ProcessorConfig) (*Processor, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg, parts: map[int32]*partitionState{}, stop: func() {}}
	// The loader exists before the session: the session may join its group
	// and call p.assigned (which reads p.loader) as soon as it is created.
	loader, err := kgo.NewClient(append(append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)},
		ReplayClientOpts()...), cfg.ClientOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("processor loader: %w", err)
	}
	p.loader = loader
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.TransactionalID(cfg.TransactionalID),
		kgo.TransactionTimeout(60 * time.Second),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(CommandsTopic),
		kgo.RequireStableFetchOffsets(),
		kgo.BlockRebalanceOnPoll(),
		// A short fetch wait bounds the delay of a command produced while a
		// fetch is parked on an idle partition.
		kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.ProducerLinger(0),
		// Events and outcomes go to the partition number of their command,
		// which is where the state that decided them lives.
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.OnPartitionsAssigned(p.assigned),
		kgo.OnPartitionsRevoked(p.dropped),
		kgo.OnPartitionsLost(p.dropped),
	}, cfg.ClientOpts...)
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		loader.Close()
		return nil, fmt.Errorf("processor session: %w", err)
	}
	p.sess = sess
	return p, nil
}

// Close leaves the group and closes the clients; an open transaction is aborted.
func (p *Processor) Close() {
	p.mu.Lock()
	stop, running := p.stop, p.running
	p.mu.Unlock()
	stop()
	if running != nil {
		<-running
	}
	// Run may have returned holding a polled batch; with
	// BlockRebalanceOnPoll a plain Close would wait forever to leave the group.
	p.sess.CloseAllowingRebalance()
	p.loader.Close()
}

// Stats returns counters for metrics.
func (p *Processor) Stats() (decided, rebuilds uint64, aggregates int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ps := range p.parts {
		aggregates += len(ps.states)
	}
	return p.decided, p.rebuilds, aggregates
}

// assigned rebuilds the state of each newly owned partition before any of
// its commands is decided (callbacks run while no batch is in flight, see
// BlockRebalanceOnPoll).
func (p *Processor) assigned(ctx context.Context, _ *kgo.Client, assigned map[string][]int32) {
	parts := assigned[CommandsTopic]
	if len(parts) == 0 {
		return
	}
	start := time.Now()
	built, err := p.rebuild(ctx, parts)
	if err != nil {
		// Deciding without state would accept what must be rejected: Run
		// stops with this error and the process exits, so a supervisor
		// restarts it (or another instance takes the partitions over).
		p.cfg.Logger.Error("decider: rebuild state failed; stopping", "partitions", parts, "err", err)
		p.mu.Lock()
		p.fatal = fmt.Errorf("rebuild state of partitions %v: %w", parts, err)
		stop := p.stop
		p.mu.Unlock()
		stop()
		return
	}
	p.mu.Lock()
	for part, ps := range built {
		p.parts[part] = ps
	}
	p.rebuilds++
	p.mu.Unlock()
	p.cfg.Logger.Info("decider: partitions assigned", "partitions", parts, "took", time.Since(start))
}

func (p *Processor) dropped(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, part := range lost[CommandsTopic] {
		delete(p.parts, part)
	}
}

// rebuild folds tahsil.events and reads tahsil.outcomes of the given
// partitions from the start up to their last stable offsets.
func (p *Processor) rebuild(ctx context.Context, parts []int32) (map[int32]*partitionState, error) {
	built := map[int32]*partitionState{}
	for _, part := range parts {
		built[part] = &partitionState{states: map[aggregateKey]collection.State{}, outcomes: map[uuid.UUID]decision{}}
	}
	err := Replay(ctx, p.loader, []string{EventsTopic, OutcomesTopic}, parts, nil, func(r *kgo.Record) error {
		return p.load(built[r.Partition], r)
	})
	if err != nil {
		return nil, err
	}
	return built, nil
}

func (p *Processor) load(ps *partitionState, r *kgo.Record) error {
	switch r.Topic {
	case OutcomesTopic:
		o, err := ParseOutcome(r.Value)
		if err != nil {
			return fmt.Errorf("outcome at %d/%d: %w", r.Partition, r.Offset, err)
		}
		// Outcomes of malformed commands carry no command id to remember.
		if id, err := uuid.Parse(o.CommandID); err == nil {
			if _, seen := ps.outcomes[id]; !seen {
				ps.outcomes[id] = remember(o)
			}
		}
	case EventsTopic:
		env, err := ParseEvent(r.Value)
		if err != nil {
			return fmt.Errorf("event at %d/%d: %w", r.Partition, r.Offset, err)
		}
		ev, err := p.cfg.Registry.DecodeEvent(env)
		if err != nil {
			return fmt.Errorf("event %s at %d/%d: %w", env.ID, r.Partition, r.Offset, err)
		}
		b, ok := collection.BehaviourOf(env.Aggregate.Type)
		if !ok {
			return fmt.Errorf("event %s: unknown aggregate type %q", env.ID, env.Aggregate.Type)
		}
		s, ok := ps.states[keyOf(env.Aggregate)]
		if !ok {
			s = b.New(env.Aggregate.ID)
		}
		if env.Aggregate.Version != s.Version()+1 {
			return fmt.Errorf("event %s: aggregate %s version %d follows version %d", env.ID, env.Aggregate.ID, env.Aggregate.Version, s.Version())
		}
		ps.states[keyOf(env.Aggregate)] = b.Evolve(s, ev)
	}
	return nil
}

// Run decides commands until ctx is cancelled or the session fails.
func (p *Processor) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	p.mu.Lock()
	p.stop, p.running = cancel, done
	if p.fatal != nil {
		cancel()
	}
	p.mu.Unlock()
	for {
		fetches := p.sess.PollRecords(ctx, p.cfg.MaxBatch)
		if ctx.Err() != nil {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.fatal
		}
		if fetches.IsClientClosed() {
			return errors.New("decider: client closed")
		}
		var ferr error
		fetches.EachError(func(t string, part int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("fetch %s/%d: %w", t, part, err))
		})
		if ferr != nil {
			p.cfg.Logger.Warn("decider: fetch errors", "err", ferr)
		}
		records := fetches.Records()
		if len(records) == 0 {
			p.sess.AllowRebalance()
			continue
		}
		if err := p.decideBatch(ctx, records); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.cfg.Logger.Error("decider: batch aborted; its commands will be decided again", "commands", len(records), "err", err)
		}
		p.sess.AllowRebalance()
	}
}

// pending is one command's decision inside the batch being built.
type pending struct {
	outcome *Outcome
	events  []*kgo.Record
}

func (p *Processor) decideBatch(ctx context.Context, records []*kgo.Record) error {
	if err := p.sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Decisions are staged in overlays and applied to the partition state
	// only once the transaction commits; an abort leaves the state as the
	// log has it.
	stagedStates := map[aggregateKey]collection.State{}
	stagedOutcomes := map[string]*Outcome{}
	decisions := make([]*pending, 0, len(records))
	p.mu.Lock()
	for _, r := range records {
		ps := p.parts[r.Partition]
		if ps == nil {
			p.mu.Unlock()
			p.sess.End(ctx, kgo.TryAbort) //nolint:errcheck // the batch is retried after the rebalance
			return fmt.Errorf("partition %d is not owned any more", r.Partition)
		}
		decisions = append(decisions, p.decide(ps, r, stagedStates, stagedOutcomes))
	}
	p.mu.Unlock()

	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		prodErr error
	)
	produce := func(rec *kgo.Record) {
		wg.Add(1)
		p.sess.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				errMu.Lock()
				prodErr = errors.Join(prodErr, err)
				errMu.Unlock()
			}
			wg.Done()
		})
	}
	for _, d := range decisions {
		for _, rec := range d.events {
			produce(rec)
		}
	}
	wg.Wait()
	if prodErr == nil {
		for _, d := range decisions {
			if n := len(d.events); n > 0 {
				last := d.events[n-1]
				d.outcome.Partition, d.outcome.LastOffset = last.Partition, last.Offset
			}
			rec, err := OutcomeRecord(d.outcome)
			if err != nil {
				prodErr = err
				break
			}
			rec.Partition = d.outcome.Partition
			produce(rec)
		}
		wg.Wait()
	}
	if prodErr != nil {
		p.sess.End(ctx, kgo.TryAbort) //nolint:errcheck // reported below; the batch is retried
		return fmt.Errorf("produce: %w", prodErr)
	}
	if p.beforeCommit != nil {
		p.beforeCommit()
	}
	committed, err := p.sess.End(ctx, kgo.TryCommit)
	if err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	if !committed {
		return errors.New("transaction aborted by a rebalance")
	}
	p.mu.Lock()
	for _, d := range decisions {
		ps := p.parts[d.outcome.Partition]
		if ps == nil {
			continue
		}
		if s, ok := stagedStates[keyOf(d.outcome.Aggregate)]; ok {
			ps.states[keyOf(d.outcome.Aggregate)] = s
		}
		if id, err := uuid.Parse(d.outcome.CommandID); err == nil {
			if _, seen := ps.outcomes[id]; !seen {
				ps.outcomes[id] = remember(d.outcome)
			}
		}
	}
	p.decided += uint64(len(decisions))
	p.mu.Unlock()
	return nil
}

// decide turns one command record into its events and outcome. It never
// fails: whatever is wrong with the command becomes a rejected outcome, so
// one bad record cannot block its partition.
func (p *Processor) decide(ps *partitionState, r *kgo.Record, stagedStates map[aggregateKey]collection.State, stagedOutcomes map[string]*Outcome) *pending {
	now := p.cfg.Now().UTC()
	var actor Actor
	reject := func(id, typ string, agg AggregateRef, code, reason string) *pending {
		return &pending{outcome: &Outcome{
			CommandID: id, CommandType: typ, Status: Rejected, Aggregate: agg, Actor: actor,
			Rejection: collection.Reject(code, reason), Partition: r.Partition, LastOffset: -1, DecidedAt: now,
		}}
	}
	env, err := ParseCommand(r.Value)
	if err != nil {
		// Without a parseable id nobody waits for this outcome; it is still
		// written so the log says what happened to the record.
		p.cfg.Logger.Error("decider: malformed command", "partition", r.Partition, "offset", r.Offset, "err", err)
		return reject(fmt.Sprintf("malformed-%d-%d", r.Partition, r.Offset), "", AggregateRef{ID: string(r.Key)}, collection.CodeInvalid, err.Error())
	}
	actor = env.Actor
	// A redelivered command (a retry, or a crash before the offset commit
	// reached the group) gets its first outcome again, and no new event.
	if first, ok := stagedOutcomes[env.ID]; ok {
		return &pending{outcome: first}
	}
	if first, ok := ps.outcomes[uuid.MustParse(env.ID)]; ok { // ParseCommand checked the id
		return &pending{outcome: first.outcome(env, r.Partition)}
	}
	agg := AggregateRef{Type: env.Aggregate.Type, ID: env.Aggregate.ID}
	// The key chose the partition, and the partition holds the state: a
	// record keyed otherwise would be decided against another partition's
	// view of its aggregate.
	if string(r.Key) != agg.ID {
		return reject(env.ID, env.Type, agg, collection.CodeInvalid, "the command record's key is not its aggregate id")
	}
	cmd, err := p.cfg.Registry.DecodeCommand(env)
	if err != nil {
		return reject(env.ID, env.Type, agg, collection.CodeInvalid, err.Error())
	}
	b, ok := collection.BehaviourOf(env.Aggregate.Type)
	if !ok {
		return reject(env.ID, env.Type, agg, collection.CodeInvalid, "unknown aggregate type "+string(env.Aggregate.Type))
	}
	state, ok := stagedStates[keyOf(agg)]
	if !ok {
		if state, ok = ps.states[keyOf(agg)]; !ok {
			state = b.New(agg.ID)
		}
	}
	evs, err := collection.Handle(b, state, env.ExpectedVersion, cmd)
	if err != nil {
		out := reject(env.ID, env.Type, agg, collection.CodeInvalid, err.Error())
		if rej, ok := collection.AsRejection(err); ok {
			out.outcome.Rejection = rej
		} else {
			p.cfg.Logger.Error("decider: command failed", "command", env.ID, "type", env.Type, "err", err)
		}
		out.outcome.Aggregate.Version = state.Version()
		stagedOutcomes[env.ID] = out.outcome
		return out
	}
	d := &pending{outcome: &Outcome{
		CommandID: env.ID, CommandType: env.Type, Status: Accepted, Aggregate: agg, Actor: env.Actor,
		Partition: r.Partition, LastOffset: -1, EventCount: len(evs), DecidedAt: now,
	}}
	for _, ev := range evs {
		typ, v, data, err := p.cfg.Registry.Encode(ev)
		if err != nil {
			p.cfg.Logger.Error("decider: encode event", "command", env.ID, "err", err)
			return reject(env.ID, env.Type, agg, collection.CodeInvalid, "internal error encoding the event")
		}
		state = b.Evolve(state, ev)
		var personal []byte
		if pc, ok := ev.(collection.PersonalCarrier); ok {
			personal = pc.PersonalPart()
		}
		rec, err := EventRecord(&Envelope{
			ID: uuid.Must(uuid.NewV7()).String(), Type: typ, V: v,
			Aggregate:  AggregateRef{Type: agg.Type, ID: agg.ID, Version: state.Version()},
			OccurredAt: now, Actor: env.Actor, CommandID: env.ID, CorrelationID: env.CorrelationID,
			Data: data, Personal: personal,
		})
		if err != nil {
			return reject(env.ID, env.Type, agg, collection.CodeInvalid, "internal error encoding the event")
		}
		// Same key, same partition count: the event lands in the command's
		// partition number, which the state map relies on.
		rec.Partition = r.Partition
		d.events = append(d.events, rec)
	}
	d.outcome.Aggregate.Version = state.Version()
	stagedStates[keyOf(agg)] = state
	stagedOutcomes[env.ID] = d.outcome
	return d
}
