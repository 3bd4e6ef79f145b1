package projections_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/projections"
	"github.com/adc-dz/tahsil/store"
)

// legalLife works the legal procedures of one debt through the real
// decider, folding the same commands locally with the domain's own decide
// and evolve, so the test knows what the read model must hold.
type legalLife struct {
	p     *portfolio
	rng   *rand.Rand
	state collection.DebtState
	steps int
}

func (l *legalLife) do(ctx context.Context, cmd collection.Command) error {
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	evs, err := collection.Handle(b, l.state, collection.AnyVersion, cmd)
	if err != nil {
		return fmt.Errorf("%T decided locally: %w", cmd, err)
	}
	if err := l.p.submit(ctx, l.state.ID, cmd); err != nil {
		return err
	}
	l.state = collection.Fold(b, l.state, evs...).(collection.DebtState)
	for _, e := range evs {
		if _, ok := e.(collection.LegalStepRecorded); ok {
			l.steps++
		}
	}
	return nil
}

func newUUID() string { return uuid.Must(uuid.NewV7()).String() }

// live opens a debt, escalates it, and works one or two procedures along
// random paths of their step machines, some steps with a cost.
func (l *legalLife) live(ctx context.Context, n int) error {
	maker, checker := newUUID(), newUUID()
	today := collection.DateOf(2030, time.January, 1)
	id := newUUID()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	l.state = b.New(id).(collection.DebtState)
	if err := l.do(ctx, collection.OpenDebt{ID: id, Ref: fmt.Sprintf("F-L%05d", n), CreditorID: newUUID(), DebtorID: newUUID(),
		ExternalRef: fmt.Sprintf("LEGAL-%d", n), Type: collection.DebtTypeCommercial, Principal: 5_000_000,
		Currency: collection.DebtCurrency, OriginalDueOn: collection.DateOf(2024, time.January, 31), By: maker}); err != nil {
		return err
	}
	proposal := newUUID()
	if err := l.do(ctx, collection.ProposeAction{ID: id, ProposalID: proposal, Action: collection.ActionEscalateLegal,
		Reason: "no answer", By: maker}); err != nil {
		return err
	}
	if err := l.do(ctx, collection.DecideProposal{ID: id, ProposalID: proposal, Approve: true, By: checker}); err != nil {
		return err
	}
	for range 1 + l.rng.IntN(2) {
		kind := pick(l.rng, collection.LegalKinds())
		on := collection.DateOf(2024, time.March, 3).AddDays(7 * l.rng.IntN(20)) // a Sunday
		open := collection.OpenLegalProcedure{ID: id, ProcedureID: newUUID(), Kind: kind, Court: "Tribunal de Blida",
			ClaimedAmount: 5_000_000, OpenedOn: on, Today: today, By: maker}
		if err := l.do(ctx, open); err != nil {
			return err
		}
		step, judgment := collection.LegalStepOpened, ""
		for k := 0; k < 12 && step != collection.LegalStepClosed; k++ {
			next := collection.LegalNextSteps(kind, step, judgment)
			// Close late rather than early, so that most paths go deep.
			if len(next) > 1 && k < 8 {
				next = next[:len(next)-1]
			}
			step = pick(l.rng, next)
			on = on.AddDays(14)
			c := collection.RecordLegalStep{ID: id, ProcedureID: open.ProcedureID, StepID: newUUID(), Step: step, On: on,
				Today: today, By: maker}
			switch step {
			case collection.LegalStepHearingScheduled:
				c.Details.HearingOn = collection.LegalCalendar(nil, on).NextBusinessDay(on.AddDays(7))
				c.Details.Room = "salle 1"
			case collection.LegalStepJudgment:
				judgment = pick(l.rng, collection.JudgmentOutcomes())
				c.Details.Outcome = judgment
				if judgment != collection.JudgmentLost {
					c.Details.AmountAwarded = 4_000_000
				}
			case collection.LegalStepAppeal:
				c.Details.Court, c.Details.CaseNumber = "Cour de Blida", fmt.Sprintf("%d/%d", n, k)
			case collection.LegalStepClosed:
				c.Details.Outcome = pick(l.rng, collection.LegalOutcomes())
			}
			if l.rng.IntN(3) == 0 {
				c.Cost = int64(10_000 * (1 + l.rng.IntN(50)))
				c.DocumentIDs = []string{newUUID()}
			}
			if err := l.do(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestRebuildLegalEqualsIncremental works legal procedures of every kind
// through the real decider, then checks the legal read model against the
// domain's own state (steps, costs, open deadlines), and that rebuilding
// it alone, then every projection, gives the same tables byte for byte:
// the rebuild meets a procedure's events in one batch where the runners
// met them one by one.
func TestRebuildLegalEqualsIncremental(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	pool := app.Pool
	p := newPortfolio(app)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rng := rand.New(rand.NewPCG(8, 8))
	var lives []*legalLife
	steps := 0
	for n := range 40 {
		l := &legalLife{p: p, rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(n)))}
		if err := l.live(ctx, n); err != nil {
			t.Fatalf("debt %d: %v", n, err)
		}
		lives = append(lives, l)
		steps += l.steps
	}
	waitApplied(t, pool, p.ends())

	q := store.New(pool)
	if got := rowCount(t, pool, "SELECT count(*) FROM legal_steps"); got != steps {
		t.Fatalf("%d legal steps, the decider recorded %d", got, steps)
	}
	kinds, closed := map[string]bool{}, 0
	for _, l := range lives {
		procs, err := q.LegalProceduresOfDebt(ctx, l.state.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := l.state.LegalProcedures()
		if len(procs) != len(want) {
			t.Fatalf("debt %s: %d procedures, want %d", l.state.ID, len(procs), len(want))
		}
		var ids []string
		for _, pr := range procs {
			ids = append(ids, pr.ID)
		}
		deadlines, err := q.LegalDeadlinesOfProcedures(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range procs {
			i := slices.IndexFunc(want, func(w collection.LegalProcedure) bool { return w.ID == pr.ID })
			if i < 0 {
				t.Fatalf("procedure %s is not the decider's", pr.ID)
			}
			w := want[i]
			kinds[w.Kind] = true
			if w.Closed() {
				closed++
			}
			if pr.Step != w.Step || int(pr.Steps) != w.Steps || pr.Costs != w.Costs || pr.Court != w.Court ||
				pr.CaseNumber != w.CaseNumber || pr.Judgment != w.Judgment || pr.Appealed != w.Appealed ||
				pr.Outcome != w.Outcome || (pr.Status == "closed") != w.Closed() {
				t.Errorf("procedure %s: %+v\nwant %+v", pr.ID, pr, w)
			}
			var open []string
			for _, d := range deadlines {
				if d.ProcedureID == pr.ID && d.Status == "open" {
					open = append(open, fmt.Sprintf("%d/%s/%s", d.Seq, d.Name, d.DueOn.Format(time.DateOnly)))
					if d.ID != projections.LegalDeadlineID(pr.ID, int(d.Seq), d.Name) {
						t.Errorf("deadline id %s", d.ID)
					}
				}
			}
			var wantOpen []string
			for _, d := range w.Deadlines {
				wantOpen = append(wantOpen, fmt.Sprintf("%d/%s/%s", d.Seq, d.Name, d.Due))
			}
			slices.Sort(open)
			slices.Sort(wantOpen)
			if !slices.Equal(open, wantOpen) {
				t.Errorf("procedure %s (%s at %s): open deadlines %v, want %v", pr.ID, w.Kind, w.Step, open, wantOpen)
			}
		}
		if d, err := q.DebtsGetMany(ctx, []string{l.state.ID}); err != nil || len(d) != 1 || d[0].Balance != l.state.Balance() {
			t.Errorf("debt %s: %+v, %v; balance want %d", l.state.ID, d, err, l.state.Balance())
		}
	}
	if len(kinds) != len(collection.LegalKinds()) || closed == 0 {
		t.Errorf("kinds worked %v, %d procedures closed: the lives are too short", kinds, closed)
	}
	if rowCount(t, pool, "SELECT count(*) FROM legal_deadlines WHERE status = 'ended'") == 0 ||
		rowCount(t, pool, "SELECT count(*) FROM legal_deadlines WHERE status = 'open'") == 0 {
		t.Error("no deadline ended, or none open")
	}
	t.Logf("%d debts, %d legal steps, %d events", len(lives), steps, p.eventCount())

	incremental := dumpReadModels(t, pool)
	for _, names := range [][]string{{"legal"}, nil} {
		res := rebuild(t, app, names...)
		if len(res.Failures) > 0 {
			t.Fatalf("rebuild of %v stopped: %+v", names, res.Failures)
		}
		requireSameDumps(t, fmt.Sprintf("rebuild of %v", names), incremental, dumpReadModels(t, pool))
	}
	if s := string(incremental["legal_steps"]); !strings.Contains(s, "{") {
		t.Errorf("no document ids in legal_steps: %.200s", s)
	}
}
