package bench

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Recorder collects named durations from the components under test, to
// say where a request's time goes.
type Recorder struct {
	mu     sync.Mutex
	ds     map[string][]time.Duration
	frozen bool
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{ds: map[string][]time.Duration{}} }

// Add records one duration under name.
func (r *Recorder) Add(name string, d time.Duration) {
	r.mu.Lock()
	if !r.frozen {
		r.ds[name] = append(r.ds[name], d)
	}
	r.mu.Unlock()
}

// Reset forgets everything recorded (after a warm-up) and records again.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.ds = map[string][]time.Duration{}
	r.frozen = false
	r.mu.Unlock()
}

// Freeze stops recording, keeping what was recorded.
func (r *Recorder) Freeze() {
	r.mu.Lock()
	r.frozen = true
	r.mu.Unlock()
}

// Stat is the summary of one name.
type Stat struct {
	Name  string
	Total time.Duration
	Latencies
}

// Stats summarises every name, sorted by name.
func (r *Recorder) Stats() []Stat {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Stat, 0, len(r.ds))
	for name, ds := range r.ds {
		var total time.Duration
		for _, d := range ds {
			total += d
		}
		out = append(out, Stat{Name: name, Total: total, Latencies: Summarise(ds)})
	}
	slices.SortFunc(out, func(a, b Stat) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Get returns the summary of one name.
func (r *Recorder) Get(name string) (Stat, bool) {
	for _, s := range r.Stats() {
		if s.Name == name {
			return s, true
		}
	}
	return Stat{}, false
}

// kafkaHooks records, for one client, the round trip of each Kafka request
// ("<prefix> Produce", "<prefix> EndTxn", …) and, for produced records,
// the time from buffering to acknowledgement ("<prefix> record ack").
type kafkaHooks struct {
	prefix string
	rec    *Recorder
}

// KafkaHooks returns the client option that records into rec.
func KafkaHooks(prefix string, rec *Recorder) kgo.Opt {
	return kgo.WithHooks(kafkaHooks{prefix: prefix, rec: rec})
}

func (h kafkaHooks) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	switch key {
	case 0, 24, 25, 26, 28: // Produce, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit
		if e2e.Err() == nil {
			h.rec.Add(h.prefix+" "+kmsg.NameForKey(key), e2e.DurationE2E())
		}
	}
}

func (h kafkaHooks) OnProduceRecordUnbuffered(r *kgo.Record, err error) {
	if err == nil && !r.Timestamp.IsZero() {
		h.rec.Add(h.prefix+" record ack", time.Since(r.Timestamp))
	}
}

// PGTracer records each query's duration under its sqlc name ("-- name:
// DebtorGet") or its first words, through pgx's tracer hook.
type PGTracer struct {
	Prefix string
	Rec    *Recorder
}

type traceKey struct{}

type traceStart struct {
	name string
	at   time.Time
}

// TraceQueryStart implements pgx.QueryTracer.
func (t PGTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{name: queryName(data.SQL), at: time.Now()})
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t PGTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.Rec.Add(t.Prefix+s.name, time.Since(s.at))
	}
}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (t PGTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{name: "COPY " + data.TableName.Sanitize(), at: time.Now()})
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (t PGTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromEndData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.Rec.Add(t.Prefix+s.name, time.Since(s.at))
	}
}

func queryName(sql string) string {
	sql = strings.TrimSpace(sql)
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		if i := strings.IndexAny(rest, " \n"); i > 0 {
			return rest[:i]
		}
		return rest
	}
	f := strings.Fields(sql)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.ToUpper(strings.Join(f, " "))
}
