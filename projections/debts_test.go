package projections_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestRebuildDebtsEqualsIncremental builds a portfolio of ten thousand
// debts (scaled(10_000): TAHSIL_TEST_SCALE makes it larger; -short makes
// it a thousand), worked through the real decider with every kind of
// event, while a runner applies them. The read model must then be exact:
// each debt's totals as the decider's ledger has them, paid the sum of its
// payments not reversed, one row per event. Rebuilding the debts
// projection alone from offset zero, then every projection, must give the
// same tables byte for byte.
func TestRebuildDebtsEqualsIncremental(t *testing.T) {
	t.Parallel()
	debts, debtors := scaled(10_000), scaled(600)
	if testing.Short() {
		debts, debtors = 1_000, 100
	}
	// The runner of tahsil.events only: the outcomes' runner has nothing
	// to do with this test and would take a share of two busy cores.
	app := apptest.Start(t, apptest.Options{NoProjections: true})
	pool := app.Pool
	startRunner(t, eventRunnerConfig(app, "", nil), nil)
	p := newPortfolio(app)
	start := time.Now()
	p.generate(t, portfolioSpec{Creditors: scaled(40), Debtors: debtors, Debts: debts, Workers: 32, Seed: 21})
	if len(p.debts) != debts {
		t.Fatalf("%d debts generated, want %d", len(p.debts), debts)
	}
	waitApplied(t, pool, p.ends())
	t.Logf("%d debts, %d events generated and applied incrementally in %s",
		len(p.debts), p.eventCount(), time.Since(start).Round(time.Millisecond))

	// Every kind of event and case the projection handles happened (in a
	// full-size portfolio: a small one may miss the rarest).
	var tally []string
	for k, v := range p.debtTally {
		tally = append(tally, fmt.Sprintf("%s: %d", k, v))
	}
	slices.Sort(tally)
	t.Logf("debt events and cases:\n  %s", strings.Join(tally, "\n  "))
	for _, want := range []string{
		"debt.opened", "debt.assigned", "debt.rescheduled", "debt.charge_added", "debt.payment_recorded",
		"debt.payment_reversed", "debt.action_proposed", "debt.proposal_approved", "debt.proposal_refused",
		"debt.discount_granted", "debt.written_off", "payment with credit", "payment backdated", "cheque presented again",
		"approved write_off", "approved settlement", "approved escalate_legal",
		"refused write_off", "refused settlement", "refused escalate_legal",
		"status open → amicable", "status amicable → payment_plan", "status payment_plan → amicable",
		"status amicable → on_hold", "status on_hold → amicable", "status on_hold → legal", "status on_hold → recovered",
		"status recovered → on_hold", "status recovered → amicable", "status open → recovered",
		"status legal → recovered", "status open → withdrawn", "status legal → uncollectible", "status amicable → written_off",
	} {
		if p.debtTally[want] == 0 && !testing.Short() {
			t.Errorf("the portfolio has no %q", want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	checkConsistent(t, pool)
	checkDebtStates(t, pool, p)
	if got, want := rowCount(t, pool, "SELECT count(*) FROM payments"), p.debtTally["debt.payment_recorded"]; got != want {
		t.Fatalf("%d payments, the decider recorded %d", got, want)
	}
	if got, want := rowCount(t, pool, "SELECT count(*) FROM debt_proposals WHERE status = 'pending'"),
		p.debtTally["debt.action_proposed"]-p.debtTally["debt.proposal_approved"]-p.debtTally["debt.proposal_refused"]; got != want {
		t.Fatalf("%d pending proposals, want %d", got, want)
	}
	incremental := dumpReadModels(t, pool)
	offsetsBefore := offsets(t, pool, eventProjections...)

	for _, names := range [][]string{{"debts"}, nil} {
		start := time.Now()
		res := rebuildInBatches(t, app, 10_000, names...)
		took := time.Since(start)
		if len(res.Failures) > 0 {
			t.Fatalf("rebuild of %v stopped: %+v", names, res.Failures)
		}
		if res.Records < int64(p.eventCount()) {
			t.Fatalf("rebuild of %v read %d records, the log has at least %d events", names, res.Records, p.eventCount())
		}
		t.Logf("rebuilt %v from %d records in %s (%.0f records/s)", names, res.Records, took.Round(time.Millisecond),
			float64(res.Records)/took.Seconds())
		requireSameDumps(t, fmt.Sprintf("rebuild of %v", names), incremental, dumpReadModels(t, pool))
		if got := offsets(t, pool, eventProjections...); fmt.Sprint(got) != fmt.Sprint(offsetsBefore) {
			t.Fatalf("offsets after the rebuild of %v %v, before %v", names, got, offsetsBefore)
		}
	}
	checkConsistent(t, pool)
}
