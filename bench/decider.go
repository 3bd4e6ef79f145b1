package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// DeciderConfig configures the decider scenario.
type DeciderConfig struct {
	// Commands is the number of RegisterDebtor commands, one aggregate
	// each (default 200,000).
	Commands int
}

// Decider target.
const deciderTargetRate = 20_000.0

// RunDecider pre-produces commands to tahsil.commands, then times one
// events.Processor deciding them all, measures the memory it holds per
// aggregate, and times a second processor rebuilding that state on
// assignment.
func RunDecider(ctx context.Context, env *Env, cfg DeciderConfig) (*Section, error) {
	if cfg.Commands == 0 {
		cfg.Commands = 200_000
	}
	n := cfg.Commands
	broker, err := env.Broker(ctx, "decider")
	if err != nil {
		return nil, err
	}
	defer broker.Close()
	brokers := []string{broker.Addr()}
	reg := events.NewRegistry()

	start := time.Now()
	if err := produceCommands(ctx, brokers, reg, n); err != nil {
		return nil, fmt.Errorf("produce commands: %w", err)
	}
	env.Say("decider: commands written", "commands", n, "took", time.Since(start).Round(time.Millisecond))
	produceTook := time.Since(start)

	// First processor: decide everything.
	rec := NewRecorder()
	assigned := &assignLog{}
	log := slog.New(assigned.wrap(env.Log.Handler()))
	first, err := runProcessor(ctx, env, brokers, reg, rec, log, "decide", func(p *events.Processor) bool {
		d, _, _ := p.Stats()
		return d >= uint64(n)
	})
	if err != nil {
		return nil, err
	}
	perSec := float64(n) / first.untilDone.Seconds()
	steady := float64(uint64(n)-first.decidedAtFirst) / (first.untilDone - first.untilFirst).Seconds()
	env.Say("decider: decided", "commands", n, "took", first.untilDone.Round(time.Millisecond), "per_second", int(perSec))

	// Second processor on the same topics: rebuild on assignment.
	assigned.reset()
	second, err := runProcessor(ctx, env, brokers, reg, nil, log, "rebuild", func(p *events.Processor) bool {
		_, rebuilds, aggs := p.Stats()
		return rebuilds >= 1 && aggs >= n
	})
	if err != nil {
		return nil, err
	}
	rebuildTook := assigned.took()

	s := &Section{
		Title: "3. Decider throughput, memory and state rebuild",
		Lead: fmt.Sprintf("%s RegisterDebtor commands (one new debtor each, a small fake sealed personal part that the "+
			"decider never opens) written beforehand to tahsil.commands (%d partitions) by a batching producer keyed "+
			"as the bus keys them. Then one events.Processor, configured as `tahsil serve` configures it (MaxBatch "+
			"2,000, one Kafka transaction per batch: events, outcomes, command offsets), decides them all; the time "+
			"runs from Run until Stats reports every command decided. A second processor then joins the same group "+
			"and rebuilds the state of every partition from tahsil.events and tahsil.outcomes.",
			thousands(int64(n)), env.Partitions),
	}
	t := Table{Header: []string{"what", "commands", "time", "commands/s"}}
	t.Rows = append(t.Rows,
		[]string{"writing the commands (batching producer, not the decider)", thousands(int64(n)), secs(produceTook), rate(float64(n) / produceTook.Seconds())},
		[]string{"decider: Run → all decided (group join and first assignment included)", thousands(int64(n)), secs(first.untilDone), rate(perSec)},
		[]string{"decider: first commit → all decided (steady state)", thousands(int64(uint64(n) - first.decidedAtFirst)), secs(first.untilDone - first.untilFirst), rate(steady)},
	)
	s.Tables = append(s.Tables, t)

	m := Table{Title: "Memory the decider holds (heap released when the processor is closed, after GC)",
		Header: []string{"processor", "aggregates", "heap held", "per aggregate", "per 100,000 aggregates"}}
	for _, r := range []procRun{first, second} {
		per := r.heapHeld / float64(max(1, r.aggregates))
		m.Rows = append(m.Rows, []string{r.label, thousands(int64(r.aggregates)), mib(r.heapHeld), fmt.Sprintf("%.0f B", per), mib(per * 100_000)})
	}
	s.Tables = append(s.Tables, m)

	rb := Table{Header: []string{"state rebuild on assignment", "aggregates", "records read", "time", "records/s"}}
	records := 2 * n // one event and one outcome per command
	rb.Rows = append(rb.Rows, []string{fmt.Sprintf("all %d partitions, from tahsil.events and tahsil.outcomes", env.Partitions),
		thousands(int64(second.aggregates)), thousands(int64(records)), secs(rebuildTook), rate(float64(records) / rebuildTook.Seconds())})
	rb.Rows = append(rb.Rows, []string{"second processor: Run → ready (group join included)", thousands(int64(second.aggregates)), "", secs(second.untilDone), ""})
	s.Tables = append(s.Tables, rb)

	s.Checks = append(s.Checks, Check{Target: "decider ≥ 20,000 commands/s (one instance)", Pass: perSec >= deciderTargetRate,
		Measured: fmt.Sprintf("%s commands/s (%s in steady state)", rate(perSec), rate(steady))})

	if txn, ok := rec.Get("decider EndTxn"); ok && txn.N > 0 {
		kt := Table{Title: "Kafka requests of the deciding processor", Header: []string{"request", "count", "per transaction", "mean", "p99"}}
		for _, st := range rec.Stats() {
			if strings.HasPrefix(st.Name, "decider ") && !strings.HasSuffix(st.Name, "record ack") {
				kt.Rows = append(kt.Rows, []string{strings.TrimPrefix(st.Name, "decider "), fmt.Sprint(st.N),
					fmt.Sprintf("%.1f", float64(st.N)/float64(txn.N)), ms(st.Mean), ms(st.P99)})
			}
		}
		s.Tables = append(s.Tables, kt)
		s.Notes = append(s.Notes, fmt.Sprintf("One transaction per %s commands on average, %s of wall time each: decoding and deciding "+
			"the batch, then producing its events, then its outcomes (they carry the events' offsets), then the offset commit and "+
			"EndTxn, one after the other, each acknowledged by the broker after its fsync.",
			thousands(int64(float64(n)/float64(txn.N))), ms((first.untilDone-first.untilFirst)/time.Duration(max(1, txn.N-1)))))
	}
	s.Notes = append(s.Notes,
		"The memory per aggregate includes the outcome the decider keeps for every command id it has seen (to answer a redelivered command with its first outcome): here one command per aggregate, so one outcome each. It grows with commands, not aggregates, until snapshots or a bounded memory of command ids exist.",
		"The broker runs in the same process and shares the heap, so memory is measured as what the processor releases on Close, not as the heap's growth.")
	return s, nil
}

