package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/adc-dz/tahsil/internal/signin"
)

// PaymentsConfig configures the payment-recording scenario.
type PaymentsConfig struct {
	// Payments recorded (default 3,000) by Clients concurrent clients
	// (default 32) over Debts case files (default 256).
	Payments, Clients, Debts int
}

// RunPayments times POST /api/v1/debts/{id}/payments at 32 clients: each
// payment is a command on its debt, decided, projected and answered from
// the read model, like any write.
func RunPayments(ctx context.Context, env *Env, cfg PaymentsConfig) (*Section, error) {
	if cfg.Payments == 0 {
		cfg.Payments = 3000
	}
	if cfg.Clients == 0 {
		cfg.Clients = 32
	}
	if cfg.Debts == 0 {
		cfg.Debts = 256
	}
	app, err := startScenarioApp(ctx, env, "paybench")
	if err != nil {
		return nil, err
	}
	defer app.Close()
	client := signin.Bearer(NewClient(cfg.Clients), app.Token)

	var cred, debtor struct{ ID string }
	if err := postJSON(ctx, client, app.URL+"/api/v1/creditors", map[string]any{
		"name": "Algérie Télécom", "legal_form": "SPA", "nif": "000016001234567", "wilaya": 16}, &cred); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(Debtor(1))
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	if err := postJSON(ctx, client, app.URL+"/api/v1/debtors", in, &debtor); err != nil {
		return nil, err
	}
	debts := make([]string, cfg.Debts)
	for i := range debts {
		var d struct{ ID string }
		if err := postJSON(ctx, client, app.URL+"/api/v1/debts", map[string]any{
			"creditor_id": cred.ID, "debtor_id": debtor.ID, "external_ref": fmt.Sprintf("AT-%05d", i), "type": "utility",
			"principal": 1_000_000_000, "original_due_on": "2026-01-31"}, &d); err != nil {
			return nil, err
		}
		debts[i] = d.ID
	}
	today := time.Now().UTC().Add(-24 * time.Hour).Format(time.DateOnly) // never in Algiers' future
	bodies := make([][]byte, cfg.Payments)
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]any{"amount": 10_000 + i%5000, "value_date": today,
			"method": "baridimob", "reference": fmt.Sprintf("BM-%08d", i)})
	}
	lat := make([]time.Duration, cfg.Payments)
	var next, bad atomic.Int64
	var firstErr atomic.Pointer[string]
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < cfg.Clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Payments || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				code, msg := post(ctx, client, app.URL+"/api/v1/debts/"+debts[i%len(debts)]+"/payments", bodies[i])
				lat[i] = time.Since(t0)
				if code != http.StatusCreated {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, &msg)
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if n := bad.Load(); n > 0 {
		return nil, fmt.Errorf("%d payments not created; first: %s", n, *firstErr.Load())
	}
	l := Summarise(lat)
	rate := float64(cfg.Payments) / took.Seconds()
	return &Section{
		Title: "Payment recording",
		Lead: fmt.Sprintf("%d payments over %d debts by %d concurrent clients, each answered 201 from the read model (read-your-writes).",
			cfg.Payments, cfg.Debts, cfg.Clients),
		Tables: []Table{{Title: "result", Header: []string{"payments", "clients", "payments/s", "p50", "p95", "p99"},
			Rows: [][]string{{fmt.Sprint(cfg.Payments), fmt.Sprint(cfg.Clients), fmt.Sprintf("%.0f", rate), ms(l.P50), ms(l.P95), ms(l.P99)}}}},
		Checks: []Check{{Target: fmt.Sprintf("payment recording throughput at %d clients (measured, no target)", cfg.Clients),
			Measured: fmt.Sprintf("%.0f payments/s, p99 %s", rate, ms(l.P99)), Pass: true}},
	}, nil
}
