// Package kafkatest starts Kafka brokers for tests: franz-go's in-process
// kfake, which speaks the real protocol (groups, transactions, read
// committed), so tests use the same kgo clients as production.
//
// Each test gets a broker of its own, so tests can run in parallel and reuse
// topic and group names. Like a real cluster, the brokers do not create
// topics on first use: tests create the topics they need, as Tahsil does at
// start.
package kafkatest

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/adc-dz/tahsil/embedded"
)

// Broker starts an in-memory single-broker cluster on 127.0.0.1 for t and
// returns its seed address. Topics created with no partition count get
// [embedded.DefaultKafkaPartitions], as under `tahsil serve`. The broker
// is closed when t ends.
func Broker(t testing.TB) string {
	t.Helper()
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ClusterID("tahsil-test"),
		kfake.DefaultNumPartitions(embedded.DefaultKafkaPartitions),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, "127.0.0.1:0")
		}),
	)
	if err != nil {
		t.Fatalf("kafkatest: start broker: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// PersistentBroker starts the embedded broker of `tahsil serve`, persisted
// in dir, and returns its address and a restart function for crash and
// restart tests. restart closes the broker, which writes its state as an
// orderly shutdown does, starts it again on the same directory and returns
// its address: the same one when the port can be bound again, so that
// clients reconnect by themselves, else a new one. The broker is closed
// when t ends.
func PersistentBroker(t testing.TB, dir string) (addr string, restart func() string) {
	t.Helper()
	var (
		mu sync.Mutex
		k  *embedded.Kafka
	)
	start := func(addr string) (*embedded.Kafka, error) {
		return embedded.StartKafka(context.Background(), embedded.KafkaConfig{
			Addr:    addr,
			DataDir: dir,
			// Durability against OS crashes is not under test.
			NoSync: true,
			Logger: testLogger(),
		})
	}
	k, err := start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("kafkatest: start persistent broker: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		k.Close()
	})
	restart = func() string {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		old := k.Addr()
		k.Close()
		next, err := start(old)
		if err != nil {
			t.Logf("kafkatest: restart on %s failed (%v); trying a new port", old, err)
			if next, err = start("127.0.0.1:0"); err != nil {
				t.Fatalf("kafkatest: restart persistent broker in %s: %v", filepath.Clean(dir), err)
			}
		}
		k = next
		return k.Addr()
	}
	return k.Addr(), restart
}

func testLogger() *slog.Logger {
	if os.Getenv("TAHSIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
