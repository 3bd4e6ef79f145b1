package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Plan statuses in payment_plans: the current plan of its debt, or one a
// later plan replaced. Whether a plan is active, completed or broken in
// the collection sense is derived at read time (collection.PlanStatus).
const (
	planStored     = "active"
	planSuperseded = "superseded"
)

// Plans projects the debt aggregate's payment plans and promises to pay
// into payment_plans, plan_payments and promises. It stores facts only:
// the instalments and promises as agreed, and which payments each plan
// counts (those recorded while it was the debt's current plan, linked in
// log order). Where an instalment or a promise stands depends on the day
// and is derived at read time, from these rows and the payments, so a
// rebuild answers the same.
//
// Hazard: the creditor and debtor of a plan or promise are read from the
// debts table, written earlier in the same transaction by Debts, which
// must therefore come before Plans in ForEvents. They never change after
// the debt is opened, so a rebuild of Plans alone reads the same values.
type Plans struct{}

// Name implements Projection.
func (Plans) Name() string { return "plans" }

// Tables implements Projection.
func (Plans) Tables() []string { return []string{"payment_plans", "plan_payments", "promises"} }

// planBatch collects a batch's writes.
type planBatch struct {
	plans     store.PlansInsertParams
	pending   map[string]int // plan id → its index in plans
	supersede store.PlansSupersedeParams
	links     store.PlanPaymentsInsertParams
	promises  store.PromisesInsertParams
}

// Apply implements Projection.
func (Plans) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	var partyIDs, planDebtIDs []string
	seenParty, seenPlan := map[string]bool{}, map[string]bool{}
	addID := func(ids *[]string, seen map[string]bool, id string) {
		if !seen[id] {
			seen[id] = true
			*ids = append(*ids, id)
		}
	}
	for _, r := range recs {
		switch e := r.Event.(type) {
		case collection.PlanSet:
			addID(&partyIDs, seenParty, e.ID)
			addID(&planDebtIDs, seenPlan, e.ID)
		case collection.PromiseMade:
			addID(&partyIDs, seenParty, e.ID)
		case collection.PaymentRecorded:
			addID(&planDebtIDs, seenPlan, e.ID)
		}
	}
	if len(partyIDs) == 0 && len(planDebtIDs) == 0 {
		return nil
	}
	q := store.New(tx)
	parties := map[string]store.PlanDebtPartiesRow{}
	if len(partyIDs) > 0 {
		rows, err := q.PlanDebtParties(ctx, partyIDs)
		if err != nil {
			return fmt.Errorf("load debts of plans: %w", err)
		}
		for _, row := range rows {
			parties[row.ID] = row
		}
	}
	active := map[string]string{} // debt id → its current plan
	if len(planDebtIDs) > 0 {
		rows, err := q.PlansActiveOfDebts(ctx, planDebtIDs)
		if err != nil {
			return fmt.Errorf("load current plans: %w", err)
		}
		for _, row := range rows {
			active[row.DebtID] = row.ID
		}
	}

	b := planBatch{pending: map[string]int{}}
	for _, r := range recs {
		switch e := r.Event.(type) {
		case collection.PlanSet:
			party, ok := parties[e.ID]
			if !ok {
				return failAt(r, fmt.Errorf("debt %s is not in the debts read model (the debts projection applies first)", e.ID))
			}
			if cur := active[e.ID]; cur != e.Supersedes {
				return failAt(r, fmt.Errorf("plan %s supersedes %q but the current plan of debt %s is %q",
					e.PlanID, e.Supersedes, e.ID, cur))
			}
			if err := b.set(e, party, r); err != nil {
				return failAt(r, err)
			}
			active[e.ID] = e.PlanID
		case collection.PromiseMade:
			party, ok := parties[e.ID]
			if !ok {
				return failAt(r, fmt.Errorf("debt %s is not in the debts read model (the debts projection applies first)", e.ID))
			}
			p := &b.promises
			p.ID = append(p.ID, e.PromiseID)
			p.DebtID = append(p.DebtID, e.ID)
			p.CreditorID = append(p.CreditorID, party.CreditorID)
			p.DebtorID = append(p.DebtorID, party.DebtorID)
			p.Amount = append(p.Amount, e.Amount)
			p.DueOn = append(p.DueOn, e.Due.Time())
			p.MadeOn = append(p.MadeOn, e.MadeOn.Time())
			p.MadeBy = append(p.MadeBy, e.By)
			p.MadeAt = append(p.MadeAt, r.Env.OccurredAt)
		case collection.PaymentRecorded:
			if plan := active[e.ID]; plan != "" {
				b.links.PlanID = append(b.links.PlanID, plan)
				b.links.PaymentID = append(b.links.PaymentID, e.PaymentID)
			}
		}
	}
	return b.write(ctx, q)
}

// set adds a plan, superseding the debt's current one: in this batch's
// rows when it was set in this batch, else in the table.
func (b *planBatch) set(e collection.PlanSet, party store.PlanDebtPartiesRow, r Record) error {
	at := r.Env.OccurredAt
	if e.Supersedes != "" {
		if i, ok := b.pending[e.Supersedes]; ok {
			b.plans.Status[i] = planSuperseded
			// Microseconds, truncated as pgx writes a time.Time: a rebuild
			// that meets both events in different batches stores the same.
			b.plans.SupersededAt[i] = at.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
		} else {
			b.supersede.ID = append(b.supersede.ID, e.Supersedes)
			b.supersede.At = append(b.supersede.At, at)
		}
	}
	inst, err := json.Marshal(e.Instalments)
	if err != nil {
		return fmt.Errorf("encode instalments: %w", err)
	}
	var total int64
	for _, in := range e.Instalments {
		total += in.Amount
	}
	p := &b.plans
	b.pending[e.PlanID] = len(p.ID)
	p.ID = append(p.ID, e.PlanID)
	p.DebtID = append(p.DebtID, e.ID)
	p.CreditorID = append(p.CreditorID, party.CreditorID)
	p.DebtorID = append(p.DebtorID, party.DebtorID)
	p.Status = append(p.Status, planStored)
	p.Instalments = append(p.Instalments, string(inst))
	p.Total = append(p.Total, total)
	p.Reason = append(p.Reason, e.Reason)
	p.Supersedes = append(p.Supersedes, e.Supersedes)
	p.SetOn = append(p.SetOn, e.SetOn.Time())
	p.SetBy = append(p.SetBy, e.By)
	p.SetAt = append(p.SetAt, at)
	p.SupersededAt = append(p.SupersededAt, "")
	return nil
}

// write stores the batch: the superseded plans first, so that a debt never
// has two current plans (a unique index holds it to one).
func (b *planBatch) write(ctx context.Context, q *store.Queries) error {
	if n := len(b.supersede.ID); n > 0 {
		done, err := q.PlansSupersede(ctx, b.supersede)
		if err != nil {
			return fmt.Errorf("supersede plans: %w", err)
		}
		if done != int64(n) {
			return fmt.Errorf("supersede plans: %d of %d were current", done, n)
		}
	}
	if len(b.plans.ID) > 0 {
		if err := q.PlansInsert(ctx, b.plans); err != nil {
			return fmt.Errorf("write plans: %w", err)
		}
	}
	if len(b.links.PlanID) > 0 {
		if err := q.PlanPaymentsInsert(ctx, b.links); err != nil {
			return fmt.Errorf("write plan payments: %w", err)
		}
	}
	if len(b.promises.ID) > 0 {
		if err := q.PromisesInsert(ctx, b.promises); err != nil {
			return fmt.Errorf("write promises: %w", err)
		}
	}
	return nil
}
