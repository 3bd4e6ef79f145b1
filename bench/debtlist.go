package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/internal/signin"
)

// DebtListConfig configures the debt-list scenario.
type DebtListConfig struct {
	// Debts in the read model (default 1,000,000).
	Debts int
	// Requests measured (default 3,000) by Clients concurrent clients
	// (default 4).
	Requests, Clients int
}

// debtListTarget is the target for GET /api/v1/debts with two
// filters on 1,000,000 debts.
const debtListTarget = 50 * time.Millisecond

// RunDebtList fills the debts read model with a generated portfolio, then
// times GET /api/v1/debts with two filters through the whole API
// (authentication, scoping, the query, JSON).
//
// The rows are written with COPY, not through the decider: this scenario
// measures the read path, and the projection's own speed is what the
// rebuild scenario measures.
func RunDebtList(ctx context.Context, env *Env, cfg DebtListConfig) (*Section, error) {
	if cfg.Debts == 0 {
		cfg.Debts = 1_000_000
	}
	if cfg.Requests == 0 {
		cfg.Requests = 3000
	}
	if cfg.Clients == 0 {
		cfg.Clients = 4
	}
	app, err := startScenarioApp(ctx, env, "debtlist")
	if err != nil {
		return nil, err
	}
	defer app.Close()

	// The read model is filled beside the running app: nothing projects
	// into it meanwhile.
	start := time.Now()
	p, err := fillPortfolio(ctx, app.Pool, cfg.Debts)
	if err != nil {
		return nil, fmt.Errorf("fill the read model: %w", err)
	}
	fillTook := time.Since(start)
	env.Say("debt list: read model filled", "debts", cfg.Debts, "took", fillTook.Round(time.Second))

	client := signin.Bearer(NewClient(cfg.Clients), app.Token)

	today := time.Now().UTC()
	kinds := []struct {
		name string
		url  func(r *rand.Rand) string
	}{
		{"status + min_days_past_due", func(r *rand.Rand) string {
			return fmt.Sprintf("status=%s&min_days_past_due=%d", openStatuses[r.IntN(len(openStatuses))], 30*(1+r.IntN(12)))
		}},
		{"creditor_id + status", func(r *rand.Rand) string {
			return fmt.Sprintf("creditor_id=%s&status=%s", p.creditors[r.IntN(len(p.creditors))], allStatuses[r.IntN(len(allStatuses))])
		}},
		{"wilaya + min_balance", func(r *rand.Rand) string {
			return fmt.Sprintf("wilaya=%d&min_balance=%d", 1+r.IntN(58), 100_000*(1+r.IntN(50)))
		}},
		{"agent_id + sort=due", func(r *rand.Rand) string {
			return fmt.Sprintf("agent_id=%s&status=amicable&sort=due", p.agents[r.IntN(len(p.agents))])
		}},
		{"type + due range", func(r *rand.Rand) string {
			from := today.AddDate(0, 0, -r.IntN(900))
			return fmt.Sprintf("type=%s&due_from=%s&due_to=%s", debtTypes[r.IntN(len(debtTypes))],
				from.Format(time.DateOnly), from.AddDate(0, 0, 30).Format(time.DateOnly))
		}},
	}
	base := app.URL + "/api/v1/debts?limit=50&"
	type sample struct {
		kind int
		d    time.Duration
	}
	// Warm-up: one pass of each kind, not measured.
	wr := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		if _, err := get(ctx, client, base+kinds[i%len(kinds)].url(wr)); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	samples := make([]sample, cfg.Requests)
	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	runStart := time.Now()
	for w := 0; w < cfg.Clients; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 7))
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Requests || ctx.Err() != nil {
					return
				}
				k := i % len(kinds)
				t0 := time.Now()
				if _, err := get(ctx, client, base+kinds[k].url(r)); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				samples[i] = sample{k, time.Since(t0)}
			}
		}(uint64(w) + 10)
	}
	wg.Wait()
	took := time.Since(runStart)
	if e := firstErr.Load(); e != nil {
		return nil, *e
	}
	sec := &Section{
		Title: "GET /api/v1/debts with two filters",
		Lead: fmt.Sprintf("%d debts of %d creditors and %d debtors in the read model (COPY, then VACUUM ANALYZE; %s); %d requests of limit 50 by %d concurrent clients, signed in as an agent, through the whole API.",
			cfg.Debts, len(p.creditors), p.debtors, fillTook.Round(time.Second), cfg.Requests, cfg.Clients),
	}
	tbl := Table{Title: "latency by filter", Header: []string{"filters", "requests", "p50", "p95", "p99", "max"}}
	var all []time.Duration
	for k, kind := range kinds {
		var ds []time.Duration
		for _, s := range samples {
			if s.kind == k {
				ds = append(ds, s.d)
			}
		}
		all = append(all, ds...)
		l := Summarise(ds)
		tbl.Rows = append(tbl.Rows, []string{kind.name, fmt.Sprint(l.N), ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max)})
	}
	l := Summarise(all)
	tbl.Rows = append(tbl.Rows, []string{"all", fmt.Sprint(l.N), ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max)})
	sec.Tables = append(sec.Tables, tbl)
	sec.Checks = append(sec.Checks, Check{
		Target:   fmt.Sprintf("p99 < %v with two filters on %d debts", debtListTarget, cfg.Debts),
		Measured: fmt.Sprintf("p99 %s (p50 %s), %.0f requests/s", ms(l.P99), ms(l.P50), float64(len(all))/took.Seconds()),
		Pass:     l.P99 < debtListTarget,
	})
	return sec, nil
}

