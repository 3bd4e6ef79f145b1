// Package apptest runs a whole Tahsil for a test: a private kfake broker
// spoken to over the Kafka protocol, a migrated PostgreSQL database of its
// own, the decider, the projection runners, the bus and the REST API on an
// httptest server. Nothing is mocked.
//
// Packages using it declare `func TestMain(m *testing.M) { pgtest.Main(m) }`.
package apptest

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/blobstore"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/internal/kafkatest"
	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/projections"
)

// Options tune a test application.
type Options struct {
	// Partitions of the topics (default 3).
	Partitions int32
	// Brokers, when set, are used instead of a fresh in-memory broker
	// (for restart tests over kafkatest.PersistentBroker).
	Brokers []string
	// Pool, when set, is used instead of a fresh database.
	Pool *pgxpool.Pool
	// NoDecider and NoProjections leave those components out, so a test
	// can run its own instances (a crash, a restart).
	NoDecider, NoProjections bool
	// ProjectionWait bounds the read-your-writes wait (default 10 s).
	ProjectionWait time.Duration
	// AllowedHosts is passed to the API (empty: any host).
	AllowedHosts []string
	// OutcomeTimeout bounds the bus's wait for a command's outcome
	// (default 15 s); a test of the 202 path shortens it.
	OutcomeTimeout time.Duration
	// Now is the clock of the API and the identity store (default
	// time.Now): lockout and session expiry tests move it.
	Now func() time.Time
	// LoginLimiter replaces the per-IP sign-in throttle (tests that sign
	// in many times from one address loosen it; the 429 test tightens it).
	LoginLimiter *access.Limiter
	// TrustedProxies and CORSOrigins are passed to the API.
	TrustedProxies, CORSOrigins []string
}

// App is a running test application.
type App struct {
	URL       string
	Pool      *pgxpool.Pool
	Brokers   []string
	Registry  *events.Registry
	Keys      *keyring.Keyring
	Sealer    *events.Sealer
	MasterKey []byte
	Bus       *events.Bus
	Server    *api.Server
	Identity  *identity.Service
	// Blobs keeps the documents' files, in a directory of the test's.
	Blobs *blobstore.FS
	Now   func() time.Time

	cancel context.CancelFunc
	wg     sync.WaitGroup
	closes []func()
}

