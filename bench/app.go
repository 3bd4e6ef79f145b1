package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/blobstore"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/internal/signin"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/projections"
)

// Tahsil is a whole Tahsil wired as `tahsil serve` wires it (decider,
// projection runners of tahsil.events and tahsil.outcomes, progress, bus,
// REST API on an HTTP server of its own) over a given database and broker.
// The bus and the progress handed to the API are wrapped to record how
// long a request waits for its outcome and for the projections.
type Tahsil struct {
	URL string
	// Token is an agent's session: load clients send it.
	Token     string
	Processor *events.Processor
	Runners   []*projections.Runner

	srv    *http.Server
	cancel context.CancelFunc
	g      *errgroup.Group
	closes []func()
}

// StartTahsil starts the components; Close stops them in reverse order.
func StartTahsil(ctx context.Context, pool *pgxpool.Pool, brokers []string, log *slog.Logger, rec *Recorder) (_ *Tahsil, err error) {
	reg := events.NewRegistry()
	master := make([]byte, keyring.KeySize)
	rand.Read(master)
	keys, err := keyring.New(pool, master, 200_000) // as cmd/tahsil's openInfra
	if err != nil {
		return nil, err
	}
	sealer := events.NewSealer(keys)
	personal := struct {
		*events.Sealer
		*keyring.Keyring
	}{sealer, keys}
	eventProjections := projections.ForEvents(personal)

	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g, gctx := errgroup.WithContext(rctx)
	t := &Tahsil{cancel: cancel, g: g}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()

	proc, err := events.NewProcessor(events.ProcessorConfig{
		Brokers: brokers, TransactionalID: "tahsil-decider-bench", Registry: reg, Logger: log,
		ClientOpts: hooks("decider", rec),
	})
	if err != nil {
		return nil, err
	}
	t.Processor = proc
	t.closes = append(t.closes, proc.Close)
	g.Go(func() error { return proc.Run(gctx) })

	evr, err := projections.NewRunner(projections.RunnerConfig{
		Brokers: brokers, Pool: pool, Projections: eventProjections, Registry: reg, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	t.closes = append(t.closes, evr.Close)
	outr, err := projections.NewRunner(projections.RunnerConfig{
		Brokers: brokers, Pool: pool, Topic: events.OutcomesTopic,
		Projections: []projections.Projection{projections.Outcomes{}}, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	t.closes = append(t.closes, outr.Close)
	t.Runners = []*projections.Runner{evr, outr}
	for _, r := range t.Runners {
		g.Go(func() error { return r.Run(gctx) })
	}

	progress := projections.NewProgress(pool, evr.Names(), log)
	g.Go(func() error { return progress.Run(gctx) })
	bus, err := events.NewBus(ctx, events.BusConfig{Brokers: brokers, Logger: log, ClientOpts: hooks("bus", rec)})
	if err != nil {
		return nil, err
	}
	t.closes = append(t.closes, bus.Close)
	g.Go(func() error { return bus.Run(gctx) })

	claimKey := make([]byte, 32)
	rand.Read(claimKey)
	ids, err := identity.New(identity.Config{Pool: pool, Sealer: sealer, Keys: keys})
	if err != nil {
		return nil, err
	}
	// The benchmarks upload no documents; the store is there because the
	// API needs one.
	blobDir, err := os.MkdirTemp("", "tahsil-bench-blobs-")
	if err != nil {
		return nil, err
	}
	t.closes = append(t.closes, func() { os.RemoveAll(blobDir) })
	blobs, err := blobstore.NewFS(blobDir)
	if err != nil {
		return nil, err
	}
	server, err := api.New(api.Config{
		Pool: pool, Bus: timedBus{bus, rec}, Progress: timedProgress{progress, rec}, Registry: reg, Sealer: sealer,
		Keys: keys, ClaimKey: claimKey, Logger: log, ProjectionWait: 5 * time.Second, // TAHSIL_PROJECTION_WAIT_SECONDS default
		Identity: ids, Blobs: blobs,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t.srv = &http.Server{
		Handler: timedHandler{server.Handler(), rec, "api request"}, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10,
	}
	g.Go(func() error {
		if err := t.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	t.URL = "http://" + ln.Addr().String()
	if t.Token, err = benchSession(ctx, t.URL, pool, ids, bus, reg); err != nil {
		return nil, fmt.Errorf("sign in the bench's agent: %w", err)
	}
	return t, nil
}

// benchSession creates an agent account and signs it in through the API,
// so the load runs authenticated like any client.
func benchSession(ctx context.Context, url string, pool *pgxpool.Pool, ids *identity.Service, bus *events.Bus, reg *events.Registry) (string, error) {
	const password = "bench-agent-Zq4!wP8r"
	submit := identity.BusSubmitter(bus, reg, pool, events.Actor{Role: "system", UserAgent: "tahsil-bench"})
	email := fmt.Sprintf("bench-agent-%d@adc.test", time.Now().UnixNano())
	if _, err := ids.CreateStaff(ctx, collection.StaffInput{Email: email, FullName: "Bench Agent", Role: "agent"}, password, submit); err != nil {
		return "", err
	}
	s, err := signin.SignIn(ctx, http.DefaultClient, url, email, password, "", time.Now)
	return s.Token, err
}

func hooks(prefix string, rec *Recorder) []kgo.Opt {
	if rec == nil {
		return nil
	}
	return []kgo.Opt{KafkaHooks(prefix, rec)}
}

// Close stops the HTTP server, then the components.
func (t *Tahsil) Close() {
	if t.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_ = t.srv.Shutdown(ctx)
		cancel()
	}
	t.cancel()
	_ = t.g.Wait()
	for i := len(t.closes) - 1; i >= 0; i-- {
		t.closes[i]()
	}
	t.closes = nil
}

// timedBus records "bus submit": producing the command until its outcome
// arrives (the decider's transaction included).
type timedBus struct {
	*events.Bus
	rec *Recorder
}

func (b timedBus) Submit(ctx context.Context, cmd *events.CommandEnvelope) (*events.Outcome, error) {
	start := time.Now()
	o, err := b.Bus.Submit(ctx, cmd)
	if b.rec != nil {
		b.rec.Add("api bus submit (produce → outcome)", time.Since(start))
	}
	return o, err
}

// timedProgress records "projection wait": from the outcome to the
// projections having applied the event (read-your-writes).
type timedProgress struct {
	*projections.Progress
	rec *Recorder
}

func (p timedProgress) Wait(ctx context.Context, partition int32, offset int64) error {
	start := time.Now()
	err := p.Progress.Wait(ctx, partition, offset)
	if p.rec != nil {
		p.rec.Add("api projection wait (outcome → applied)", time.Since(start))
	}
	return err
}

// timedHandler records the server-side time of each request.
type timedHandler struct {
	h    http.Handler
	rec  *Recorder
	name string
}

func (h timedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h.h.ServeHTTP(w, r)
	if h.rec != nil {
		h.rec.Add(h.name, time.Since(start))
	}
}

// waitReady posts a probe until it answers 201, so that the groups have
// joined and the partitions are assigned before anything is measured.
func waitReady(ctx context.Context, client *http.Client, url string, probes [][]byte) error {
	deadline := time.Now().Add(90 * time.Second)
	for i := 0; ; i++ {
		if i >= len(probes) {
			return fmt.Errorf("service at %s not ready after %d probes", url, i)
		}
		code, msg := post(ctx, client, url, probes[i])
		if code == http.StatusCreated {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("service at %s not ready: last answer %d %s", url, code, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scenarioApp is a whole Tahsil on a database and a broker of its own, as
// the read-path and case-file scenarios use it.
type scenarioApp struct {
	*Tahsil
	Pool  *pgxpool.Pool
	close []func()
}

// startScenarioApp creates the database name, opens a pool of 32 (as
// cmd/tahsil's), starts a broker and Tahsil on them. Close undoes it all.
func startScenarioApp(ctx context.Context, env *Env, name string) (_ *scenarioApp, err error) {
	a := &scenarioApp{}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := env.CreateDatabase(ctx, name); err != nil {
		return nil, err
	}
	a.close = append(a.close, func() { env.DropDatabase(context.WithoutCancel(ctx), name) })
	if a.Pool, err = env.Pool(ctx, name, 32, nil); err != nil {
		return nil, err
	}
	a.close = append(a.close, a.Pool.Close)
	broker, err := env.Broker(ctx, name)
	if err != nil {
		return nil, err
	}
	a.close = append(a.close, func() { broker.Close() })
	if a.Tahsil, err = StartTahsil(ctx, a.Pool, []string{broker.Addr()}, env.Log, nil); err != nil {
		return nil, err
	}
	a.close = append(a.close, a.Tahsil.Close)
	return a, nil
}

// Close stops Tahsil, the broker and the pool, and drops the database.
func (a *scenarioApp) Close() {
	for i := len(a.close) - 1; i >= 0; i-- {
		a.close[i]()
	}
	a.close = nil
}
