package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicsConfig says how the three topics are created when missing.
type TopicsConfig struct {
	// Partitions of each topic (default 6). Commands, events and outcomes
	// must have the same count: partition i of each holds the same
	// aggregates. It cannot be changed once records exist without
	// re-keying the log.
	Partitions int32
	// ReplicationFactor of each topic; -1 (default) uses the broker's.
	ReplicationFactor int16
	// CommandRetention bounds how long a command waits for the decider.
	// Default 30 days.
	CommandRetention time.Duration
}

func (c *TopicsConfig) setDefaults() {
	if c.Partitions == 0 {
		c.Partitions = 6
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = -1
	}
	if c.CommandRetention == 0 {
		c.CommandRetention = 30 * 24 * time.Hour
	}
}

// Validate reports every problem of the configuration.
func (c TopicsConfig) Validate() error {
	var errs []error
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("partitions must be at least 1, got %d", c.Partitions))
	}
	if c.CommandRetention < time.Hour {
		errs = append(errs, fmt.Errorf("command retention must be at least an hour, got %s", c.CommandRetention))
	}
	return errors.Join(errs...)
}

// TopicConfigs returns the topic-level configuration of each topic. The
// events topic is the system of record: its retention is disabled. The
// outcomes topic outlives the commands one, so the decider remembers every
// command that could still be redelivered.
func (c TopicsConfig) TopicConfigs() map[string]map[string]*string {
	ms := func(d time.Duration) *string { s := strconv.FormatInt(d.Milliseconds(), 10); return &s }
	forever := "-1"
	return map[string]map[string]*string{
		EventsTopic:   {"retention.ms": &forever, "retention.bytes": &forever, "cleanup.policy": ptr("delete")},
		CommandsTopic: {"retention.ms": ms(c.CommandRetention)},
		OutcomesTopic: {"retention.ms": ms(c.CommandRetention + 5*24*time.Hour)},
	}
}

func ptr[T any](v T) *T { return &v }

// EnsureTopics creates the missing topics and checks that existing ones
// share one partition count and that the events topic keeps its records.
func EnsureTopics(ctx context.Context, cl *kgo.Client, cfg TopicsConfig) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	adm := kadm.NewClient(cl)
	for topic, configs := range cfg.TopicConfigs() {
		resp, err := adm.CreateTopic(ctx, cfg.Partitions, cfg.ReplicationFactor, configs, topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	details, err := adm.ListTopics(ctx, CommandsTopic, EventsTopic, OutcomesTopic)
	if err != nil {
		return fmt.Errorf("describe topics: %w", err)
	}
	counts := map[int]bool{}
	for _, t := range []string{CommandsTopic, EventsTopic, OutcomesTopic} {
		d, ok := details[t]
		if !ok || d.Err != nil {
			return fmt.Errorf("topic %s is missing after creation: %v", t, d.Err)
		}
		counts[len(d.Partitions)] = true
	}
	if len(counts) != 1 {
		return fmt.Errorf("topics %s, %s and %s must have the same partition count", CommandsTopic, EventsTopic, OutcomesTopic)
	}
	rc, err := adm.DescribeTopicConfigs(ctx, EventsTopic)
	if err != nil {
		return fmt.Errorf("describe %s configs: %w", EventsTopic, err)
	}
	for _, r := range rc {
		for _, c := range r.Configs {
			if c.Value == nil {
				continue
			}
			switch {
			case (c.Key == "retention.ms" || c.Key == "retention.bytes") && *c.Value != "-1":
				return fmt.Errorf("topic %s has %s=%s: the system of record must keep its events (set -1)", EventsTopic, c.Key, *c.Value)
			case c.Key == "cleanup.policy" && strings.Contains(*c.Value, "compact"):
				// Every event of an aggregate has the same key: compaction
				// would keep only the last one.
				return fmt.Errorf("topic %s has cleanup.policy=%s: the system of record must not be compacted (set delete)", EventsTopic, *c.Value)
			}
		}
	}
	return nil
}

// PartitionCount returns the partition count of the events topic.
func PartitionCount(ctx context.Context, cl *kgo.Client) (int32, error) {
	details, err := kadm.NewClient(cl).ListTopics(ctx, EventsTopic)
	if err != nil {
		return 0, err
	}
	d, ok := details[EventsTopic]
	if !ok || d.Err != nil {
		return 0, fmt.Errorf("topic %s: %v", EventsTopic, d.Err)
	}
	return int32(len(d.Partitions)), nil
}
