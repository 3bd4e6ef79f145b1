package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/blobstore"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/projections"
)

// eventProjections are the read models built from tahsil.events, in the
// order a batch applies them. The bus waits for all of them.
func eventProjections(in *infra) []projections.Projection {
	personal := struct {
		*events.Sealer
		keyCache
	}{in.sealer, in.keys}
	return projections.ForEvents(personal)
}

// keyCache is what the projections use of the keyring beside the sealer:
// loading a batch's keys at once, and dropping the keys an erasure
// destroyed (projections.Forgetter), or this process would go on opening
// the erased person's parts from its cache.
type keyCache interface {
	Preload(ctx context.Context, subjects []string) error
	Forget(subject string)
}

func serve(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	withDemo := false
	for _, a := range args {
		switch a {
		case "--demo":
			withDemo = true
		default:
			return fmt.Errorf("serve: unknown argument %q (known: --demo)", a)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	in, err := openInfra(ctx, cfg, log, infraNeeds{kafka: true, share: shareNever})
	if err != nil {
		return err
	}
	defer in.close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// The components run until the HTTP server has stopped and the API
	// has written its last security facts, which need the bus, the
	// decider and the projections; a signal only starts the shutdown.
	runCtx, stopComponents := context.WithCancel(context.WithoutCancel(ctx))
	defer stopComponents()
	g, gctx := errgroup.WithContext(runCtx)
	var runners []*projections.Runner

	if cfg.Components["decider"] {
		proc, err := newDecider(in, cfg, log)
		if err != nil {
			return err
		}
		defer proc.Close()
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tahsil_decider_commands_total", Help: "Commands decided and committed by this instance.",
		}, func() float64 { d, _, _ := proc.Stats(); return float64(d) }))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tahsil_decider_aggregates", Help: "Aggregates held in memory by this decider.",
		}, func() float64 { _, _, n := proc.Stats(); return float64(n) }))
		g.Go(func() error { return proc.Run(gctx) })
	}

	if cfg.Components["projections"] {
		if runners, err = newRunners(in, log); err != nil {
			return err
		}
		evr, outr := runners[0], runners[1]
		defer evr.Close()
		defer outr.Close()
		for _, r := range runners {
			g.Go(func() error { return r.Run(gctx) })
		}
		for _, name := range append(evr.Names(), outr.Names()...) {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "tahsil_projection_failures", Help: "Unresolved records a projection is stopped at (fail-stop).",
				ConstLabels: prometheus.Labels{"projection": name},
			}, func() float64 {
				n := 0
				for _, r := range runners {
					for _, f := range r.Failures() {
						if f.Projection == name {
							n++
						}
					}
				}
				return float64(n)
			}))
		}
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tahsil_projection_records_total", Help: "Records applied by this instance's projection runners.",
		}, func() float64 { return float64(evr.Applied() + outr.Applied()) }))
	}

	var srv *http.Server
	var server *api.Server
	if cfg.Components["api"] {
		progress := projections.NewProgress(in.pool, projections.EventProjectionNames(), log)
		g.Go(func() error { return progress.Run(gctx) })
		bus, err := events.NewBus(ctx, events.BusConfig{Brokers: in.brokers, Logger: log})
		if err != nil {
			return err
		}
		defer bus.Close()
		g.Go(func() error { return bus.Run(gctx) })
		ids, err := identity.New(identity.Config{Pool: in.pool, Sealer: in.sealer, Keys: in.keys})
		if err != nil {
			return err
		}
		g.Go(func() error {
			ids.PurgeEvery(gctx, time.Hour, func(p identity.Purged, err error) {
				if err != nil {
					log.Warn("purge of ended sessions failed; retried in an hour", "err", err)
				} else if p != (identity.Purged{}) {
					log.Info("purged ended sessions and MFA challenges", "sessions", p.Sessions, "mfa_challenges", p.MFAChallenges)
				}
			})
			return nil
		})
		blobs, err := blobstore.NewFS(cfg.BlobDir)
		if err != nil {
			return err
		}
		server, err = api.New(api.Config{
			Pool: in.pool, Bus: bus, Progress: progress, Registry: in.registry, Sealer: in.sealer, Keys: in.keys,
			ClaimKey: in.master.ClaimKey, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), Logger: log,
			ProjectionWait: time.Duration(cfg.ProjectionWaitSecs) * time.Second,
			Ready:          readiness(runners),
			AllowedHosts:   cfg.AllowedHosts,
			PublicURL:      cfg.URL,
			Plans:          cfg.Plans,
			Identity:       ids,
			TrustedProxies: cfg.TrustedProxies,
			CORSOrigins:    cfg.CORSOrigins,
			Blobs:          blobs,
		})
		if err != nil {
			return err
		}
		srv = &http.Server{
			Handler: server.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
			WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		if len(cfg.AllowedHosts) == 0 {
			log.Warn("TAHSIL_ALLOWED_HOSTS is not set: any Host header is served; set it to the names clients use")
		}
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		g.Go(func() error {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		url := "http://" + ln.Addr().String()
		log.Info("Tahsil is running", "url", url, "kafka", in.brokers, "data_dir", cfg.DataDir)
		if !withDemo {
			printBanner(os.Stderr, url, in.brokers, nil, nil)
		} else {
			log.Info("loading the demo data")
			d := &demoLoader{
				base: loopbackURL(ln.Addr()), ids: ids, pool: in.pool, dataDir: cfg.DataDir, log: log,
				submit: identity.BusSubmitter(bus, in.registry, in.pool, operator("serve --demo")),
			}
			g.Go(func() error {
				// The signal, not the components' context, stops a load
				// in progress: the server is shutting down.
				dctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
				defer cancel()
				logins, err := d.load(dctx)
				if err != nil && ctx.Err() == nil {
					log.Error("demo data not loaded", "err", err)
				}
				if ctx.Err() == nil {
					printBanner(os.Stderr, url, in.brokers, &logins, err)
				}
				return nil
			})
		}
	}

	select {
	case <-ctx.Done():
	case <-gctx.Done(): // a component failed
	}
	stop() // a second Ctrl-C ends the process at once
	log.Info("shutting down")
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("HTTP shutdown", "err", err)
		}
		cancel()
		server.Close()
	}
	stopComponents()
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// loopbackURL is the URL a client on this machine uses to reach addr: a
// server bound to every interface is reached on the loopback one.
func loopbackURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printBanner tells the person who started the server where it is and how
// to sign in: with the demo logins once the demo is loaded, else how to
// create the first admin.
func printBanner(w io.Writer, url string, brokers []string, demo *demoLogins, demoErr error) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n  Tahsil is running at %s\n", url)
	fmt.Fprintf(&b, "  API: %s/api/v1   contract: %s/api/v1/openapi.json   health: %s/readyz\n", url, url, url)
	fmt.Fprintf(&b, "  Kafka: %s (any Kafka client can read tahsil.events)\n", strings.Join(brokers, ","))
	switch {
	case demo != nil && demoErr == nil:
		demo.print(&b, url)
	case demo != nil:
		fmt.Fprintf(&b, "  Demo data NOT loaded: %v\n", demoErr)
	default:
		fmt.Fprintf(&b, "  Sign in: every request needs an account. Create the first admin with\n"+
			"    tahsil users create --role admin --email you@example.dz --name \"Your Name\"\n"+
			"  then POST %s/api/v1/auth/login (README.md, \"Accounts and sign-in\"), or run with --demo for demo logins.\n", url)
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// readiness reports stopped projections to /readyz.
func readiness(runners []*projections.Runner) api.Readiness {
	return func(context.Context) map[string]any {
		var fs []projections.Failure
		for _, r := range runners {
			fs = append(fs, r.Failures()...)
		}
		if len(fs) == 0 {
			return nil
		}
		return map[string]any{"projections_stopped": fs}
	}
}
