package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/projections"
)

// eventProjections are the read models built from tahsil.events, in the
// order a batch applies them. The bus waits for all of them.
func eventProjections(in *infra) []projections.Projection {
	personal := struct {
		*events.Sealer
		preloader
	}{in.sealer, in.keys}
	return []projections.Projection{
		projections.NewCreditors(personal),
		projections.NewDebtors(personal),
		projections.Timeline{},
	}
}

type preloader interface {
	Preload(ctx context.Context, subjects []string) error
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

	in, err := openInfra(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer in.close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	g, gctx := errgroup.WithContext(ctx)
	var runners []*projections.Runner

	if cfg.Components["decider"] {
		proc, err := events.NewProcessor(events.ProcessorConfig{
			Brokers: in.brokers, TransactionalID: "tahsil-decider-" + cfg.InstanceID,
			Registry: in.registry, Logger: log,
		})
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
		evr, err := projections.NewRunner(projections.RunnerConfig{
			Brokers: in.brokers, Pool: in.pool, Projections: eventProjections(in), Registry: in.registry, Logger: log,
		})
		if err != nil {
			return err
		}
		defer evr.Close()
		outr, err := projections.NewRunner(projections.RunnerConfig{
			Brokers: in.brokers, Pool: in.pool, Topic: events.OutcomesTopic,
			Projections: []projections.Projection{projections.Outcomes{}}, Logger: log,
		})
		if err != nil {
			return err
		}
		defer outr.Close()
		runners = append(runners, evr, outr)
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
	var ln net.Listener
	if cfg.Components["api"] {
		names := make([]string, 0, 3)
		for _, p := range eventProjections(in) {
			names = append(names, p.Name())
		}
		progress := projections.NewProgress(in.pool, names, log)
		g.Go(func() error { return progress.Run(gctx) })
		bus, err := events.NewBus(ctx, events.BusConfig{Brokers: in.brokers, Logger: log})
		if err != nil {
			return err
		}
		defer bus.Close()
		g.Go(func() error { return bus.Run(gctx) })
		claimKey, err := in.claimKey()
		if err != nil {
			return err
		}
		server, err := api.New(api.Config{
			Pool: in.pool, Bus: bus, Progress: progress, Registry: in.registry, Sealer: in.sealer, Keys: in.keys,
			ClaimKey: claimKey, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), Logger: log,
			ProjectionWait: time.Duration(cfg.ProjectionWaitSecs) * time.Second,
			Ready:          readiness(runners),
			AllowedHosts:   cfg.AllowedHosts,
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
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
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
		fmt.Fprintf(os.Stderr, "\n  Tahsil is running at %s\n  API: %s/api/v1/debtors   contract: %s/api/v1/openapi.json   health: %s/readyz\n"+
			"  Kafka: %v (any Kafka client can read tahsil.events)\n"+
			"  Logins: none yet: accounts and TOTP arrive with the identity issue, so the API is open and bound to %s only\n\n",
			url, url, url, url, in.brokers, cfg.HTTPAddr)
		if withDemo {
			g.Go(func() error {
				if err := loadDemo(gctx, url, log); err != nil {
					log.Error("demo data not loaded", "err", err)
				}
				return nil
			})
		}
	}

	<-gctx.Done()
	log.Info("shutting down")
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("HTTP shutdown", "err", err)
		}
		cancel()
	}
	stop()
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
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