// produceCommands writes n RegisterDebtor commands as the bus does.
func produceCommands(ctx context.Context, brokers []string, reg *events.Registry, n int) error {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)), // the bus's
		kgo.MaxBufferedRecords(50_000),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	var mu sync.Mutex
	var perr error
	issued := time.Now().UTC()
	actor := events.Actor{Role: "anonymous", IP: "127.0.0.1", UserAgent: "tahsil-bench"}
	for i := range n {
		id := uuid.Must(uuid.NewV7()).String()
		fake := make([]byte, 160) // about the size of a sealed debtor personal part
		rand.Read(fake)
		in := Debtor(int64(200_000_000 + i))
		cmd := collection.RegisterDebtor{ID: id, Ref: Ref(int64(i)), Personal: fake, Profile: collection.DebtorProfile{
			Kind: collection.DebtorPerson, Wilaya: in.Wilaya, PreferredChannel: "sms", Language: in.Language}}
		typ, v, data, err := reg.Encode(cmd)
		if err != nil {
			return err
		}
		rec, err := events.CommandRecord(&events.CommandEnvelope{
			ID: uuid.Must(uuid.NewV7()).String(), Type: typ, V: v,
			Aggregate:       events.AggregateRef{Type: collection.DebtorAggregate, ID: id},
			ExpectedVersion: collection.AnyVersion, IssuedAt: issued, Actor: actor,
			CorrelationID: uuid.Must(uuid.NewV7()).String(), Data: data, Personal: fake,
		})
		if err != nil {
			return err
		}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
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
	return perr
}

