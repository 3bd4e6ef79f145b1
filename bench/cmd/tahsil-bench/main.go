// Command tahsil-bench measures Tahsil on this machine and prints the
// figures of docs/PERFORMANCE.md: the write path against a CRUD baseline,
// a projection rebuild against COPY, and the decider's throughput and
// memory. It starts its own PostgreSQL (fsync on) and embedded Kafka broker
// (fsync per batch) in a temporary directory and talks only to 127.0.0.1.
//
//	go run ./bench/cmd/tahsil-bench                 # everything, default sizes (a few minutes)
//	go run ./bench/cmd/tahsil-bench -n 3000 -rebuild-events 200000 -decider-commands 100000
//	go run ./bench/cmd/tahsil-bench -only write -cpuprofile write.pprof
//	make bench BENCH_ARGS='-md bench.md'
//
// Investigation flags: -cpuprofile, -auto-explain 200ms -v (PostgreSQL
// plans of slow statements), -kafka-nosync (the broker without its fsync,
// to see what the fsyncs cost; never how Tahsil runs).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/adc-dz/tahsil/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tahsil-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		n           = flag.Int("n", 5000, "write path: requests measured on each side")
		clients     = flag.Int("clients", 32, "write path: concurrent clients (the targets apply at this concurrency)")
		moreClients = flag.String("more-clients", "128", "write path: further concurrencies to measure on both sides, comma-separated (empty: none)")
		warmup      = flag.Int("warmup", 500, "write path: warm-up requests on each side")
		rebuildN    = flag.Int("rebuild-events", 1_000_000, "rebuild: debtor.registered events in the log")
		rebuildAll  = flag.Bool("rebuild-all", false, "rebuild: also time a rebuild of all three tahsil.events projections")
		rebuildTime = flag.Duration("rebuild-timeout", 4*time.Minute, "rebuild: stop a rebuild that takes longer and report its rate so far")
		verify      = flag.Bool("rebuild-verify", true, "rebuild: first build the table incrementally (projection runner) and check the rebuild ends byte-for-byte equal")
		deciderN    = flag.Int("decider-commands", 200_000, "decider: RegisterDebtor commands (one aggregate each)")
		partitions  = flag.Int("partitions", 6, "partitions of the three topics (TAHSIL_PARTITIONS)")
		only        = flag.String("only", "write,rebuild,decider,debts,import,payments", "scenarios to run, comma-separated")
		paymentsN   = flag.Int("payments", 3000, "payments: payments recorded")
		importRows  = flag.Int("import-rows", 100_000, "import: rows of the CSV file")
		listDebts   = flag.Int("list-debts", 1_000_000, "debt list: debts in the read model")
		listN       = flag.Int("list-requests", 3000, "debt list: requests measured")
		mdPath      = flag.String("md", "", "also write the report as Markdown to this file")
		cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
		dir         = flag.String("dir", "", "data directory (default: a temporary directory, removed at the end)")
		keep        = flag.Bool("keep", false, "keep the temporary data directory")
		verbose     = flag.Bool("v", false, "log the components' info messages to stderr")
		autoExplain = flag.Duration("auto-explain", 0, "INVESTIGATION: log the PostgreSQL plan of statements slower than this (with -v)")
		kafkaNoSync = flag.Bool("kafka-nosync", false, "INVESTIGATION ONLY: run the broker without its fsync per batch (not how Tahsil runs)")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		s = strings.TrimSpace(s)
		switch s {
		case "write", "rebuild", "decider", "debts", "import", "payments":
			want[s] = true
		case "":
		default:
			return fmt.Errorf("-only: unknown scenario %q (known: write, rebuild, decider, debts, import, payments)", s)
		}
	}
	var errs []error
	var more []int
	for _, f := range strings.Split(*moreClients, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			errs = append(errs, fmt.Errorf("-more-clients: %q is not a positive integer", f))
		}
		more = append(more, v)
	}
	if *n < 1 || *clients < 1 || *warmup < 1 {
		errs = append(errs, errors.New("-n, -clients and -warmup must be positive"))
	}
	if *rebuildN < 1 || *deciderN < 1 {
		errs = append(errs, errors.New("-rebuild-events and -decider-commands must be positive"))
	}
	if *partitions < 1 || *partitions > 1000 {
		errs = append(errs, errors.New("-partitions must be from 1 to 1000"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	progress := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	started := time.Now()
	env, err := bench.StartEnv(ctx, bench.EnvConfig{Dir: *dir, Keep: *keep, Partitions: int32(*partitions), KafkaNoSync: *kafkaNoSync, Log: log, Progress: progress, AutoExplain: *autoExplain})
	if err != nil {
		return err
	}
	defer func() {
		if err := env.Close(); err != nil {
			log.Warn("tahsil-bench: cleanup", "err", err)
		}
	}()

	report := &bench.Report{
		Title:   "Tahsil benchmark",
		Machine: env.Machine(),
		Command: "go run ./bench/cmd/tahsil-bench " + shellJoin(os.Args[1:]),
	}
	report.Command = strings.TrimSpace(report.Command)
	if len(os.Args) > 1 {
		report.Command += "   (or: make bench BENCH_ARGS=" + shellQuote(shellJoin(os.Args[1:])) + ")"
	} else {
		report.Command += "   (or: make bench)"
	}
	if f := strings.Fields(bench.LoadAvg()); len(f) > 0 {
		if l, err := strconv.ParseFloat(f[0], 64); err == nil && l > 0.5*float64(runtime.NumCPU()) {
			report.Machine = append(report.Machine, [2]string{"WARNING", fmt.Sprintf(
				"load average %.1f at start on %d CPUs: other work is running and the figures will be lower and noisier than on an idle machine", l, runtime.NumCPU())})
		}
	}

	if want["write"] {
		s, err := bench.RunWritePath(ctx, env, bench.WriteConfig{Requests: *n, Warmup: *warmup, Clients: *clients, MoreClients: more})
		if err != nil {
			return fmt.Errorf("write path: %w", err)
		}
		report.Sections = append(report.Sections, s)
	}
	if want["rebuild"] {
		s, err := bench.RunRebuild(ctx, env, bench.RebuildBenchConfig{Events: *rebuildN, All: *rebuildAll, Verify: *verify, Timeout: *rebuildTime})
		if err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
		report.Sections = append(report.Sections, s)
	}
	if want["decider"] {
		s, err := bench.RunDecider(ctx, env, bench.DeciderConfig{Commands: *deciderN})
		if err != nil {
			return fmt.Errorf("decider: %w", err)
		}
		report.Sections = append(report.Sections, s)
	}
	if want["debts"] {
		s, err := bench.RunDebtList(ctx, env, bench.DebtListConfig{Debts: *listDebts, Requests: *listN})
		if err != nil {
			return fmt.Errorf("debt list: %w", err)
		}
		report.Sections = append(report.Sections, s)
	}
	if want["import"] {
		s, err := bench.RunImport(ctx, env, bench.ImportConfig{Rows: *importRows})
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		report.Sections = append(report.Sections, s)
	}
	if want["payments"] {
		s, err := bench.RunPayments(ctx, env, bench.PaymentsConfig{Payments: *paymentsN, Clients: *clients})
		if err != nil {
			return fmt.Errorf("payments: %w", err)
		}
		report.Sections = append(report.Sections, s)
	}
	report.Machine = append(report.Machine,
		[2]string{"load average at end", bench.LoadAvg()},
		[2]string{"benchmark run time", time.Since(started).Round(time.Second).String()})

	report.WriteText(os.Stdout)
	if *mdPath != "" {
		f, err := os.Create(*mdPath)
		if err != nil {
			return err
		}
		report.WriteMarkdown(f)
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// shellJoin joins arguments as a POSIX shell would need them typed.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " \t'\"\\$`*?[]{}()<>|&;#~!") {
			out[i] = shellQuote(a)
		}
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
