package events_test

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/kafkatest"
)

func testLogger() *slog.Logger {
	if os.Getenv("TAHSIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// rig is a private broker with the three topics, a registry, and a plain
// client to produce command records and read the log back.
type rig struct {
	addr string
	reg  *events.Registry
	cl   *kgo.Client
}

func newRig(t *testing.T, partitions int32) *rig {
	t.Helper()
	addr := kafkatest.Broker(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(0),
		// The bus's partitioner: by key, as Kafka's Java client does.
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	if err := events.EnsureTopics(t.Context(), cl, events.TopicsConfig{Partitions: partitions}); err != nil {
		t.Fatalf("topics: %v", err)
	}
	return &rig{addr: addr, reg: events.NewRegistry(), cl: cl}
}

type deciderOpts struct {
	txnID, group string
	hook         func()
	clientOpts   []kgo.Opt
}

// decider starts a processor; stop (also run on cleanup) ends it.
func (r *rig) decider(t *testing.T, o deciderOpts) (p *events.Processor, stop func()) {
	t.Helper()
	p, err := events.NewProcessor(events.ProcessorConfig{
		Brokers: []string{r.addr}, Group: o.group, TransactionalID: o.txnID,
		Registry: r.reg, Logger: testLogger(),
		// A partition whose start offset resolves after the first fetch
		// was sent waits for that fetch to return: keep the long poll short.
		ClientOpts: append([]kgo.Opt{kgo.FetchMaxWait(250 * time.Millisecond)}, o.clientOpts...),
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.hook != nil {
		events.SetBeforeCommit(p, o.hook)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			p.Close()
			if err := <-done; err != nil {
				t.Errorf("processor Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

func (r *rig) bus(t *testing.T, timeout time.Duration) *events.Bus {
	t.Helper()
	b, err := events.NewBus(t.Context(), events.BusConfig{Brokers: []string{r.addr}, OutcomeTimeout: timeout, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); b.Close(); <-done })
	return b
}

// envelope wraps a command as the API does.
func (r *rig) envelope(t *testing.T, cmd collection.Command, expected int64) *events.CommandEnvelope {
	t.Helper()
	typ, v, data, err := r.reg.Encode(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return &events.CommandEnvelope{
		ID: newID(), Type: typ, V: v,
		Aggregate:       events.AggregateRef{Type: cmd.Aggregate(), ID: reflect.ValueOf(cmd).FieldByName("ID").String()},
		ExpectedVersion: expected, IssuedAt: time.Now().UTC(),
		Actor:         events.Actor{UserID: "agent-1", Role: "agent", IP: "192.0.2.1"},
		CorrelationID: newID(), Data: data, Personal: personalOf(cmd),
	}
}

func registerCreditor(id string) collection.RegisterCreditor {
	return collection.RegisterCreditor{ID: id, Ref: "C-" + strings.ToUpper(id[len(id)-6:]),
		Profile:  collection.CreditorProfile{LegalForm: "SARL", Wilaya: 16, CommissionBPS: 1500},
		Personal: collection.Sealed("\x01sealed:" + id)}
}

func updateCreditor(id, sector string) collection.UpdateCreditor {
	return collection.UpdateCreditor{ID: id, Changes: collection.CreditorChanges{Sector: &sector}}
}

// produce writes command records directly, as any Kafka client could.
func (r *rig) produce(t *testing.T, recs ...*kgo.Record) []*kgo.Record {
	t.Helper()
	if err := r.cl.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatalf("produce commands: %v", err)
	}
	return recs
}

func (r *rig) commandRecord(t *testing.T, env *events.CommandEnvelope) *kgo.Record {
	t.Helper()
	rec, err := events.CommandRecord(env)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// readAll returns every committed record of a topic up to its last stable
// offsets, as a read_committed consumer sees it.
func (r *rig) readAll(t *testing.T, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(r.cl).ListCommittedOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("last stable offsets of %s: %v", topic, err)
	}
	start := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("last stable offset of %s/%d: %v", topic, o.Partition, o.Err)
		}
		if o.Offset > 0 {
			start[o.Partition], remaining[o.Partition] = kgo.NewOffset().AtStart(), o.Offset
		}
	})
	if len(start) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.addr), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(), kgo.FetchMaxWait(100*time.Millisecond),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(remaining) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: %d partitions not read to their end", topic, len(remaining))
		}
		fs.EachError(func(_ string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(rec *kgo.Record) {
			end, ok := remaining[rec.Partition]
			if !ok || rec.Offset >= end {
				return
			}
			if rec.Offset+1 >= end {
				delete(remaining, rec.Partition)
			}
			if !rec.Attrs.IsControl() {
				out = append(out, rec)
			}
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

type eventRecord struct {
	*events.Envelope
	rec *kgo.Record
}

func (r *rig) events(t *testing.T) []eventRecord {
	t.Helper()
	var out []eventRecord
	for _, rec := range r.readAll(t, events.EventsTopic) {
		e, err := events.ParseEvent(rec.Value)
		if err != nil {
			t.Fatalf("event at %d/%d: %v", rec.Partition, rec.Offset, err)
		}
		out = append(out, eventRecord{e, rec})
	}
	return out
}

func (r *rig) allOutcomes(t *testing.T) map[string][]*events.Outcome {
	t.Helper()
	out := map[string][]*events.Outcome{}
	for _, rec := range r.readAll(t, events.OutcomesTopic) {
		o, err := events.ParseOutcome(rec.Value)
		if err != nil {
			t.Fatalf("outcome at %d/%d: %v", rec.Partition, rec.Offset, err)
		}
		if string(rec.Key) != o.Aggregate.ID {
			t.Errorf("outcome of %s keyed %q, want its aggregate id %q", o.CommandID, rec.Key, o.Aggregate.ID)
		}
		if rec.Partition != o.Partition {
			t.Errorf("outcome of %s in partition %d says partition %d", o.CommandID, rec.Partition, o.Partition)
		}
		out[o.CommandID] = append(out[o.CommandID], o)
	}
	return out
}

// outcomes waits until each command id has at least n outcomes, and
// returns every outcome read.
func (r *rig) outcomes(t *testing.T, n int, ids ...string) map[string][]*events.Outcome {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		all := r.allOutcomes(t)
		missing := 0
		for _, id := range ids {
			if len(all[id]) < n {
				missing++
			}
		}
		if missing == 0 {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d commands have fewer than %d outcomes", missing, len(ids), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outcome waits for the single outcome of each command, in order.
func (r *rig) outcome(t *testing.T, envs ...*events.CommandEnvelope) []*events.Outcome {
	t.Helper()
	ids := make([]string, len(envs))
	for i, e := range envs {
		ids[i] = e.ID
	}
	all := r.outcomes(t, 1, ids...)
	out := make([]*events.Outcome, len(envs))
	for i, id := range ids {
		if len(all[id]) != 1 {
			t.Errorf("command %s has %d outcomes, want 1", id, len(all[id]))
		}
		out[i] = all[id][0]
	}
	return out
}

func checkAccepted(t *testing.T, o *events.Outcome, version int64) {
	t.Helper()
	if o.Status != events.Accepted || o.Aggregate.Version != version || o.Rejection != nil {
		t.Errorf("outcome of %s %s = %s at version %d (%v), want accepted at version %d",
			o.CommandType, o.CommandID, o.Status, o.Aggregate.Version, o.Rejection, version)
	}
}

func checkRejected(t *testing.T, o *events.Outcome, code string) {
	t.Helper()
	if o.Status != events.Rejected || o.Rejection == nil || o.Rejection.Code != code || o.EventCount != 0 || o.LastOffset != -1 {
		t.Errorf("outcome of %s %s = %+v (%+v), want rejected with code %s and no event", o.CommandType, o.CommandID, o, o.Rejection, code)
	}
}

// checkLog verifies the invariants of tahsil.events: each command's events
// appear once, and each aggregate's versions run 1..n without a gap in
// log order, within one partition. It returns the events by command id.
func checkLog(t *testing.T, evs []eventRecord) map[string][]eventRecord {
	t.Helper()
	byCommand := map[string][]eventRecord{}
	type aggKey struct {
		typ collection.AggregateType
		id  string
	}
	last := map[aggKey]eventRecord{}
	for _, e := range evs {
		byCommand[e.CommandID] = append(byCommand[e.CommandID], e)
		k := aggKey{e.Aggregate.Type, e.Aggregate.ID}
		prev, seen := last[k]
		want := int64(1)
		if seen {
			want = prev.Aggregate.Version + 1
			if prev.rec.Partition != e.rec.Partition {
				t.Errorf("aggregate %s has events in partitions %d and %d", e.Aggregate.ID, prev.rec.Partition, e.rec.Partition)
			}
		}
		if e.Aggregate.Version != want {
			t.Errorf("aggregate %s: event %s at %d/%d has version %d, want %d", e.Aggregate.ID, e.Type, e.rec.Partition, e.rec.Offset, e.Aggregate.Version, want)
		}
		if string(e.rec.Key) != e.Aggregate.ID {
			t.Errorf("event %s keyed %q, want %q", e.ID, e.rec.Key, e.Aggregate.ID)
		}
		last[k] = e
	}
	for id, es := range byCommand {
		if len(es) != 1 {
			t.Errorf("command %s has %d events in the log, want 1", id, len(es))
		}
	}
	return byCommand
}

func TestProcessorRegistersACreditor(t *testing.T) {
	t.Parallel()
	r := newRig(t, 3)
	p, _ := r.decider(t, deciderOpts{})
	bus := r.bus(t, 15*time.Second)
	id := newID()
	cmd := registerCreditor(id)
	env := r.envelope(t, cmd, collection.AnyVersion)
	o, err := bus.Submit(t.Context(), env)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	checkAccepted(t, o, 1)
	if o.CommandID != env.ID || o.CommandType != "creditor.register" || o.EventCount != 1 ||
		o.Aggregate.Type != collection.CreditorAggregate || o.Aggregate.ID != id || o.DecidedAt.IsZero() {
		t.Errorf("outcome %+v", o)
	}
	if seen, ok := bus.Recent(env.ID); !ok || !reflect.DeepEqual(seen, o) {
		t.Errorf("Recent = %+v, %v; want the outcome", seen, ok)
	}

	evs := r.events(t)
	if len(evs) != 1 {
		t.Fatalf("log holds %d events, want 1", len(evs))
	}
	e := evs[0]
	if e.Type != "creditor.registered" || e.V != 1 || e.Aggregate != (events.AggregateRef{Type: collection.CreditorAggregate, ID: id, Version: 1}) {
		t.Errorf("event %s v%d of %+v", e.Type, e.V, e.Aggregate)
	}
	if e.CommandID != env.ID || e.CorrelationID != env.CorrelationID || e.Actor != env.Actor || e.OccurredAt.Location() != time.UTC {
		t.Errorf("event does not carry its command's context: %+v", e.Envelope)
	}
	checkHeaders(t, e.rec, "creditor.registered", "1")
	ev, err := r.reg.DecodeEvent(e.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	if want := collection.CreditorRegistered(cmd); !reflect.DeepEqual(ev, want) {
		t.Errorf("event = %+v, want %+v (with the sealed part carried over)", ev, want)
	}
	// The outcome points at the event, for read-your-writes.
	if o.Partition != e.rec.Partition || o.LastOffset != e.rec.Offset {
		t.Errorf("outcome points at %d/%d, event is at %d/%d", o.Partition, o.LastOffset, e.rec.Partition, e.rec.Offset)
	}
	// The event lands in its command's partition, which holds the state.
	cmds := r.readAll(t, events.CommandsTopic)
	if len(cmds) != 1 || cmds[0].Partition != e.rec.Partition {
		t.Errorf("command in partition %d, event in %d", cmds[0].Partition, e.rec.Partition)
	}
	if decided, rebuilds, aggregates := p.Stats(); decided != 1 || rebuilds < 1 || aggregates != 1 {
		t.Errorf("Stats = %d decided, %d rebuilds, %d aggregates", decided, rebuilds, aggregates)
	}
}

func TestProcessorFollowsTheLifecycle(t *testing.T) {
	t.Parallel()
	r := newRig(t, 3)
	r.decider(t, deciderOpts{})
	bus := r.bus(t, 15*time.Second)
	ctx := t.Context()
	id := newID()
	submit := func(cmd collection.Command) *events.Outcome {
		t.Helper()
		o, err := bus.Submit(ctx, r.envelope(t, cmd, collection.AnyVersion))
		if err != nil {
			t.Fatalf("Submit %s: %v", cmd.CommandType(), err)
		}
		return o
	}
	checkAccepted(t, submit(registerCreditor(id)), 1)
	checkAccepted(t, submit(updateCreditor(id, "Agroalimentaire")), 2)
	checkAccepted(t, submit(collection.ArchiveCreditor{ID: id, Reason: "contrat terminé"}), 3)
	o := submit(updateCreditor(id, "BTP"))
	checkRejected(t, o, collection.CodeArchived)
	if o.Aggregate.Version != 3 {
		t.Errorf("rejection at version %d, want the current 3", o.Aggregate.Version)
	}
	checkRejected(t, submit(collection.ArchiveCreditor{ID: id}), collection.CodeArchived)
	missing := newID()
	o = submit(updateCreditor(missing, "BTP"))
	checkRejected(t, o, collection.CodeNotFound)
	if o.Aggregate.Version != 0 || o.Aggregate.ID != missing {
		t.Errorf("not-found outcome names %+v", o.Aggregate)
	}
	// The domain's own validation reaches the outcome with its fields.
	bad := registerCreditor(newID())
	bad.Profile.Wilaya = 70
	o = submit(bad)
	checkRejected(t, o, collection.CodeInvalid)
	if len(o.Rejection.Errors) != 1 || o.Rejection.Errors[0].Field != "wilaya" {
		t.Errorf("invalid wilaya rejected with %+v", o.Rejection)
	}

	evs := r.events(t)
	checkLog(t, evs)
	var types []string
	for _, e := range evs {
		if e.Aggregate.ID != id {
			t.Errorf("unexpected event %s of %s", e.Type, e.Aggregate.ID)
		}
		types = append(types, e.Type)
	}
	if want := []string{"creditor.registered", "creditor.updated", "creditor.archived"}; !reflect.DeepEqual(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}
}

func TestProcessorExpectedVersion(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	r.decider(t, deciderOpts{})
	bus := r.bus(t, 15*time.Second)
	ctx := t.Context()
	id := newID()
	if o, err := bus.Submit(ctx, r.envelope(t, registerCreditor(id), collection.AnyVersion)); err != nil {
		t.Fatal(err)
	} else {
		checkAccepted(t, o, 1)
	}

	// Two clients update what they both read at version 1.
	envs := []*events.CommandEnvelope{
		r.envelope(t, updateCreditor(id, "Banque"), 1),
		r.envelope(t, updateCreditor(id, "Assurance"), 1),
	}
	outs := make([]*events.Outcome, 2)
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() {
			o, err := bus.Submit(ctx, env)
			if err != nil {
				t.Errorf("Submit: %v", err)
				return
			}
			outs[i] = o
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	accepted := 0
	for _, o := range outs {
		if o.Status == events.Accepted {
			accepted++
			checkAccepted(t, o, 2)
		} else {
			checkRejected(t, o, collection.CodeVersionConflict)
			if o.Aggregate.Version != 2 {
				t.Errorf("conflict reported at version %d, want 2", o.Aggregate.Version)
			}
		}
	}
	if accepted != 1 {
		t.Fatalf("%d of two conflicting updates accepted, want exactly 1", accepted)
	}

	stale, err := bus.Submit(ctx, r.envelope(t, updateCreditor(id, "Banque"), 5))
	if err != nil {
		t.Fatal(err)
	}
	checkRejected(t, stale, collection.CodeVersionConflict)
	current, err := bus.Submit(ctx, r.envelope(t, updateCreditor(id, "Banque"), 2))
	if err != nil {
		t.Fatal(err)
	}
	checkAccepted(t, current, 3)
	if evs := r.events(t); len(evs) != 3 {
		t.Errorf("log holds %d events, want 3", len(evs))
	} else {
		checkLog(t, evs)
	}
}

func sameOutcome(t *testing.T, got, want *events.Outcome) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("redelivered command got outcome %+v, want the first one %+v", got, want)
	}
}

func TestProcessorAppliesARedeliveredCommandOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	r.decider(t, deciderOpts{})
	id, later := newID(), newID()
	register := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	early := r.envelope(t, updateCreditor(later, "BTP"), collection.AnyVersion)

	// The same record twice in one produce (most likely one batch), as a
	// producer retrying without idempotence would write it.
	r.produce(t, r.commandRecord(t, register), r.commandRecord(t, register), r.commandRecord(t, early))
	r.outcomes(t, 1, early.ID)
	all := r.outcomes(t, 2, register.ID)
	first := all[register.ID][0]
	checkAccepted(t, first, 1)
	sameOutcome(t, all[register.ID][1], first)
	checkRejected(t, all[early.ID][0], collection.CodeNotFound)

	// Once more, in a later batch: the memory of applied commands answers.
	r.produce(t, r.commandRecord(t, register))
	all = r.outcomes(t, 3, register.ID)
	sameOutcome(t, all[register.ID][2], first)

	// A rejected command keeps its first answer, even once it would pass.
	registerLater := r.envelope(t, registerCreditor(later), collection.AnyVersion)
	r.produce(t, r.commandRecord(t, registerLater))
	checkAccepted(t, r.outcome(t, registerLater)[0], 1)
	r.produce(t, r.commandRecord(t, early))
	all = r.outcomes(t, 2, early.ID)
	sameOutcome(t, all[early.ID][1], all[early.ID][0])

	byCommand := checkLog(t, r.events(t))
	if len(byCommand[register.ID]) != 1 || len(byCommand[early.ID]) != 0 || len(byCommand) != 2 {
		t.Errorf("events by command: %d for the register, %d for the early update, %d commands with events (want 1, 0, 2)",
			len(byCommand[register.ID]), len(byCommand[early.ID]), len(byCommand))
	}
}

// openTransactions reports whether some partition of the events topic
// holds records of a transaction that is neither committed nor aborted.
func (r *rig) openTransactions(t *testing.T) bool {
	t.Helper()
	adm := kadm.NewClient(r.cl)
	stable, err := adm.ListCommittedOffsets(t.Context(), events.EventsTopic)
	if err != nil {
		t.Fatal(err)
	}
	end, err := adm.ListEndOffsets(t.Context(), events.EventsTopic)
	if err != nil {
		t.Fatal(err)
	}
	open := false
	end.Each(func(o kadm.ListedOffset) {
		if s, ok := stable.Lookup(events.EventsTopic, o.Partition); !ok || s.Offset < o.Offset {
			open = true
		}
	})
	return open
}

// A decider that dies (or hangs) after producing its events and outcomes
// but before committing must not leave them behind: its successor, which
// reuses its transactional id, fences it, rebuilds the state without them
// and decides the commands again.
func TestProcessorRestartBeforeCommitWritesNoDuplicate(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	// A member stuck in its batch blocks the rebalance that hands its
	// partitions over until the rebalance timeout: keep it short.
	opts := []kgo.Opt{kgo.RebalanceTimeout(1500 * time.Millisecond)}
	var armed atomic.Bool
	stuck, release := make(chan struct{}), make(chan struct{})
	var stuckOnce, releaseOnce sync.Once
	r.decider(t, deciderOpts{txnID: "decider-a", group: "deciders", clientOpts: opts, hook: func() {
		if armed.Load() {
			stuckOnce.Do(func() { close(stuck) })
			<-release
		}
	}})
	// Runs before the zombie's stop (cleanups run last in, first out).
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })

	ids := []string{newID(), newID(), newID(), newID()}
	var registers []*events.CommandEnvelope
	var recs []*kgo.Record
	for _, id := range ids {
		env := r.envelope(t, registerCreditor(id), collection.AnyVersion)
		registers = append(registers, env)
		recs = append(recs, r.commandRecord(t, env))
	}
	r.produce(t, recs...)
	for _, o := range r.outcome(t, registers...) {
		checkAccepted(t, o, 1)
	}

	// The next batch is produced and then never committed.
	armed.Store(true)
	var updates []*events.CommandEnvelope
	recs = recs[:0]
	for round, sector := range []string{"Banque", "Assurance"} {
		for _, id := range ids {
			env := r.envelope(t, updateCreditor(id, sector), collection.AnyVersion)
			if round == 1 {
				env.ExpectedVersion = 2 // decided after the first update, whoever decides it
			}
			updates = append(updates, env)
			recs = append(recs, r.commandRecord(t, env))
		}
	}
	newcomer := r.envelope(t, registerCreditor(newID()), collection.AnyVersion)
	updates = append(updates, newcomer)
	recs = append(recs, r.commandRecord(t, newcomer))
	r.produce(t, recs...)
	select {
	case <-stuck:
	case <-time.After(10 * time.Second):
		t.Fatal("the first decider never reached its commit")
	}
	if !r.openTransactions(t) {
		t.Fatal("the stuck decider has no open transaction: the scenario did not happen")
	}

	// Its successor takes over with the same transactional id.
	successor, _ := r.decider(t, deciderOpts{txnID: "decider-a", group: "deciders", clientOpts: opts})
	outs := r.outcome(t, updates...)
	for i, o := range outs[:len(ids)] {
		checkAccepted(t, o, 2)
		checkAccepted(t, outs[len(ids)+i], 3)
	}
	checkAccepted(t, outs[len(outs)-1], 1)
	if r.openTransactions(t) {
		t.Error("the stuck decider's transaction is still open after its successor committed")
	}

	byCommand := checkLog(t, r.events(t))
	for _, env := range append(registers, updates...) {
		if n := len(byCommand[env.ID]); n != 1 {
			t.Errorf("command %s (%s) has %d events, want 1", env.ID, env.Type, n)
		}
	}
	if d, _, _ := successor.Stats(); d < uint64(len(updates)) {
		t.Errorf("successor decided %d commands, want at least %d", d, len(updates))
	}

	// The zombie, let go, cannot commit what it produced: the log keeps
	// each command's events once.
	releaseOnce.Do(func() { close(release) })
	time.Sleep(300 * time.Millisecond)
	checkLog(t, r.events(t))
}

// A decider stopped after committing is replaced by one that rebuilds its
// state from tahsil.events and its memory of commands from tahsil.outcomes.
func TestProcessorRestartRebuildsStateAndMemory(t *testing.T) {
	t.Parallel()
	r := newRig(t, 3)
	_, stop := r.decider(t, deciderOpts{txnID: "decider-a", group: "deciders"})
	id, debtor, missing := newID(), newID(), newID()
	register := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	registerDebtor := r.envelope(t, collection.RegisterDebtor{ID: debtor, Ref: "D-1",
		Profile:  collection.DebtorProfile{Kind: collection.DebtorPerson, Wilaya: 31, PreferredChannel: "sms", Language: "ar"},
		Personal: collection.Sealed{1, 2}}, collection.AnyVersion)
	update := r.envelope(t, updateCreditor(id, "Pharmacie"), collection.AnyVersion)
	early := r.envelope(t, updateCreditor(missing, "BTP"), collection.AnyVersion)
	r.produce(t, r.commandRecord(t, register), r.commandRecord(t, registerDebtor), r.commandRecord(t, update), r.commandRecord(t, early))
	before := r.outcome(t, register, registerDebtor, update, early)
	checkAccepted(t, before[0], 1)
	checkAccepted(t, before[1], 1)
	checkAccepted(t, before[2], 2)
	checkRejected(t, before[3], collection.CodeNotFound)
	stop()

	p, _ := r.decider(t, deciderOpts{txnID: "decider-a", group: "deciders"})
	next := r.envelope(t, updateCreditor(id, "Textile"), 2)
	again := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	archive := r.envelope(t, collection.ArchiveDebtor{ID: debtor}, 1)
	registerMissing := r.envelope(t, registerCreditor(missing), collection.AnyVersion)
	r.produce(t, r.commandRecord(t, next), r.commandRecord(t, again), r.commandRecord(t, archive), r.commandRecord(t, registerMissing),
		// Commands the first decider already answered, delivered again.
		r.commandRecord(t, register), r.commandRecord(t, update))
	after := r.outcome(t, next, again, archive, registerMissing)
	checkAccepted(t, after[0], 3)
	checkRejected(t, after[1], collection.CodeAlreadyExists)
	checkAccepted(t, after[2], 2)
	checkAccepted(t, after[3], 1)
	all := r.outcomes(t, 2, register.ID, update.ID)
	sameOutcome(t, all[register.ID][1], before[0])
	sameOutcome(t, all[update.ID][1], before[2])
	// And one that was rejected keeps its rejection, though it would pass now.
	r.produce(t, r.commandRecord(t, early))
	sameOutcome(t, r.outcomes(t, 2, early.ID)[early.ID][1], before[3])

	byCommand := checkLog(t, r.events(t))
	if len(byCommand) != 6 {
		t.Errorf("%d commands have events, want 6", len(byCommand))
	}
	if _, rebuilds, aggregates := p.Stats(); rebuilds < 1 || aggregates != 3 {
		t.Errorf("rebuilt decider: %d rebuilds, %d aggregates; want 3 aggregates", rebuilds, aggregates)
	}
}

func TestProcessorSkipsMalformedCommands(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	r.decider(t, deciderOpts{})
	id := newID()
	register := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	unknownType := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	unknownType.Type = "creditor.explode"
	wrongAggregate := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	wrongAggregate.Aggregate.Type = collection.DebtorAggregate
	futureVersion := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	futureVersion.V = 2
	garbage := []*kgo.Record{
		{Topic: events.CommandsTopic, Key: []byte(id), Value: []byte("\x00\xffnot json")},
		{Topic: events.CommandsTopic, Key: []byte(id), Value: nil},
		{Topic: events.CommandsTopic, Key: []byte(id), Value: []byte(`{"id":"` + newID() + `"}`)},
	}
	r.produce(t, append(garbage, r.commandRecord(t, unknownType), r.commandRecord(t, wrongAggregate),
		r.commandRecord(t, futureVersion), r.commandRecord(t, register))...)
	outs := r.outcome(t, unknownType, wrongAggregate, futureVersion, register)
	for _, o := range outs[:3] {
		checkRejected(t, o, collection.CodeInvalid)
	}
	checkAccepted(t, outs[3], 1)

	// What could not be parsed is still answered, so the log says what
	// happened to each record.
	malformed := 0
	for cid, os := range r.allOutcomes(t) {
		if strings.HasPrefix(cid, "malformed-") {
			malformed++
			checkRejected(t, os[0], collection.CodeInvalid)
			if os[0].Aggregate.ID != id {
				t.Errorf("malformed record's outcome names %q, want its key", os[0].Aggregate.ID)
			}
		}
	}
	if malformed != len(garbage) {
		t.Errorf("%d malformed records answered, want %d", malformed, len(garbage))
	}
	byCommand := checkLog(t, r.events(t))
	if len(byCommand) != 1 || len(byCommand[register.ID]) != 1 {
		t.Errorf("events by command %v, want only the register", byCommand)
	}
}

// Creditors and debtors are distinct aggregates: one's id given to the
// other must neither crash the decider nor mix their states.
func TestProcessorKeepsAggregateTypesApart(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	_, stop := r.decider(t, deciderOpts{txnID: "decider-a", group: "deciders"})
	id := newID()
	creditor := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	debtor := r.envelope(t, collection.RegisterDebtor{ID: id, Ref: "D-1",
		Profile:  collection.DebtorProfile{Kind: collection.DebtorCompany, Wilaya: 16, PreferredChannel: "email", Language: "fr"},
		Personal: collection.Sealed{1}}, collection.AnyVersion)
	archiveDebtor := r.envelope(t, collection.ArchiveDebtor{ID: id}, collection.AnyVersion)
	r.produce(t, r.commandRecord(t, creditor), r.commandRecord(t, debtor), r.commandRecord(t, archiveDebtor))
	outs := r.outcome(t, creditor, debtor, archiveDebtor)
	checkAccepted(t, outs[0], 1)
	checkAccepted(t, outs[1], 1)
	checkAccepted(t, outs[2], 2)
	stop()

	// Rebuilt from a log holding both.
	r.decider(t, deciderOpts{txnID: "decider-a", group: "deciders"})
	update := r.envelope(t, updateCreditor(id, "BTP"), 1)
	updateDebtor := r.envelope(t, collection.UpdateDebtor{ID: id, Changes: collection.DebtorChanges{Language: ptr("ar")}}, collection.AnyVersion)
	r.produce(t, r.commandRecord(t, update), r.commandRecord(t, updateDebtor))
	outs = r.outcome(t, update, updateDebtor)
	checkAccepted(t, outs[0], 2)
	checkRejected(t, outs[1], collection.CodeArchived)
	checkLog(t, r.events(t))
}

// A command record must be keyed by its aggregate id: the key places it in
// the partition whose decider holds the aggregate's state.
func TestProcessorRejectsMiskeyedCommands(t *testing.T) {
	t.Parallel()
	r := newRig(t, 4)
	r.decider(t, deciderOpts{})
	id := newID()
	env := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	rec := r.commandRecord(t, env)
	rec.Key = []byte(newID())
	r.produce(t, rec)
	checkRejected(t, r.outcome(t, env)[0], collection.CodeInvalid)

	good := r.envelope(t, registerCreditor(id), collection.AnyVersion)
	r.produce(t, r.commandRecord(t, good))
	checkAccepted(t, r.outcome(t, good)[0], 1)
	checkLog(t, r.events(t))
}