// procRun is what one processor run measured.
type procRun struct {
	label          string
	untilFirst     time.Duration // Run → first commit
	decidedAtFirst uint64
	untilDone      time.Duration // Run → done
	aggregates     int
	heapHeld       float64
}

// runProcessor runs a processor until done says so, then measures the heap
// it holds as what its Close releases.
func runProcessor(ctx context.Context, env *Env, brokers []string, reg *events.Registry, rec *Recorder, log *slog.Logger, label string, done func(*events.Processor) bool) (procRun, error) {
	var opts []kgo.Opt
	if rec != nil {
		opts = append(opts, KafkaHooks("decider", rec))
	}
	p, err := events.NewProcessor(events.ProcessorConfig{
		Brokers: brokers, TransactionalID: "tahsil-decider-bench", Registry: reg, Logger: log, ClientOpts: opts,
	})
	if err != nil {
		return procRun{}, err
	}
	closed := false
	defer func() {
		if !closed {
			p.Close()
		}
	}()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	r := procRun{label: label}
	start := time.Now()
	go func() { runErr <- p.Run(rctx) }()
	lastSay := time.Now()
	deadline := start.Add(10 * time.Minute)
	for !done(p) {
		select {
		case err := <-runErr:
			return r, fmt.Errorf("processor stopped: %v", err)
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if d, _, _ := p.Stats(); d > 0 && r.untilFirst == 0 {
			r.untilFirst, r.decidedAtFirst = time.Since(start), d
		}
		if time.Since(lastSay) > 5*time.Second {
			d, _, a := p.Stats()
			env.Say("decider: "+label, "decided", d, "aggregates", a)
			lastSay = time.Now()
		}
		if time.Now().After(deadline) {
			return r, errors.New("processor did not finish within 10 minutes")
		}
	}
	r.untilDone = time.Since(start)
	_, _, r.aggregates = p.Stats()

	held := heapAfterGC()
	cancel()
	<-runErr
	p.Close()
	closed = true
	p = nil
	released := heapAfterGC()
	r.heapHeld = max(0, held-released)
	switch label {
	case "decide":
		r.label = "after deciding every command"
	case "rebuild":
		r.label = "after rebuilding on assignment"
	}
	return r, nil
}

func heapAfterGC() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc)
}

// assignLog catches the processor's "partitions assigned" log record to
// read how long the state rebuild took.
type assignLog struct {
	mu sync.Mutex
	d  time.Duration
}

func (a *assignLog) reset() { a.mu.Lock(); a.d = 0; a.mu.Unlock() }

func (a *assignLog) took() time.Duration { a.mu.Lock(); defer a.mu.Unlock(); return a.d }

func (a *assignLog) wrap(h slog.Handler) slog.Handler { return assignHandler{h, a} }

type assignHandler struct {
	slog.Handler
	a *assignLog
}

func (h assignHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l == slog.LevelInfo || h.Handler.Enabled(ctx, l)
}

func (h assignHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "decider: partitions assigned" {
		r.Attrs(func(at slog.Attr) bool {
			if at.Key == "took" {
				if d, ok := at.Value.Any().(time.Duration); ok {
					h.a.mu.Lock()
					h.a.d += d
					h.a.mu.Unlock()
				}
			}
			return true
		})
	}
	if h.Handler.Enabled(ctx, r.Level) {
		return h.Handler.Handle(ctx, r)
	}
	return nil
}

func (h assignHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return assignHandler{h.Handler.WithAttrs(as), h.a}
}

func (h assignHandler) WithGroup(name string) slog.Handler {
	return assignHandler{h.Handler.WithGroup(name), h.a}
}
