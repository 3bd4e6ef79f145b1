package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Debts projects the debt aggregate into debts (the case file with its
// running totals), payments and debt_proposals. Amounts follow each event's
// own allocation, as the decider computed it; the balance is derived from
// the totals with the aggregate's identity:
// balance = principal + charges − discount − written_off − paid + credit.
// Descriptions and notes are opened with the debtor's data key
// (debtTexts), and blanked when the debtor is erased.
type Debts struct{ personal Personal }

// NewDebts returns the debts projection; p opens the texts.
func NewDebts(p Personal) *Debts { return &Debts{personal: p} }

// Name implements Projection.
func (*Debts) Name() string { return "debts" }

// Tables implements Projection.
func (*Debts) Tables() []string {
	return []string{"debts", "payments", "debt_proposals", "debt_debtor_wilayas"}
}

// debtBatch collects a batch's writes to the payment and proposal tables.
type debtBatch struct {
	payments  store.PaymentsUpsertParams
	reversals store.PaymentsReverseParams
	proposals store.ProposalsUpsertParams
	decisions store.ProposalsDecideParams
	// reversedDebts have had a payment reversed: their last payment date is
	// recomputed once the payments are written.
	reversedDebts []string
	// wilayas is each debtor's wilaya as known after this batch's debtor
	// events, for the debts it opens.
	wilayas map[string]int32
	texts   *debtTexts
}

// Apply implements Projection.
func (d *Debts) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	q := store.New(tx)
	b := debtBatch{wilayas: map[string]int32{}}
	changed, err := b.debtorWilayas(ctx, q, recs)
	if err != nil {
		return err
	}
	if b.texts, err = loadDebtTexts(ctx, q, d.personal, recs,
		collection.DebtOpened{}.EventType(), collection.PaymentRecorded{}.EventType()); err != nil {
		return err
	}
	err = foldParties(ctx, tx, noPersonal{}, recs, partyFold[store.Debt]{
		agg: collection.DebtAggregate,
		load: func(ctx context.Context, q *store.Queries, ids []string) ([]store.Debt, error) {
			return q.DebtsGetMany(ctx, ids)
		},
		idOf:    func(r *store.Debt) string { return r.ID },
		version: func(r *store.Debt) int64 { return r.Version },
		apply: func(ctx context.Context, row *store.Debt, r Record) (*store.Debt, error) {
			return b.apply(ctx, row, r)
		},
		finish: func(row *store.Debt, r Record) {
			row.Version, row.UpdatedAt = r.Env.Aggregate.Version, r.Env.OccurredAt
			row.Balance = row.Principal + row.Charges - row.Discount - row.WrittenOff - row.Paid + row.Credit
		},
		write: writeDebts,
	})
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		if err := q.DebtsSetWilaya(ctx, changed); err != nil {
			return fmt.Errorf("write debts' wilayas: %w", err)
		}
	}
	if len(b.payments.ID) > 0 {
		if err := q.PaymentsUpsert(ctx, b.payments); err != nil {
			return fmt.Errorf("write payments: %w", err)
		}
	}
	if len(b.reversals.ID) > 0 {
		if err := q.PaymentsReverse(ctx, b.reversals); err != nil {
			return fmt.Errorf("write reversals: %w", err)
		}
		if err := q.DebtsRefreshLastPayment(ctx, b.reversedDebts); err != nil {
			return fmt.Errorf("refresh last payments: %w", err)
		}
	}
	if len(b.proposals.ID) > 0 {
		if err := q.ProposalsUpsert(ctx, b.proposals); err != nil {
			return fmt.Errorf("write proposals: %w", err)
		}
	}
	if len(b.decisions.ID) > 0 {
		if err := q.ProposalsDecide(ctx, b.decisions); err != nil {
			return fmt.Errorf("write proposal decisions: %w", err)
		}
	}
	return eraseDebtTexts(ctx, recs, q.DebtsEraseDescriptions, q.PaymentsEraseNotes)
}

// debtorWilayas records the wilaya of every debtor this batch registers or
// moves, and loads the known wilayas of the debtors whose debts it opens.
// It returns the debtors whose wilaya changed, whose existing debts are
// updated after the fold.
func (b *debtBatch) debtorWilayas(ctx context.Context, q *store.Queries, recs []Record) ([]string, error) {
	var up store.DebtorWilayasUpsertParams
	var opened []string
	for _, r := range recs {
		switch e := r.Event.(type) {
		case collection.DebtorRegistered:
			b.wilayas[e.ID] = int32(e.Profile.Wilaya)
		case collection.DebtorUpdated:
			if e.Changes.Wilaya != nil {
				b.wilayas[e.ID] = int32(*e.Changes.Wilaya)
			}
		case collection.DebtOpened:
			opened = append(opened, e.DebtorID)
		}
	}
	changed := make([]string, 0, len(b.wilayas))
	for id, w := range b.wilayas {
		up.DebtorID = append(up.DebtorID, id)
		up.Wilaya = append(up.Wilaya, w)
		changed = append(changed, id)
	}
	if len(changed) > 0 {
		if err := q.DebtorWilayasUpsert(ctx, up); err != nil {
			return nil, fmt.Errorf("write debtor wilayas: %w", err)
		}
	}
	if len(opened) > 0 {
		known, err := q.DebtorWilayasGet(ctx, opened)
		if err != nil {
			return nil, fmt.Errorf("read debtor wilayas: %w", err)
		}
		for _, k := range known {
			if _, ok := b.wilayas[k.DebtorID]; !ok {
				b.wilayas[k.DebtorID] = k.Wilaya
			}
		}
	}
	return changed, nil
}