// Logger is quiet unless TAHSIL_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("TAHSIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError + 1}))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Start runs an application for t, stopped on cleanup.
func Start(t testing.TB, opts Options) *App {
	t.Helper()
	if opts.Partitions == 0 {
		opts.Partitions = 3
	}
	if opts.ProjectionWait == 0 {
		opts.ProjectionWait = 10 * time.Second
	}
	if opts.OutcomeTimeout == 0 {
		opts.OutcomeTimeout = 15 * time.Second
	}
	log := Logger()
	a := &App{Pool: opts.Pool, Brokers: opts.Brokers, Registry: events.NewRegistry()}
	if a.Pool == nil {
		a.Pool = pgtest.New(t)
	}
	if a.Brokers == nil {
		a.Brokers = []string{kafkatest.Broker(t)}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	t.Cleanup(a.Close)

	cl, err := kgo.NewClient(kgo.SeedBrokers(a.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	err = events.EnsureTopics(ctx, cl, events.TopicsConfig{Partitions: opts.Partitions})
	cl.Close()
	if err != nil {
		t.Fatalf("topics: %v", err)
	}
	a.MasterKey = make([]byte, keyring.KeySize)
	rand.Read(a.MasterKey)
	if a.Keys, err = keyring.New(a.Pool, a.MasterKey, 0); err != nil {
		t.Fatal(err)
	}
	a.Sealer = events.NewSealer(a.Keys)

	if !opts.NoDecider {
		a.StartDecider(t, "apptest")
	}
	if !opts.NoProjections {
		a.StartProjections(t)
	}
	progress := projections.NewProgress(a.Pool, ProjectionNames(), log)
	a.run(func() error { return progress.Run(ctx) })
	if a.Bus, err = events.NewBus(ctx, events.BusConfig{Brokers: a.Brokers, Logger: log, OutcomeTimeout: opts.OutcomeTimeout}); err != nil {
		t.Fatal(err)
	}
	a.closes = append(a.closes, a.Bus.Close)
	a.run(func() error { return a.Bus.Run(ctx) })
	claimKey := make([]byte, 32)
	rand.Read(claimKey)
	a.Now = opts.Now
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.Identity, err = identity.New(identity.Config{Pool: a.Pool, Sealer: a.Sealer, Keys: a.Keys, Now: a.Now}); err != nil {
		t.Fatal(err)
	}
	if opts.LoginLimiter == nil {
		// Tests sign in many accounts from 127.0.0.1; the throttle itself
		// is tested with its own limiter.
		if opts.LoginLimiter, err = access.NewLimiter(1000, 1000, 1000); err != nil {
			t.Fatal(err)
		}
	}
	if a.Blobs, err = blobstore.NewFS(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	a.Server, err = api.New(api.Config{
		Pool: a.Pool, Bus: a.Bus, Progress: progress, Registry: a.Registry, Sealer: a.Sealer, Keys: a.Keys,
		ClaimKey: claimKey, Logger: log, ProjectionWait: opts.ProjectionWait, AllowedHosts: opts.AllowedHosts,
		Identity: a.Identity, Now: a.Now, LoginLimiter: opts.LoginLimiter, TrustedProxies: opts.TrustedProxies,
		CORSOrigins: opts.CORSOrigins, Blobs: a.Blobs,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Server.Handler())
	a.closes = append(a.closes, a.Server.Close, srv.Close)
	a.URL = srv.URL
	return a
}

// ProjectionNames are the projections of tahsil.events the bus waits for.
func ProjectionNames() []string { return projections.EventProjectionNames() }

// EventProjections returns fresh instances of the tahsil.events projections.
func (a *App) EventProjections() []projections.Projection {
	personal := struct {
		*events.Sealer
		*keyring.Keyring
	}{a.Sealer, a.Keys}
	return projections.ForEvents(personal)
}

// StartDecider runs a decider with the given transactional id suffix.
func (a *App) StartDecider(t testing.TB, id string) *events.Processor {
	t.Helper()
	p, err := events.NewProcessor(events.ProcessorConfig{
		Brokers: a.Brokers, TransactionalID: "tahsil-decider-" + id, Registry: a.Registry, Logger: Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.closes = append(a.closes, func() { cancel(); p.Close() })
	a.run(func() error { return p.Run(ctx) })
	return p
}

// StartProjections runs the runners of tahsil.events and tahsil.outcomes.
func (a *App) StartProjections(t testing.TB) []*projections.Runner {
	t.Helper()
	evr, err := projections.NewRunner(projections.RunnerConfig{
		Brokers: a.Brokers, Pool: a.Pool, Projections: a.EventProjections(), Registry: a.Registry, Logger: Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	outr, err := projections.NewRunner(projections.RunnerConfig{
		Brokers: a.Brokers, Pool: a.Pool, Topic: events.OutcomesTopic,
		Projections: []projections.Projection{projections.Outcomes{}}, Logger: Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.closes = append(a.closes, func() { cancel(); evr.Close(); outr.Close() })
	for _, r := range []*projections.Runner{evr, outr} {
		a.run(func() error { return r.Run(ctx) })
	}
	return []*projections.Runner{evr, outr}
}

func (a *App) run(f func() error) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := f(); err != nil && !errors.Is(err, context.Canceled) {
			Logger().Error("apptest component stopped", "err", err)
		}
	}()
}

// Close stops everything the app started; it is safe to call twice.
func (a *App) Close() {
	if a.cancel == nil {
		return
	}
	a.cancel()
	for i := len(a.closes) - 1; i >= 0; i-- {
		a.closes[i]()
	}
	a.closes = nil
	a.wg.Wait()
	a.cancel = nil
}
