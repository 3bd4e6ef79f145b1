package projections_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
)

// planTables are the tables of the plans projection, with their dump order.
var planTables = []struct{ table, key string }{
	{"payment_plans", "id"},
	{"plan_payments", "plan_id, payment_id"},
	{"promises", "id"},
}

// TestPlansRebuildEqualsIncremental sets, revises and pays plans and
// makes promises through the decider, then rebuilds the plans projection
// alone, in one batch and one record per batch: a plan superseded in the
// batch that set it, or in a later one, must come out byte for byte as
// incremental application left it.
func TestPlansRebuildEqualsIncremental(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	ctx := context.Background()
	ends := map[int32]int64{}
	submit := func(id string, cmd collection.Command) {
		t.Helper()
		out, err := submitCommand(ctx, app, id, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != events.Accepted {
			t.Fatalf("%s rejected: %+v", out.CommandType, out.Rejection)
		}
		if out.EventCount > 0 && out.LastOffset > ends[out.Partition] {
			ends[out.Partition] = out.LastOffset
		}
	}
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	algiers, err := time.LoadLocation("Africa/Algiers")
	if err != nil {
		t.Fatal(err)
	}
	today := collection.DateIn(time.Now(), algiers)
	cal := collection.PlanCalendar(today, nil, nil)
	schedule := func(balance int64, count int) []collection.Instalment {
		t.Helper()
		inst, err := collection.ProposeSchedule(cal, balance, cal.NextBusinessDay(today.AddDays(3)), count, collection.Period{Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		return inst
	}
	by := newID()
	const debts = 6
	for i := range debts {
		id := newID()
		submit(id, collection.OpenDebt{ID: id, Ref: fmt.Sprintf("F-PLAN%02d", i), CreditorID: newID(), DebtorID: newID(),
			ExternalRef: fmt.Sprintf("PLAN-%d", i), Type: collection.DebtTypeLoan, Principal: 3_000_000,
			Currency: collection.DebtCurrency, OriginalDueOn: today, By: by})
		set := collection.SetPlan{ID: id, PlanID: newID(), Instalments: schedule(3_000_000, 3), Today: today,
			MinInstalment: collection.DefaultMinInstalment, By: by}
		submit(id, set)
		pay := func(amount int64) {
			submit(id, collection.RecordPayment{ID: id, PaymentID: newID(), Amount: amount, ValueDate: today,
				Method: collection.PaymentMethodCash, By: by})
		}
		pay(500_000)
		if i%2 == 0 {
			// Revised at once, then revised again after a payment.
			submit(id, collection.SetPlan{ID: id, PlanID: newID(), Instalments: schedule(2_500_000, 2), Reason: "révision",
				Today: today, By: by})
			pay(250_000)
			submit(id, collection.SetPlan{ID: id, PlanID: newID(), Instalments: schedule(2_250_000, 4), Reason: "révision",
				Today: today, By: by})
		}
		submit(id, collection.MakePromise{ID: id, PromiseID: newID(), Amount: 100_000, Due: today.AddDays(5), Today: today, By: by})
	}
	waitApplied(t, app.Pool, ends, "plans")

	pool := app.Pool
	if got, want := rowCount(t, pool, "SELECT count(*) FROM payment_plans"), debts+debts; got != want {
		t.Fatalf("%d plans, want %d", got, want)
	}
	if got := rowCount(t, pool, "SELECT count(*) FROM payment_plans WHERE status = 'active'"); got != debts {
		t.Fatalf("%d current plans, want one per debt (%d)", got, debts)
	}
	if got := rowCount(t, pool, "SELECT count(*) FROM payment_plans WHERE status = 'superseded' AND superseded_at IS NOT NULL"); got != debts {
		t.Fatalf("%d superseded plans, want %d", got, debts)
	}
	// Each payment counts for the plan current when it was recorded.
	if got, want := rowCount(t, pool, "SELECT count(*) FROM plan_payments"), debts+debts/2; got != want {
		t.Fatalf("%d plan payments, want %d", got, want)
	}
	if got := rowCount(t, pool, `SELECT count(*) FROM plan_payments pp JOIN payment_plans p ON p.id = pp.plan_id
		JOIN payments x ON x.id = pp.payment_id WHERE x.debt_id <> p.debt_id`); got != 0 {
		t.Fatalf("%d payments linked to another debt's plan", got)
	}
	if got := rowCount(t, pool, `SELECT count(*) FROM promises pr JOIN debts d ON d.id = pr.debt_id
		WHERE pr.creditor_id = d.creditor_id AND pr.debtor_id = d.debtor_id`); got != debts {
		t.Fatalf("%d promises with their debt's parties, want %d", got, debts)
	}
	incremental := dumpPlans(t, app)

	for _, size := range []int{500, 1} {
		res, err := projections.Rebuild(ctx, projections.RebuildConfig{
			Brokers: app.Brokers, Pool: pool, Projections: []projections.Projection{projections.Plans{}},
			Registry: app.Registry, BatchSize: size,
		})
		if err != nil {
			t.Fatalf("rebuild in batches of %d: %v", size, err)
		}
		if len(res.Failures) > 0 {
			t.Fatalf("rebuild in batches of %d stopped: %+v", size, res.Failures)
		}
		got := dumpPlans(t, app)
		for _, tb := range planTables {
			if !bytes.Equal(incremental[tb.table], got[tb.table]) {
				t.Errorf("rebuild in batches of %d: %s differs\nincremental:\n%s\nrebuilt:\n%s", size, tb.table,
					incremental[tb.table], got[tb.table])
			}
		}
	}
}

func dumpPlans(t testing.TB, app *apptest.App) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, tb := range planTables {
		out[tb.table] = dumpTable(t, app.Pool, tb.table, tb.key)
	}
	return out
}