func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return resp.StatusCode, nil
}

var (
	openStatuses = []string{"open", "amicable", "payment_plan", "legal", "on_hold"}
	allStatuses  = []string{"open", "amicable", "payment_plan", "legal", "on_hold", "recovered", "written_off", "withdrawn", "uncollectible"}
	// statusWeights make a realistic book: most files open or amicable,
	// a fifth recovered.
	statusWeights = []int{30, 25, 10, 5, 3, 20, 3, 2, 2}
	debtTypes     = []string{"commercial", "personal", "utility", "loan", "rent", "cheque", "other"}
)

type portfolio struct {
	creditors []string
	agents    []string
	debtors   int
}

// fillPortfolio writes creditors, debtors and debts straight into the read
// model with COPY, then analyzes the tables.
func fillPortfolio(ctx context.Context, pool *pgxpool.Pool, n int) (portfolio, error) {
	r := rand.New(rand.NewPCG(42, 42))
	p := portfolio{debtors: max(1000, n/5)}
	now := time.Now().UTC()
	for i := 0; i < 200; i++ {
		p.creditors = append(p.creditors, uuid.Must(uuid.NewV7()).String())
	}
	for i := 0; i < 50; i++ {
		p.agents = append(p.agents, uuid.Must(uuid.NewV7()).String())
	}
	var crows [][]any
	for i, id := range p.creditors {
		crows = append(crows, []any{id, fmt.Sprintf("C-B%05d", i), "active", fmt.Sprintf("Créancier %d", i), "SARL",
			fmt.Sprintf("%015d", i), "", "", 1 + i%58, "", "", "", "", 1000, false, fmt.Sprintf("creancier %d", i), int64(1), now, now})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"creditors"}, []string{"id", "ref", "status", "name", "legal_form", "nif", "rc",
		"sector", "wilaya", "address", "phone", "email", "contact_name", "commission_bps", "erased", "search", "version",
		"created_at", "updated_at"}, pgx.CopyFromRows(crows)); err != nil {
		return p, err
	}
	debtorIDs := make([]string, p.debtors)
	wilayas := make([]int, p.debtors)
	di := 0
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"debtors"}, []string{"id", "ref", "status", "kind", "full_name", "nin", "nif",
		"rc", "phones", "email", "address", "wilaya", "preferred_channel", "language", "erased", "search", "version",
		"created_at", "updated_at"}, pgx.CopyFromFunc(func() ([]any, error) {
		if di == len(debtorIDs) {
			return nil, nil
		}
		i := di
		di++
		id := uuid.Must(uuid.NewV7()).String()
		debtorIDs[i] = id
		name := fmt.Sprintf("Débiteur %d", i)
		wilayas[i] = 1 + r.IntN(58)
		return []any{id, fmt.Sprintf("D-B%07d", i), "active", "person", name, fmt.Sprintf("1099%014d", i), "", "",
			[]string{fmt.Sprintf("+2136%08d", i)}, "", "", wilayas[i], "sms", "ar", false, strings.ToLower(name),
			int64(1), now, now}, nil
	}))
	if err != nil {
		return p, err
	}
	total := 0
	for _, w := range statusWeights {
		total += w
	}
	left := n
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"debts"}, []string{"id", "ref", "creditor_id", "debtor_id", "external_ref",
		"type", "currency", "status", "previous_status", "hold_reason", "principal", "charges", "discount", "written_off",
		"paid", "credit", "balance", "acknowledged_on", "original_due_on", "current_due_on", "agent_id", "wilaya", "description",
		"last_payment_on", "version", "created_at", "updated_at"}, pgx.CopyFromFunc(func() ([]any, error) {
		if left == 0 {
			return nil, nil
		}
		left--
		i := n - left
		pick := r.IntN(total)
		status := allStatuses[0]
		for k, w := range statusWeights {
			if pick < w {
				status = allStatuses[k]
				break
			}
			pick -= w
		}
		principal := int64(10_000 + r.IntN(50_000_000))
		charges := int64(r.IntN(500_000))
		paid := int64(0)
		if r.IntN(3) == 0 {
			paid = int64(r.IntN(int(principal)))
		}
		balance := principal + charges - paid
		if status == "recovered" {
			paid, balance = principal+charges, 0
		}
		due := now.AddDate(0, 0, -r.IntN(1100)+60)
		var agent any
		if r.IntN(4) != 0 {
			agent = p.agents[r.IntN(len(p.agents))]
		}
		created := now.Add(-time.Duration(r.IntN(3*365*24)) * time.Hour)
		d := r.IntN(len(debtorIDs))
		return []any{uuid.Must(uuid.NewV7()).String(), fmt.Sprintf("F-B%07d", i), p.creditors[r.IntN(len(p.creditors))],
			debtorIDs[d], fmt.Sprintf("EXT-%d", i), debtTypes[r.IntN(len(debtTypes))], "DZD", status, "",
			"", principal, charges, int64(0), int64(0), paid, int64(0), balance, nil, due, due, agent, wilayas[d], "", nil, int64(1),
			created, created}, nil
	}))
	if err != nil {
		return p, err
	}
	// As autovacuum leaves a table that has settled: statistics and the
	// visibility map.
	_, err = pool.Exec(ctx, "VACUUM ANALYZE creditors, debtors, debts")
	return p, err
}
