package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/projections"
)

// console is what a command-line tool needs to decide account commands:
// the infrastructure, a bus and the identity store.
//
// With the embedded default and no server running, the tool starts the
// broker itself, and nothing else would decide its commands or project
// them. It then runs a decider and the projections of its own for as long
// as it lives, in the same consumer groups as a server's, so the command
// is decided, and the account visible, before the tool returns. Next to a
// running server, or on external brokers, it leaves that to the servers:
// a second decider with their transactional id would fence theirs.
type console struct {
	in  *infra
	bus *events.Bus
	ids *identity.Service

	stop func() // the decider and projections, when the console runs them
}

// consoleOutcomeWait bounds the wait for a decider's outcome. A decider
// the console has just started joins its group and rebuilds its state
// first, which takes seconds, not the API's usual milliseconds.
const consoleOutcomeWait = time.Minute

func openConsole(ctx context.Context, cfg config, log *slog.Logger, sh share) (*console, error) {
	in, err := openInfra(ctx, cfg, log, infraNeeds{kafka: true, share: sh})
	if err != nil {
		return nil, err
	}
	c := &console{in: in, stop: func() {}}
	ok := false
	defer func() {
		if !ok {
			c.close()
		}
	}()
	if in.kafka != nil {
		if c.stop, err = runBackend(in, cfg, log); err != nil {
			return nil, err
		}
	}
	if c.bus, err = events.NewBus(ctx, events.BusConfig{Brokers: in.brokers, Logger: log, OutcomeTimeout: consoleOutcomeWait}); err != nil {
		return nil, err
	}
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.bus.Run(bctx); err != nil {
			log.Error("bus stopped", "err", err)
		}
	}()
	stopBackend := c.stop
	c.stop = func() { cancel(); c.bus.Close(); <-done; stopBackend() }
	if c.ids, err = identity.New(identity.Config{Pool: in.pool, Sealer: in.sealer, Keys: in.keys}); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// close stops what the console started, then the infrastructure.
func (c *console) close() {
	if c.stop != nil {
		c.stop()
	}
	c.in.close()
}

// runBackend runs a decider and the projections until the returned stop
// is called.
func runBackend(in *infra, cfg config, log *slog.Logger) (stop func(), err error) {
	proc, err := newDecider(in, cfg, log)
	if err != nil {
		return nil, err
	}
	runners, err := newRunners(in, log)
	if err != nil {
		proc.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{proc.Run, runners[0].Run, runners[1].Run} {
		wg.Go(func() {
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("background component stopped", "err", err)
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
		proc.Close()
		for _, r := range runners {
			r.Close()
		}
	}, nil
}

// newDecider is the decider of this instance (TAHSIL_INSTANCE_ID).
func newDecider(in *infra, cfg config, log *slog.Logger) (*events.Processor, error) {
	return events.NewProcessor(events.ProcessorConfig{
		Brokers: in.brokers, TransactionalID: "tahsil-decider-" + cfg.InstanceID,
		Registry: in.registry, Logger: log,
	})
}

// newRunners returns the projection runners of tahsil.events and of
// tahsil.outcomes, in that order.
func newRunners(in *infra, log *slog.Logger) ([]*projections.Runner, error) {
	evr, err := projections.NewRunner(projections.RunnerConfig{
		Brokers: in.brokers, Pool: in.pool, Projections: eventProjections(in), Registry: in.registry, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	outr, err := projections.NewRunner(projections.RunnerConfig{
		Brokers: in.brokers, Pool: in.pool, Topic: events.OutcomesTopic,
		Projections: []projections.Projection{projections.Outcomes{}}, Logger: log,
	})
	if err != nil {
		evr.Close()
		return nil, err
	}
	return []*projections.Runner{evr, outr}, nil
}

// operator is the actor of commands given on the command line: the
// system, and which login ran the tool, for the audit trail.
func operator(tool string) events.Actor {
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, _ := os.Hostname()
	return events.Actor{Role: "system", UserAgent: fmt.Sprintf("tahsil %s (%s@%s)", tool, who, host)}
}
