package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/adc-dz/tahsil/internal/signin"
)

// WriteConfig configures the write-path scenario.
type WriteConfig struct {
	// Requests measured on each side and at each concurrency (default 5000).
	Requests int
	// Warmup requests sent first on each side, not measured (default 500).
	Warmup int
	// Clients is the number of concurrent clients the targets apply to
	// (default 32).
	Clients int
	// MoreClients are further concurrencies measured on both sides, for
	// the curve; no target applies to them.
	MoreClients []int
}

func (c *WriteConfig) setDefaults() {
	if c.Requests == 0 {
		c.Requests = 5000
	}
	if c.Warmup == 0 {
		c.Warmup = 500
	}
	if c.Clients == 0 {
		c.Clients = 32
	}
}

func (c WriteConfig) levels() []int {
	out := []int{c.Clients}
	for _, n := range c.MoreClients {
		if n > 0 && n != c.Clients {
			out = append(out, n)
		}
	}
	return out
}

// Write-path targets (the issue's).
const (
	writeTargetRatio = 1.0 // Tahsil's throughput at least the CRUD baseline's
	writeTargetP99   = 50 * time.Millisecond
)

// sideResult is one measured run of one side.
type sideResult struct {
	name    string
	clients int
	load    LoadResult
	cpu     CPU
}

// RunWritePath measures POST /api/v1/debtors through the whole Tahsil
// against the CRUD baseline, on one database of the shared server.
func RunWritePath(ctx context.Context, env *Env, cfg WriteConfig) (*Section, error) {
	cfg.setDefaults()
	const db = "bench_write"
	if err := env.CreateDatabase(ctx, db); err != nil {
		return nil, err
	}
	defer env.DropDatabase(context.WithoutCancel(ctx), db) //nolint:errcheck // the directory goes anyway

	// Distinct debtors for every request of the run: NINs and phones are
	// unique across both sides.
	next := int64(10_000_000)
	bodies := func(n int) ([][]byte, error) {
		b, err := DebtorBodies(next, int64(n))
		next += int64(n)
		return b, err
	}
	maxClients := 0
	for _, n := range cfg.levels() {
		maxClients = max(maxClients, n)
	}
	client := NewClient(maxClients)
	defer client.CloseIdleConnections()

	// The baseline first, alone on the machine.
	crud, err := runCRUD(ctx, env, db, client, cfg, bodies)
	if err != nil {
		return nil, fmt.Errorf("CRUD baseline: %w", err)
	}
	client.CloseIdleConnections()

	rec := NewRecorder()
	tahsil, ps, err := runTahsilWrites(ctx, env, db, client, cfg, bodies, rec)
	if err != nil {
		return nil, fmt.Errorf("Tahsil: %w", err)
	}
	return writeSection(cfg, crud, tahsil, rec, ps), nil
}

