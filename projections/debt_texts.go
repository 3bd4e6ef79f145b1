package projections

import (
	"context"
	"fmt"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// debtTexts opens, for the debts, casework and legal projections, the free
// text a batch's debt records carry about their debtor
// (collection.DebtPersonal): sealed under the debtor's data key, or in
// clear in a version 1 record. Each projection opens only the records it
// stores (a legal step's note is no business of the debts projection).
//
// A text shows as erased when its debtor is: their key destroyed
// (keyring.ErrErased), or their row in the read model already erased.
// The second covers what the first cannot: a text in clear, and a key a
// process still caches (it is forgotten only after the erasing batch
// commits). The erasure itself blanks the texts already written
// (eraseDebtTexts). A debtor's erasure and their debts' records are in
// different partitions, so a rebuild may meet them in either order; both
// orders end in the same rows.
//
// Hazard: the debtor of a debt opened before this batch is read from the
// debts table, written earlier in the same transaction by Debts, which
// must come before Casework and Legal in ForEvents (as before Plans).
type debtTexts struct {
	personal Personal
	types    map[string]bool   // the event types whose text is opened
	debtorOf map[string]string // debt id → debtor id
	erased   map[string]bool   // debtor id → erased in the read model
}

// loadDebtTexts finds the debtors of the batch's records of the given
// event types that carry text, whether they are erased, and preloads
// their keys.
func loadDebtTexts(ctx context.Context, q *store.Queries, p Personal, recs []Record, types ...string) (*debtTexts, error) {
	t := &debtTexts{personal: p, types: map[string]bool{}, debtorOf: map[string]string{}, erased: map[string]bool{}}
	for _, typ := range types {
		t.types[typ] = true
	}
	opened := map[string]string{} // debt id → debtor id, of the debts this batch opens
	var unknown []string
	for _, r := range recs {
		if e, ok := r.Event.(collection.DebtOpened); ok {
			opened[e.ID] = e.DebtorID
		}
		id := r.Env.Aggregate.ID
		if _, done := t.debtorOf[id]; done || !t.carriesText(r) {
			continue
		}
		t.debtorOf[id] = opened[id]
		if opened[id] == "" {
			unknown = append(unknown, id)
		}
	}
	if len(t.debtorOf) == 0 {
		return t, nil
	}
	if len(unknown) > 0 {
		rows, err := q.PlanDebtParties(ctx, unknown)
		if err != nil {
			return nil, fmt.Errorf("load the debtors of debts: %w", err)
		}
		for _, row := range rows {
			t.debtorOf[row.ID] = row.DebtorID
		}
	}
	var debtors []string
	seen := map[string]bool{"": true}
	for _, d := range t.debtorOf {
		if !seen[d] {
			seen[d] = true
			debtors = append(debtors, d)
		}
	}
	erased, err := q.DebtorsErased(ctx, debtors)
	if err != nil {
		return nil, fmt.Errorf("load erased debtors: %w", err)
	}
	for _, id := range erased {
		t.erased[id] = true
	}
	if err := p.Preload(ctx, debtors); err != nil {
		return nil, err
	}
	return t, nil
}

// carriesText reports whether r is a debt record of the types t opens,
// with text about its debtor.
func (t *debtTexts) carriesText(r Record) bool {
	c, ok := r.Event.(collection.DebtTextCarrier)
	return ok && t.types[r.Event.EventType()] && (len(c.PersonalPart()) > 0 || !c.ClearText().IsZero())
}

// open returns the text r carries (zero when none), or erased when its
// debtor is erased.
func (t *debtTexts) open(ctx context.Context, r Record) (text collection.DebtPersonal, erased bool, err error) {
	if !t.carriesText(r) {
		return text, false, nil
	}
	c := r.Event.(collection.DebtTextCarrier)
	debtor := t.debtorOf[r.Env.Aggregate.ID]
	switch {
	case debtor == "":
		return text, false, fmt.Errorf("debt %s is not in the debts read model (the debts projection applies first)", r.Env.Aggregate.ID)
	case t.erased[debtor]:
		return text, true, nil
	case len(c.PersonalPart()) == 0:
		return c.ClearText(), false, nil
	}
	erased, err = openPersonal(ctx, t.personal, debtor, c.PersonalPart(), &text)
	return text, erased, err
}

// erasedDebtors lists the debtors a batch erases.
func erasedDebtors(recs []Record) []string {
	var ids []string
	for _, r := range recs {
		if e, ok := r.Event.(collection.PersonalErasure); ok && r.Env.Aggregate.Type == collection.DebtorAggregate {
			ids = append(ids, e.ErasedSubject())
		}
	}
	return ids
}

// eraseDebtTexts blanks the texts about the debtors a batch erases, with
// erase, after the batch's rows are written.
func eraseDebtTexts(ctx context.Context, recs []Record, erase ...func(context.Context, []string) error) error {
	ids := erasedDebtors(recs)
	if len(ids) == 0 {
		return nil
	}
	for _, f := range erase {
		if err := f(ctx, ids); err != nil {
			return fmt.Errorf("erase the texts about erased debtors: %w", err)
		}
	}
	return nil
}
