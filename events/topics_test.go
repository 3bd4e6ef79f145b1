package events_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/kafkatest"
)

func adminClient(t *testing.T) (*kgo.Client, *kadm.Client) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafkatest.Broker(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

func topicConfig(t *testing.T, adm *kadm.Client, topic, key string) string {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(t.Context(), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("configs of %s: %v %v", topic, err, rc.Err)
	}
	for _, c := range rc.Configs {
		if c.Key == key && c.Value != nil {
			return *c.Value
		}
	}
	t.Fatalf("topic %s has no %s", topic, key)
	return ""
}

func TestEnsureTopicsCreatesTheLog(t *testing.T) {
	t.Parallel()
	cl, adm := adminClient(t)
	cfg := events.TopicsConfig{Partitions: 4, CommandRetention: 48 * time.Hour}
	for range 2 { // the second run finds everything in place
		if err := events.EnsureTopics(t.Context(), cl, cfg); err != nil {
			t.Fatalf("EnsureTopics: %v", err)
		}
	}
	details, err := adm.ListTopics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{events.CommandsTopic, events.EventsTopic, events.OutcomesTopic} {
		if d, ok := details[topic]; !ok || len(d.Partitions) != 4 {
			t.Errorf("topic %s: %+v, want 4 partitions", topic, d)
		}
	}
	if n, err := events.PartitionCount(t.Context(), cl); err != nil || n != 4 {
		t.Errorf("PartitionCount = %d, %v; want 4", n, err)
	}
	for _, c := range []struct{ topic, key, want string }{
		{events.EventsTopic, "retention.ms", "-1"},
		{events.EventsTopic, "retention.bytes", "-1"},
		{events.EventsTopic, "cleanup.policy", "delete"},
		{events.CommandsTopic, "retention.ms", strconv.FormatInt((48 * time.Hour).Milliseconds(), 10)},
		// Outcomes outlive the commands that could still be redelivered.
		{events.OutcomesTopic, "retention.ms", strconv.FormatInt((48*time.Hour + 5*24*time.Hour).Milliseconds(), 10)},
	} {
		if got := topicConfig(t, adm, c.topic, c.key); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.topic, c.key, got, c.want)
		}
	}
}

func TestEnsureTopicsDefaults(t *testing.T) {
	t.Parallel()
	cl, adm := adminClient(t)
	if err := events.EnsureTopics(t.Context(), cl, events.TopicsConfig{}); err != nil {
		t.Fatal(err)
	}
	if n, err := events.PartitionCount(t.Context(), cl); err != nil || n != 6 {
		t.Errorf("default partition count %d, %v; want 6", n, err)
	}
	if got := topicConfig(t, adm, events.CommandsTopic, "retention.ms"); got != strconv.FormatInt((30*24*time.Hour).Milliseconds(), 10) {
		t.Errorf("default command retention %s ms, want 30 days", got)
	}
}

func TestEnsureTopicsRefusesAnEventsTopicThatForgets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		configs map[string]*string
		want    string
	}{
		{"finite retention", map[string]*string{"retention.ms": ptr("86400000")}, "retention.ms=86400000"},
		// A topic created by hand gets the broker's default: 7 days.
		{"broker default retention", nil, "retention.ms=604800000"},
		{"bounded size", map[string]*string{"retention.ms": ptr("-1"), "retention.bytes": ptr("1073741824")}, "retention.bytes=1073741824"},
		// Compaction keeps only an aggregate's last event.
		{"compacted", map[string]*string{"retention.ms": ptr("-1"), "cleanup.policy": ptr("compact")}, "cleanup.policy=compact"},
		{"compacted and deleted", map[string]*string{"retention.ms": ptr("-1"), "cleanup.policy": ptr("compact,delete")}, "cleanup.policy=compact,delete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl, adm := adminClient(t)
			if _, err := adm.CreateTopic(t.Context(), 3, -1, tc.configs, events.EventsTopic); err != nil {
				t.Fatal(err)
			}
			err := events.EnsureTopics(t.Context(), cl, events.TopicsConfig{Partitions: 3})
			if err == nil || !strings.Contains(err.Error(), events.EventsTopic) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("EnsureTopics over an events topic with %v: %v; want an error naming %s", tc.configs, err, tc.want)
			}
		})
	}
}

func TestEnsureTopicsRefusesMismatchedPartitions(t *testing.T) {
	t.Parallel()
	cl, adm := adminClient(t)
	if _, err := adm.CreateTopic(t.Context(), 2, -1, nil, events.CommandsTopic); err != nil {
		t.Fatal(err)
	}
	err := events.EnsureTopics(t.Context(), cl, events.TopicsConfig{Partitions: 3})
	if err == nil || !strings.Contains(err.Error(), "same partition count") {
		t.Errorf("EnsureTopics with 2 command partitions and 3 others: %v", err)
	}
}

func TestTopicsConfigValidate(t *testing.T) {
	t.Parallel()
	err := events.TopicsConfig{Partitions: -1, CommandRetention: time.Minute}.Validate()
	if err == nil || !strings.Contains(err.Error(), "partitions") || !strings.Contains(err.Error(), "retention") {
		t.Errorf("Validate = %v; want both problems at once", err)
	}
	if err := (events.TopicsConfig{Partitions: 1, CommandRetention: time.Hour}).Validate(); err != nil {
		t.Errorf("Validate of a good config: %v", err)
	}
	cl, _ := adminClient(t)
	if err := events.EnsureTopics(t.Context(), cl, events.TopicsConfig{Partitions: -2}); err == nil {
		t.Error("EnsureTopics accepted -2 partitions")
	}
}
