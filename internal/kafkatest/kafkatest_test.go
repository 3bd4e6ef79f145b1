package kafkatest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/embedded"
	"github.com/adc-dz/tahsil/internal/kafkatest"
)

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.FetchMaxWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func createTopic(t *testing.T, cl *kgo.Client, topic string) {
	t.Helper()
	resp, err := kadm.NewClient(cl).CreateTopic(t.Context(), -1, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if resp.NumPartitions != embedded.DefaultKafkaPartitions {
		t.Errorf("topic %s has %d partitions, want %d", topic, resp.NumPartitions, embedded.DefaultKafkaPartitions)
	}
}

func poll(t *testing.T, cl *kgo.Client, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var vals []string
	for len(vals) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("got %v, want %d records", vals, n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) { vals = append(vals, string(r.Value)) })
	}
	return vals
}

func TestBrokerIsPrivateAndTransactional(t *testing.T) {
	t.Parallel()
	a, b := kafkatest.Broker(t), kafkatest.Broker(t)
	if a == b {
		t.Fatalf("two tests share broker %s", a)
	}
	const topic = "tahsil.events"
	createTopic(t, client(t, a), topic)
	createTopic(t, client(t, b), topic) // the same name, elsewhere

	txn := client(t, a, kgo.TransactionalID("decider"), kgo.DefaultProduceTopic(topic))
	for _, v := range []string{"aborted", "committed"} {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := txn.ProduceSync(t.Context(), &kgo.Record{Key: []byte("debt-1"), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := txn.EndTransaction(t.Context(), kgo.TransactionEndTry(v == "committed")); err != nil {
			t.Fatal(err)
		}
	}
	cons := client(t, a, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := poll(t, cons, 1); got[0] != "committed" {
		t.Errorf("read committed got %v", got)
	}
}

func TestPersistentBrokerRestart(t *testing.T) {
	t.Parallel()
	addr, restart := kafkatest.PersistentBroker(t, t.TempDir())
	const topic, group = "tahsil.commands", "decider"
	prod := client(t, addr, kgo.DefaultProduceTopic(topic))
	createTopic(t, prod, topic)
	for i := range 4 {
		if err := prod.ProduceSync(t.Context(), &kgo.Record{Key: []byte("k"), Value: fmt.Appendf(nil, "%d", i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cons := client(t, addr, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	poll(t, cons, 4)
	if err := cons.CommitUncommittedOffsets(t.Context()); err != nil {
		t.Fatalf("commit: %v", err)
	}
	cons.Close()

	if got := restart(); got != addr {
		t.Logf("broker moved from %s to %s", addr, got)
		addr = got
	}

	// The producer that lived through the restart reconnects by itself.
	if err := prod.ProduceSync(t.Context(), &kgo.Record{Key: []byte("k"), Value: []byte("after")}).FirstErr(); err != nil {
		t.Fatalf("produce after restart: %v", err)
	}
	cons = client(t, addr, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := poll(t, cons, 1); got[0] != "after" {
		t.Errorf("group resumed at %v, want only the record produced after its commit", got)
	}
}
