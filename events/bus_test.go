package events_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/kafkatest"
)

func waitRecent(t *testing.T, bus *events.Bus, id string) *events.Outcome {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if o, ok := bus.Recent(id); ok {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bus never saw the outcome of %s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBusSubmitIsPendingWithoutDecider(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	bus := r.bus(t, 300*time.Millisecond)
	ctx := t.Context()
	env := r.envelope(t, registerCreditor(newID()), collection.AnyVersion)
	start := time.Now()
	o, err := bus.Submit(ctx, env)
	if !errors.Is(err, events.ErrPending) || o != nil {
		t.Fatalf("Submit with no decider = %+v, %v; want ErrPending", o, err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("Submit gave up after %v, want the 300ms outcome timeout", took)
	}
	if _, ok := bus.Recent(env.ID); ok {
		t.Error("Recent knows an outcome nobody decided")
	}
	// The command is in the log nonetheless, waiting for a decider.
	cmds := r.readAll(t, events.CommandsTopic)
	if len(cmds) != 1 || string(cmds[0].Key) != env.Aggregate.ID {
		t.Fatalf("commands topic holds %d records, want the submitted one", len(cmds))
	}
	if got, err := events.ParseCommand(cmds[0].Value); err != nil || !reflect.DeepEqual(got, env) {
		t.Errorf("command in the log = %+v, %v; want %+v", got, err, env)
	}

	// The caller's deadline bounds the wait too.
	patient := r.bus(t, time.Minute)
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	other := r.envelope(t, registerCreditor(newID()), collection.AnyVersion)
	if _, err := patient.Submit(short, other); !errors.Is(err, events.ErrPending) {
		t.Errorf("Submit past the caller's deadline: %v, want ErrPending", err)
	}

	// Once a decider runs, both are decided and the buses learn it.
	r.decider(t, deciderOpts{})
	checkAccepted(t, waitRecent(t, bus, env.ID), 1)
	checkAccepted(t, waitRecent(t, patient, other.ID), 1)
	checkAccepted(t, waitRecent(t, patient, env.ID), 1)
	third := r.envelope(t, registerCreditor(newID()), collection.AnyVersion)
	if o, err := patient.Submit(ctx, third); err != nil {
		t.Errorf("Submit with a decider: %v", err)
	} else {
		checkAccepted(t, o, 1)
	}
}

func TestBusSameCommandTwice(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2)
	r.decider(t, deciderOpts{})
	bus := r.bus(t, 15*time.Second)
	ctx := t.Context()
	env := r.envelope(t, registerCreditor(newID()), collection.AnyVersion)

	// An Idempotency-Key retry arriving while the first request waits.
	outs := make([]*events.Outcome, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			o, err := bus.Submit(ctx, env)
			if err != nil {
				t.Errorf("Submit %d: %v", i, err)
			}
			outs[i] = o
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	checkAccepted(t, outs[0], 1)
	sameOutcome(t, outs[1], outs[0])

	// A retry after the answer: the decider answers it again, identically.
	o, err := bus.Submit(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	sameOutcome(t, o, outs[0])
	byCommand := checkLog(t, r.events(t))
	if len(byCommand[env.ID]) != 1 {
		t.Errorf("the command has %d events, want 1", len(byCommand[env.ID]))
	}
}

func TestNewBusNeedsTheOutcomesTopic(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := events.NewBus(ctx, events.BusConfig{}); err == nil {
		t.Error("NewBus without brokers succeeded")
	}
	if b, err := events.NewBus(ctx, events.BusConfig{Brokers: []string{kafkatest.Broker(t)}}); err == nil {
		b.Close()
		t.Error("NewBus on a broker without the outcomes topic succeeded")
	}
}