func runCRUD(ctx context.Context, env *Env, db string, client *http.Client, cfg WriteConfig, bodies func(int) ([][]byte, error)) ([]sideResult, error) {
	pool, err := env.Pool(ctx, db, 32, nil) // the size cmd/tahsil gives its pool
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := CreateCRUDTable(ctx, pool); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: &CRUD{Pool: pool}, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go srv.Serve(ln)                               //nolint:errcheck // ends with Shutdown
	defer srv.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck // nothing left to serve
	url := "http://" + ln.Addr().String() + "/debtors"

	warm, err := bodies(cfg.Warmup)
	if err != nil {
		return nil, err
	}
	env.Say("write path: CRUD warm-up", "requests", len(warm))
	if r := Load(ctx, client, url, warm, cfg.Clients, http.StatusCreated); r.Unexpected() > 0 {
		return nil, fmt.Errorf("warm-up: %d unexpected answers, first: %s", r.Unexpected(), r.FirstError)
	}
	var out []sideResult
	for _, clients := range cfg.levels() {
		measured, err := bodies(cfg.Requests)
		if err != nil {
			return nil, err
		}
		env.Say("write path: CRUD measured run", "requests", len(measured), "clients", clients)
		cpu0 := env.CPU()
		res := Load(ctx, client, url, measured, clients, http.StatusCreated)
		out = append(out, sideResult{name: "CRUD baseline (1 INSERT)", clients: clients, load: res, cpu: env.CPU().Sub(cpu0)})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// procStats is what the decider and runners did during the first
// measured run.
type procStats struct {
	decided uint64
	applied []uint64
}

func runTahsilWrites(ctx context.Context, env *Env, db string, client *http.Client, cfg WriteConfig, bodies func(int) ([][]byte, error), rec *Recorder) ([]sideResult, procStats, error) {
	broker, err := env.Broker(ctx, "write")
	if err != nil {
		return nil, procStats{}, err
	}
	defer broker.Close()
	pool, err := env.Pool(ctx, db, 32, PGTracer{Prefix: "pg ", Rec: rec}) // 32: cmd/tahsil's pool size
	if err != nil {
		return nil, procStats{}, err
	}
	defer pool.Close()
	app, err := StartTahsil(ctx, pool, []string{broker.Addr()}, env.Log, rec)
	if err != nil {
		return nil, procStats{}, err
	}
	defer app.Close()
	url := app.URL + "/api/v1/debtors"
	client = signin.Bearer(client, app.Token)

	probes, err := bodies(200)
	if err != nil {
		return nil, procStats{}, err
	}
	start := time.Now()
	if err := waitReady(ctx, client, url, probes); err != nil {
		return nil, procStats{}, err
	}
	env.Say("write path: Tahsil ready", "took", time.Since(start).Round(time.Millisecond))
	warm, err := bodies(cfg.Warmup)
	if err != nil {
		return nil, procStats{}, err
	}
	env.Say("write path: Tahsil warm-up", "requests", len(warm))
	if r := Load(ctx, client, url, warm, cfg.Clients, http.StatusCreated); r.Unexpected() > r.Requests/10 {
		return nil, procStats{}, fmt.Errorf("warm-up: %d unexpected answers, first: %s", r.Unexpected(), r.FirstError)
	}
	var (
		out []sideResult
		ps  procStats
	)
	for i, clients := range cfg.levels() {
		measured, err := bodies(cfg.Requests)
		if err != nil {
			return nil, ps, err
		}
		// Let the previous run's tail settle, then measure from a clean slate.
		time.Sleep(500 * time.Millisecond)
		if i == 0 {
			rec.Reset()
		}
		d0, _, _ := app.Processor.Stats()
		a0 := []uint64{app.Runners[0].Applied(), app.Runners[1].Applied()}
		env.Say("write path: Tahsil measured run", "requests", len(measured), "clients", clients)
		cpu0 := env.CPU()
		res := Load(ctx, client, url, measured, clients, http.StatusCreated)
		cpu := env.CPU().Sub(cpu0)
		if i == 0 {
			// The breakdown is of the run the targets apply to.
			rec.Freeze()
			d1, _, _ := app.Processor.Stats()
			ps = procStats{decided: d1 - d0, applied: []uint64{app.Runners[0].Applied() - a0[0], app.Runners[1].Applied() - a0[1]}}
		}
		if len(app.Runners[0].Failures()) > 0 {
			return nil, ps, errors.New("a projection stopped during the run")
		}
		out = append(out, sideResult{name: "Tahsil (event-sourced)", clients: clients, load: res, cpu: cpu})
		if err := ctx.Err(); err != nil {
			return nil, ps, err
		}
	}
	return out, ps, nil
}

func writeSection(cfg WriteConfig, crud, tahsil []sideResult, rec *Recorder, ps procStats) *Section {
	s := &Section{
		Title: "1. Write path: POST /api/v1/debtors against a CRUD baseline",
		Lead: fmt.Sprintf("%s distinct valid debtors per side and per concurrency (unique NIN, unique mobiles, Arabic or "+
			"Latin names), keep-alive clients, after %d warm-up requests per side. Tahsil: the real stack "+
			"(validation, NIN and reference claims, data key, sealing, command to Kafka, decider transaction, "+
			"outcome, projections, read-your-writes wait, answer from the read model). Baseline: the same JSON "+
			"decoding and collection.DebtorInput.Validate, then one INSERT … RETURNING (its own transaction) into a "+
			"table LIKE debtors INCLUDING ALL (plus a unique NIN index), on the same PostgreSQL server, through "+
			"net/http on its own port. Latency is until the whole 201 answer is read. CPU is per answered request; "+
			"the Go process holds the components, the in-process broker and the load generator.",
			thousands(int64(cfg.Requests)), cfg.Warmup),
	}
	t := Table{Header: []string{"scenario", "clients", "answers", "requests/s", "p50", "p90", "p99", "max", "202s", "errors", "CPU/request (Go process)", "CPU/request (PostgreSQL)"}}
	for i := range tahsil {
		for _, r := range []sideResult{tahsil[i], crud[i]} {
			l := r.load.Latency
			n := max(1, r.load.Requests)
			t.Rows = append(t.Rows, []string{r.name, fmt.Sprint(r.clients), fmt.Sprint(r.load.Requests), rate(r.load.Throughput()),
				ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), fmt.Sprint(r.load.Status[http.StatusAccepted]),
				fmt.Sprint(r.load.Unexpected() - r.load.Status[http.StatusAccepted]),
				ms(r.cpu.Self / time.Duration(n)), ms(r.cpu.Postgres / time.Duration(n))})
		}
	}
	s.Tables = append(s.Tables, t)
	th, cr := tahsil[0], crud[0]
	ratio := th.load.Throughput() / max(cr.load.Throughput(), 1e-9)
	s.Checks = append(s.Checks,
		Check{Target: fmt.Sprintf("Tahsil throughput ≥ the CRUD baseline's (%d clients)", cfg.Clients), Pass: ratio >= writeTargetRatio,
			Measured: fmt.Sprintf("%s vs %s requests/s (ratio %.2f)", rate(th.load.Throughput()), rate(cr.load.Throughput()), ratio)},
		Check{Target: fmt.Sprintf("Tahsil p99 < 50 ms (%d clients)", cfg.Clients), Pass: th.load.Latency.P99 < writeTargetP99 && th.load.Latency.N > 0,
			Measured: ms(th.load.Latency.P99)},
	)

	// Where a Tahsil request's time goes.
	bd := Table{Title: fmt.Sprintf("Where a Tahsil request's time goes (server side, %d clients)", cfg.Clients),
		Header: []string{"step", "count", "mean", "p50", "p99"}}
	for _, name := range []string{"api request", "api bus submit (produce → outcome)", "bus record ack", "api projection wait (outcome → applied)"} {
		if st, ok := rec.Get(name); ok {
			bd.Rows = append(bd.Rows, []string{stepLabel(name), fmt.Sprint(st.N), ms(st.Mean), ms(st.P50), ms(st.P99)})
		}
	}
	s.Tables = append(s.Tables, bd)

	n := float64(max(1, th.load.Requests))
	kt := Table{Title: fmt.Sprintf("Kafka requests of the decider and the bus (%d clients)", cfg.Clients),
		Header: []string{"request", "count", "per HTTP request", "mean", "p99"}}
	for _, st := range rec.Stats() {
		if (strings.HasPrefix(st.Name, "decider ") || strings.HasPrefix(st.Name, "bus ")) && !strings.HasSuffix(st.Name, "record ack") {
			kt.Rows = append(kt.Rows, []string{st.Name, fmt.Sprint(st.N), fmt.Sprintf("%.2f", float64(st.N)/n), ms(st.Mean), ms(st.P99)})
		}
	}
	s.Tables = append(s.Tables, kt)
	s.Tables = append(s.Tables, statementTable(fmt.Sprintf("PostgreSQL statements of the Tahsil side, by total time (%d clients)", cfg.Clients), rec, 0, n))

	if mean := th.load.Latency.Mean; mean > 0 {
		wall := th.load.Elapsed.Seconds()
		busy := (th.cpu.Self + th.cpu.Postgres).Seconds() / wall / float64(numCPU())
		verdict := "the processors were mostly idle: the latency of the chain, not CPU, sets the throughput at this concurrency"
		if busy > 0.75 {
			verdict = "the processors were nearly saturated: CPU per request bounds the throughput"
		}
		s.Notes = append(s.Notes, fmt.Sprintf("Closed loop: %d clients ÷ %s mean latency = %s requests/s. During the run the Go "+
			"process used %.0f%% of one core and PostgreSQL %.0f%%, %.0f%% of the machine's %d cores; %s.",
			cfg.Clients, ms(mean), rate(float64(cfg.Clients)/mean.Seconds()),
			100*th.cpu.Self.Seconds()/wall, 100*th.cpu.Postgres.Seconds()/wall, 100*busy, numCPU(), verdict))
	}
	if txn, ok := rec.Get("decider EndTxn"); ok && txn.N > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("The decider committed %d commands in %d Kafka transactions: %.1f commands per transaction "+
			"(MaxBatch 2,000, so batches are as large as the waiting commands); an EndTxn took %s at p50. Each transaction "+
			"writes its events, then its outcomes (which carry the events' offsets), then the offsets and the commit markers, "+
			"each acknowledged after the broker's fsync.",
			ps.decided, txn.N, float64(ps.decided)/float64(txn.N), ms(txn.P50)))
	}
	if lock, ok := rec.Get("pg ProjectionOffsetsLock"); ok && lock.N > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("The projection runners applied %d events and %d outcomes in %d PostgreSQL transactions: %.1f records per transaction.",
			ps.applied[0], ps.applied[1], lock.N, float64(ps.applied[0]+ps.applied[1])/float64(lock.N)))
	}
	if th.load.FirstError != "" {
		s.Notes = append(s.Notes, "First unexpected Tahsil answer: "+th.load.FirstError)
	}
	if cr.load.FirstError != "" {
		s.Notes = append(s.Notes, "First unexpected baseline answer: "+cr.load.FirstError)
	}
	return s
}