func (b *debtBatch) apply(ctx context.Context, row *store.Debt, r Record) (*store.Debt, error) {
	at := r.Env.OccurredAt
	text, erased, err := b.texts.open(ctx, r)
	if err != nil {
		return nil, err
	}
	if e, ok := r.Event.(collection.DebtOpened); ok {
		if row != nil {
			return nil, fmt.Errorf("debt %s opened twice", e.ID)
		}
		return &store.Debt{
			ID: e.ID, Ref: e.Ref, CreditorID: e.CreditorID, DebtorID: e.DebtorID, ExternalRef: e.ExternalRef,
			Type: e.Type, Currency: e.Currency, Status: e.Status, Principal: e.Principal, Charges: e.Fees,
			AcknowledgedOn: datePtr(e.AcknowledgedOn), OriginalDueOn: e.OriginalDueOn.Time(),
			CurrentDueOn: e.CurrentDueOn.Time(), Description: text.Description, DescriptionErased: erased, CreatedAt: at,
			Wilaya: wilayaPtr(b.wilayas, e.DebtorID),
		}, nil
	}
	if row == nil {
		return nil, fmt.Errorf("%s before the debt was opened", r.Env.Type)
	}
	switch e := r.Event.(type) {
	case collection.DebtStatusChanged:
		row.PreviousStatus, row.Status = e.From, e.To
		switch {
		case e.To == collection.DebtStatusOnHold && e.HoldReason != "":
			row.HoldReason = e.HoldReason
		case e.To == collection.DebtStatusOnHold,
			e.To == collection.DebtStatusRecovered && e.From == collection.DebtStatusOnHold:
			// A debt recovered while on hold keeps its hold reason: the
			// reversal of a payment reopens it on that hold with an event
			// that names no reason (the decider keeps the last hold's).
		default:
			row.HoldReason = ""
		}
	case collection.DebtAssigned:
		agent := e.AgentID
		row.AgentID = &agent
	case collection.DebtRescheduled:
		row.CurrentDueOn = e.To.Time()
	case collection.ChargeAdded:
		row.Charges += e.Amount
	case collection.ActionProposed:
		p := &b.proposals
		p.ID = append(p.ID, e.ProposalID)
		p.DebtID = append(p.DebtID, e.ID)
		p.CreditorID = append(p.CreditorID, row.CreditorID)
		p.Action = append(p.Action, e.Action)
		p.Discount = append(p.Discount, e.Discount)
		p.Reason = append(p.Reason, e.Reason)
		p.ProposedBy = append(p.ProposedBy, e.By)
		p.ProposedAt = append(p.ProposedAt, at)
		p.Status = append(p.Status, collection.ProposalStatusPending)
		p.DecidedBy = append(p.DecidedBy, "")
		p.DecidedAt = append(p.DecidedAt, "")
		p.DecisionReason = append(p.DecisionReason, "")
	case collection.ProposalApproved:
		b.decide(e.ProposalID, collection.ProposalStatusApproved, e.By, at, e.Reason)
	case collection.ProposalRefused:
		b.decide(e.ProposalID, collection.ProposalStatusRefused, e.By, at, e.Reason)
	case collection.DiscountGranted:
		row.Discount += e.Amount
	case collection.DebtWrittenOff:
		row.WrittenOff += e.Amount
	case collection.PaymentRecorded:
		row.Paid += e.Amount
		row.Credit += e.Allocation.Credit
		if row.LastPaymentOn == nil || e.ValueDate.Time().After(*row.LastPaymentOn) {
			row.LastPaymentOn = datePtr(e.ValueDate)
		}
		p := &b.payments
		p.ID = append(p.ID, e.PaymentID)
		p.DebtID = append(p.DebtID, e.ID)
		p.CreditorID = append(p.CreditorID, row.CreditorID)
		p.DebtorID = append(p.DebtorID, row.DebtorID)
		p.Amount = append(p.Amount, e.Amount)
		p.ValueDate = append(p.ValueDate, e.ValueDate.Time())
		p.RecordedAt = append(p.RecordedAt, at)
		p.Method = append(p.Method, e.Method)
		p.Reference = append(p.Reference, e.Reference)
		p.Note = append(p.Note, text.Note)
		p.NoteErased = append(p.NoteErased, erased)
		p.AllocFees = append(p.AllocFees, e.Allocation.Fees)
		p.AllocPrincipal = append(p.AllocPrincipal, e.Allocation.Principal)
		p.AllocCredit = append(p.AllocCredit, e.Allocation.Credit)
		p.RecordedBy = append(p.RecordedBy, e.By)
		p.ReversedAt = append(p.ReversedAt, "")
		p.ReversalReason = append(p.ReversalReason, "")
	case collection.PaymentReversed:
		// The reversal takes back what its own allocation says (credit
		// first), which may differ from the payment's.
		row.Paid -= e.Amount
		row.Credit -= e.Allocation.Credit
		b.reversedDebts = append(b.reversedDebts, e.ID)
		rv := &b.reversals
		rv.ID = append(rv.ID, e.PaymentID)
		rv.At = append(rv.At, at)
		rv.Reason = append(rv.Reason, e.Reason)
	case collection.PlanSet, collection.PromiseMade:
		// The plans projection's; the debt's version still moves (and a
		// plan's status change is its own DebtStatusChanged).
	case collection.DocumentAttached, collection.InteractionLogged, collection.TaskCreated, collection.TaskCompleted:
		// The casework projection's; the debt's version still moves.
	case collection.LegalProcedureOpened, collection.LegalStepRecorded:
		// The legal projection's; a step's cost is its own ChargeAdded.
	default:
		return nil, fmt.Errorf("debts projection cannot apply %T", r.Event)
	}
	return row, nil
}

