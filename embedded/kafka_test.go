package embedded_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/embedded"
)

// quietLogger discards the servers' logs unless TAHSIL_TEST_LOG is set.
func quietLogger() *slog.Logger {
	if os.Getenv("TAHSIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func startKafka(t testing.TB, dir string) *embedded.Kafka {
	t.Helper()
	k, err := embedded.StartKafka(t.Context(), embedded.KafkaConfig{
		Addr:    "127.0.0.1:0",
		DataDir: dir,
		Logger:  quietLogger(),
	})
	if err != nil {
		t.Fatalf("start kafka: %v", err)
	}
	t.Cleanup(k.Close)
	return k
}

func newClient(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func TestKafkaConfigValidate(t *testing.T) {
	t.Parallel()
	cfg := embedded.KafkaConfig{Addr: "0.0.0.0:9092", Partitions: -1}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"data dir is required", "partitions must be at least 1", "host must be an address clients can dial"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestKafkaPersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	const topic, group = "tahsil.events", "projections"

	k := startKafka(t, dir)
	if !strings.HasPrefix(k.Addr(), "127.0.0.1:") || strings.HasSuffix(k.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want the real loopback address", k.Addr())
	}
	cl := newClient(t, k.Addr())
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, -1, -1, map[string]*string{"retention.ms": new("-1")}, topic); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	for i := range 3 {
		rec := &kgo.Record{Topic: topic, Key: []byte("debt-1"), Value: fmt.Appendf(nil, "event %d", i)}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	// All records share a key, so they sit in one partition at offsets 0..2.
	part := partitionOf(t, adm, topic)
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: topic, Partition: part, At: 2, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, group, commit); err != nil {
		t.Fatalf("commit offsets: %v", err)
	}
	cl.Close()
	k.Close()

	k = startKafka(t, dir)
	cl = newClient(t, k.Addr())
	adm = kadm.NewClient(cl)

	details, err := adm.ListTopics(ctx, topic)
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	if n := len(details[topic].Partitions); n != embedded.DefaultKafkaPartitions {
		t.Errorf("topic has %d partitions after restart, want %d", n, embedded.DefaultKafkaPartitions)
	}
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets: %v", err)
	}
	if got, ok := offs.Lookup(topic, part); !ok || got.At != 2 {
		t.Errorf("committed offset after restart = %+v (found %v), want 2", got, ok)
	}

	cons := newClient(t, k.Addr(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {part: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxWait(100*time.Millisecond))
	got := pollN(t, cons, 3)
	for i, r := range got {
		if want := fmt.Sprintf("event %d", i); string(r.Value) != want {
			t.Errorf("record %d = %q, want %q", i, r.Value, want)
		}
	}
}

func TestKafkaTransactionsAndBrokerConfig(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	k := startKafka(t, t.TempDir())
	const topic = "tahsil.outcomes"

	adm := kadm.NewClient(newClient(t, k.Addr()))
	if _, err := adm.CreateTopic(ctx, -1, -1, nil, topic); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	cfgs, err := adm.DescribeBrokerConfigs(ctx)
	if err != nil {
		t.Fatalf("describe broker configs: %v", err)
	}
	var retention string
	for _, rc := range cfgs {
		for _, c := range rc.Configs {
			if c.Key == "offsets.retention.minutes" {
				retention = c.MaybeValue()
			}
		}
	}
	if retention != "5256000" {
		t.Errorf("offsets.retention.minutes = %q, want 5256000 (ten years)", retention)
	}

	txn := newClient(t, k.Addr(), kgo.TransactionalID("decider-test"), kgo.DefaultProduceTopic(topic))
	for _, commit := range []kgo.TransactionEndTry{kgo.TryAbort, kgo.TryCommit} {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatalf("begin transaction: %v", err)
		}
		val := "aborted"
		if commit {
			val = "committed"
		}
		if err := txn.ProduceSync(ctx, &kgo.Record{Key: []byte("k"), Value: []byte(val)}).FirstErr(); err != nil {
			t.Fatalf("produce in transaction: %v", err)
		}
		if err := txn.EndTransaction(ctx, commit); err != nil {
			t.Fatalf("end transaction: %v", err)
		}
	}
	cons := newClient(t, k.Addr(), kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	got := pollN(t, cons, 1)
	if string(got[0].Value) != "committed" {
		t.Errorf("read_committed consumer saw %q, want only the committed record", got[0].Value)
	}
}

func TestKafkaDataDirIsExclusive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startKafka(t, dir)
	_, err := embedded.StartKafka(t.Context(), embedded.KafkaConfig{Addr: "127.0.0.1:0", DataDir: dir, Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second broker on the same dir: err = %v, want in use", err)
	}
}

func partitionOf(t testing.TB, adm *kadm.Client, topic string) int32 {
	t.Helper()
	ends, err := adm.ListEndOffsets(t.Context(), topic)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	part := int32(-1)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			part = o.Partition
		}
	})
	if part < 0 {
		t.Fatal("no partition holds records")
	}
	return part
}

func pollN(t testing.TB, cl *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("got %d of %d records before timeout", len(recs), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		recs = append(recs, fs.Records()...)
	}
	return recs
}

// BenchmarkKafkaProduce measures what SyncWrites costs; the results are
// quoted in StartKafka's doc comment. "sync" waits for each record's ack, as
// the API's bus does for one command (the worst case for fsync); "async"
// lets the client batch, as a bulk import does.
func BenchmarkKafkaProduce(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		for _, async := range []bool{false, true} {
			b.Run(fmt.Sprintf("nosync=%v/async=%v", noSync, async), func(b *testing.B) {
				k, err := embedded.StartKafka(b.Context(), embedded.KafkaConfig{
					Addr: "127.0.0.1:0", DataDir: b.TempDir(), NoSync: noSync, Logger: quietLogger(),
				})
				if err != nil {
					b.Fatal(err)
				}
				defer k.Close()
				cl := newClient(b, k.Addr(), kgo.DefaultProduceTopic("bench"))
				if _, err := kadm.NewClient(cl).CreateTopic(b.Context(), 1, -1, nil, "bench"); err != nil {
					b.Fatal(err)
				}
				val := make([]byte, 1024)
				fail := func(_ *kgo.Record, err error) {
					if err != nil {
						b.Error(err)
					}
				}
				b.SetBytes(int64(len(val)))
				for b.Loop() {
					if async {
						cl.Produce(b.Context(), &kgo.Record{Value: val}, fail)
						continue
					}
					if err := cl.ProduceSync(b.Context(), &kgo.Record{Value: val}).FirstErr(); err != nil {
						b.Fatal(err)
					}
				}
				if err := cl.Flush(b.Context()); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