// statementTable lists the recorded PostgreSQL statements by total time;
// with perRequest > 0 it divides counts by it, with wall > 0 it shows each
// statement's share of that wall time.
func statementTable(title string, rec *Recorder, wall time.Duration, perRequest ...float64) Table {
	var stats []Stat
	for _, st := range rec.Stats() {
		if strings.HasPrefix(st.Name, "pg ") {
			stats = append(stats, st)
		}
	}
	sort.Slice(stats, func(i, j int) bool { return stats[i].Total > stats[j].Total })
	t := Table{Title: title, Header: []string{"statement", "count"}}
	if len(perRequest) > 0 {
		t.Header = append(t.Header, "per HTTP request")
	}
	t.Header = append(t.Header, "mean", "p99", "total")
	if wall > 0 {
		t.Header = append(t.Header, "share of the wall time")
	}
	for _, st := range stats {
		row := []string{strings.TrimPrefix(st.Name, "pg "), fmt.Sprint(st.N)}
		if len(perRequest) > 0 {
			row = append(row, fmt.Sprintf("%.2f", float64(st.N)/perRequest[0]))
		}
		row = append(row, ms(st.Mean), ms(st.P99), secs(st.Total))
		if wall > 0 {
			row = append(row, fmt.Sprintf("%.0f%%", 100*st.Total.Seconds()/wall.Seconds()))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func stepLabel(name string) string {
	switch name {
	case "api request":
		return "whole request in the server"
	case "api bus submit (produce → outcome)":
		return "bus.Submit: produce command → outcome received"
	case "bus record ack":
		return "  of which: command produced and acknowledged (fsync)"
	case "api projection wait (outcome → applied)":
		return "Progress.Wait: outcome → projections applied"
	}
	return name
}