func wilayaPtr(known map[string]int32, debtorID string) *int32 {
	if w, ok := known[debtorID]; ok {
		return &w
	}
	return nil
}

func (b *debtBatch) decide(id, status, by string, at time.Time, reason string) {
	d := &b.decisions
	d.ID = append(d.ID, id)
	d.Status = append(d.Status, status)
	d.By = append(d.By, by)
	d.At = append(d.At, at)
	d.Reason = append(d.Reason, reason)
}

func datePtr(d collection.Date) *time.Time {
	if d.IsZero() {
		return nil
	}
	t := d.Time()
	return &t
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func writeDebts(ctx context.Context, q *store.Queries, rows []*store.Debt) error {
	var up store.DebtsUpsertParams
	for _, r := range rows {
		up.ID = append(up.ID, r.ID)
		up.Ref = append(up.Ref, r.Ref)
		up.CreditorID = append(up.CreditorID, r.CreditorID)
		up.DebtorID = append(up.DebtorID, r.DebtorID)
		up.ExternalRef = append(up.ExternalRef, r.ExternalRef)
		up.Type = append(up.Type, r.Type)
		up.Currency = append(up.Currency, r.Currency)
		up.Status = append(up.Status, r.Status)
		up.PreviousStatus = append(up.PreviousStatus, r.PreviousStatus)
		up.HoldReason = append(up.HoldReason, r.HoldReason)
		up.Principal = append(up.Principal, r.Principal)
		up.Charges = append(up.Charges, r.Charges)
		up.Discount = append(up.Discount, r.Discount)
		up.WrittenOff = append(up.WrittenOff, r.WrittenOff)
		up.Paid = append(up.Paid, r.Paid)
		up.Credit = append(up.Credit, r.Credit)
		up.Balance = append(up.Balance, r.Balance)
		up.AcknowledgedOn = append(up.AcknowledgedOn, dateText(r.AcknowledgedOn))
		up.OriginalDueOn = append(up.OriginalDueOn, r.OriginalDueOn)
		up.CurrentDueOn = append(up.CurrentDueOn, r.CurrentDueOn)
		up.AgentID = append(up.AgentID, deref(r.AgentID))
		var w int32
		if r.Wilaya != nil {
			w = *r.Wilaya
		}
		up.Wilaya = append(up.Wilaya, w)
		up.Description = append(up.Description, r.Description)
		up.DescriptionErased = append(up.DescriptionErased, r.DescriptionErased)
		up.LastPaymentOn = append(up.LastPaymentOn, dateText(r.LastPaymentOn))
		up.Version = append(up.Version, r.Version)
		up.CreatedAt = append(up.CreatedAt, r.CreatedAt)
		up.UpdatedAt = append(up.UpdatedAt, r.UpdatedAt)
	}
	return q.DebtsUpsert(ctx, up)
}

// noPersonal is the Personal of projections whose aggregate carries no
// personal part: nothing to open, nothing to preload.
type noPersonal struct{}

func (noPersonal) Open(context.Context, string, []byte, any) error { return nil }
func (noPersonal) Preload(context.Context, []string) error         { return nil }
