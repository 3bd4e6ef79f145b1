package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
)

// debtTextRow is what the read models hold of a debt's texts: the
// description, the payment's note, the interaction's summary, the task's
// title and the legal step's note, each with its erased flag.
type debtTextRow struct {
	description, note, summary, title, legalNote string
	erased                                       [5]bool
}

func readDebtTexts(t testing.TB, app *apptest.App, debtID string) debtTextRow {
	t.Helper()
	var r debtTextRow
	err := app.Pool.QueryRow(context.Background(), `
		SELECT d.description, d.description_erased, p.note, p.note_erased, i.summary, i.summary_erased, k.title, k.title_erased,
			l.note, l.note_erased
		FROM debts d JOIN payments p ON p.debt_id = d.id JOIN interactions i ON i.debt_id = d.id JOIN tasks k ON k.debt_id = d.id
			JOIN legal_steps l ON l.debt_id = d.id
		WHERE d.id = $1`, debtID).Scan(&r.description, &r.erased[0], &r.note, &r.erased[1], &r.summary, &r.erased[2],
		&r.title, &r.erased[3], &r.legalNote, &r.erased[4])
	if err != nil {
		t.Fatalf("texts of debt %s: %v", debtID, err)
	}
	return r
}

// TestDebtTexts works three debts: two of one debtor, one with its texts
// sealed through the decider and one written before texts were sealed
// (version 1 events, in clear), and one of another debtor. The projections
// (debts, casework, legal) open the sealed texts and keep the clear ones;
// once the debtor is erased, both of that debtor's debts show their texts
// erased, and so do texts that reach the log after the erasure (a summary
// and a legal step's note sealed before it, a summary in clear), while the
// other debtor's stay; a rebuild of the three projections alone, then of
// every projection, ends in the same tables.
func TestDebtTexts(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	p := newPortfolio(app)
	ctx := context.Background()
	debtor, other := registerDebtor(t, p, "Yasmina Haddad"), registerDebtor(t, p, "Karim Saadi")

	want := debtTextRow{description: "Machine à laver livrée, restée impayée", note: "payé au guichet, a perdu son emploi",
		summary: "épouse hospitalisée\nrappeler dans un mois", title: "rappeler après l'hôpital",
		legalNote: "renvoi: le débiteur est hospitalisé\nà Blida"}
	sealedDebt := workDebt(t, p, debtor, want)
	otherDebt := workDebt(t, p, other, want)
	clearDebt := newUUID()
	last := p.ends()
	last[0] = max(last[0], produceClearDebt(t, app, debtor, clearDebt, want))
	waitApplied(t, app.Pool, last)

	for _, id := range []string{sealedDebt, otherDebt, clearDebt} {
		if got := readDebtTexts(t, app, id); got != want {
			t.Errorf("debt %s: %+v, want %+v", id, got, want)
		}
	}
	for _, s := range []string{"Machine à laver", "perdu son emploi", "hospitalisée", "après l'hôpital", "débiteur est hospitalisé"} {
		if n := rowCount(t, app.Pool, `SELECT count(*) FROM event_log WHERE aggregate_id <> $1 AND data::text LIKE '%' || $2 || '%'`,
			clearDebt, s); n != 0 {
			t.Errorf("%d sealed events hold %q in clear", n, s)
		}
	}

	// A summary sealed while the debtor's key lived, decided after the
	// erasure: the read model knows the debtor is erased.
	late := collection.LogInteraction{ID: sealedDebt, InteractionID: newUUID(), Channel: collection.InteractionNote,
		OccurredAt: time.Date(2025, 5, 2, 10, 0, 0, 0, time.UTC), By: newUUID()}
	var err error
	if late.Personal, err = p.sealText(ctx, debtor, collection.DebtPersonal{Summary: "écrit avant l'effacement"}); err != nil {
		t.Fatal(err)
	}
	// A legal step's note, the same.
	lateStep := collection.RecordLegalStep{ID: sealedDebt, ProcedureID: legalProcedureOf(t, app, sealedDebt), StepID: newUUID(),
		Step: collection.LegalStepServed, On: collection.DateOf(2025, time.May, 11), Today: collection.DateOf(2025, time.May, 11),
		By: newUUID()}
	if lateStep.Personal, err = p.sealText(ctx, debtor, collection.DebtPersonal{LegalNote: "écrit avant l'effacement"}); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []collection.Command{
		collection.ArchiveDebtor{ID: debtor, Reason: "dossiers clos"},
		collection.EraseDebtor{ID: debtor, Reason: "demande du 02/05/2025, dossier DP-2025-020"},
	} {
		if err := p.submit(ctx, debtor, cmd); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range []collection.Command{late, lateStep} {
		if err := p.submit(ctx, sealedDebt, cmd); err != nil {
			t.Fatal(err)
		}
	}
	// A summary in clear after the erasure (an API of version 1 still
	// running): the read model knows the debtor is erased.
	lateClear := newUUID()
	last = p.ends()
	last[0] = max(last[0], produceEvent(t, app, 0, clearEvent(clearDebt, 7, "debt.interaction_logged", map[string]any{
		"id": clearDebt, "interaction_id": lateClear, "channel": "note", "summary": "écrit après l'effacement",
		"occurred_at": "2025-05-03T10:00:00Z", "by": newUUID()})))
	waitApplied(t, app.Pool, last)

	erased := debtTextRow{erased: [5]bool{true, true, true, true, true}}
	for _, id := range []string{sealedDebt, clearDebt} {
		if got := readDebtTexts(t, app, id); got != erased {
			t.Errorf("debt %s after the erasure: %+v", id, got)
		}
	}
	if got := readDebtTexts(t, app, otherDebt); got != want {
		t.Errorf("the other debtor's debt after the erasure: %+v", got)
	}
	for _, id := range []string{late.InteractionID, lateClear} {
		var summary string
		var summaryErased bool
		if err := app.Pool.QueryRow(ctx, `SELECT summary, summary_erased FROM interactions WHERE id = $1`,
			id).Scan(&summary, &summaryErased); err != nil || summary != "" || !summaryErased {
			t.Errorf("a summary after the erasure: %q erased=%v, %v", summary, summaryErased, err)
		}
	}
	var note string
	var noteErased bool
	if err := app.Pool.QueryRow(ctx, `SELECT note, note_erased FROM legal_steps WHERE id = $1`,
		lateStep.StepID).Scan(&note, &noteErased); err != nil || note != "" || !noteErased {
		t.Errorf("a legal note after the erasure: %q erased=%v, %v", note, noteErased, err)
	}

	incremental := dumpReadModels(t, app.Pool)
	for _, names := range [][]string{{"debts", "casework", "legal"}, nil} {
		if res := rebuild(t, app, names...); len(res.Failures) > 0 {
			t.Fatalf("rebuild of %v stopped: %+v", names, res.Failures)
		}
		requireSameDumps(t, fmt.Sprintf("rebuild of %v", names), incremental, dumpReadModels(t, app.Pool))
	}
}

// legalProcedureOf is the one legal procedure of a debt.
func legalProcedureOf(t testing.TB, app *apptest.App, debtID string) string {
	t.Helper()
	var id string
	if err := app.Pool.QueryRow(context.Background(), `SELECT id FROM legal_procedures WHERE debt_id = $1`, debtID).Scan(&id); err != nil {
		t.Fatalf("the legal procedure of debt %s: %v", debtID, err)
	}
	return id
}

// registerDebtor registers a debtor with a data key, as the API does.
func registerDebtor(t testing.TB, p *portfolio, name string) string {
	t.Helper()
	ctx := context.Background()
	profile, personal, err := collection.DebtorInput{Kind: collection.DebtorPerson, FullName: name, Wilaya: 16}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	id := newUUID()
	sealed, err := p.seal(ctx, id, personal)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.submit(ctx, id, collection.RegisterDebtor{ID: id, Ref: "D-" + id[len(id)-6:], Profile: profile, Personal: sealed}); err != nil {
		t.Fatal(err)
	}
	return id
}

// workDebt opens a debt of debtor with a description, records a payment
// with a note, logs a call with a summary and a follow-up task, escalates
// the debt to legal and records a payment order's first step with a note,
// every text sealed under the debtor's key.
func workDebt(t testing.TB, p *portfolio, debtor string, text debtTextRow) string {
	t.Helper()
	ctx := context.Background()
	id, by := newUUID(), newUUID()
	seal := func(text collection.DebtPersonal) collection.Sealed {
		sealed, err := p.sealText(ctx, debtor, text)
		if err != nil {
			t.Fatal(err)
		}
		return sealed
	}
	at := time.Date(2025, 4, 20, 9, 30, 0, 0, time.UTC)
	proposal, procedure, checker := newUUID(), newUUID(), newUUID()
	today := collection.DateOf(2025, time.May, 10)
	for _, cmd := range []collection.Command{
		collection.OpenDebt{ID: id, Ref: "F-" + id[len(id)-6:], CreditorID: newUUID(), DebtorID: debtor, ExternalRef: id,
			Type: collection.DebtTypePersonal, Principal: 5_000_000, Currency: collection.DebtCurrency,
			OriginalDueOn: collection.DateOf(2025, time.March, 1), By: by,
			Personal: seal(collection.DebtPersonal{Description: text.description})},
		collection.RecordPayment{ID: id, PaymentID: newUUID(), Amount: 100_000, ValueDate: collection.DateOf(2025, time.April, 1),
			Method: collection.PaymentMethodCash, By: by, Personal: seal(collection.DebtPersonal{Note: text.note})},
		collection.LogInteraction{ID: id, InteractionID: newUUID(), Channel: collection.InteractionCall,
			Direction: collection.DirectionInbound, Outcome: collection.CallOutcomeReached, OccurredAt: at, By: by,
			Personal: seal(collection.DebtPersonal{Summary: text.summary}),
			FollowUp: &collection.FollowUp{TaskID: newUUID(), Due: at.Add(24 * time.Hour), Assignee: by,
				Personal: seal(collection.DebtPersonal{Title: text.title})}},
		collection.ProposeAction{ID: id, ProposalID: proposal, Action: collection.ActionEscalateLegal, Reason: "sans réponse", By: by},
		collection.DecideProposal{ID: id, ProposalID: proposal, Approve: true, By: checker},
		collection.OpenLegalProcedure{ID: id, ProcedureID: procedure, Kind: collection.LegalKindPaymentOrder,
			Court: "Tribunal de Blida", ClaimedAmount: 4_900_000, OpenedOn: collection.DateOf(2025, time.April, 27), Today: today, By: by},
		collection.RecordLegalStep{ID: id, ProcedureID: procedure, StepID: newUUID(), Step: collection.LegalStepFiled,
			On: collection.DateOf(2025, time.May, 4), Today: today, By: by,
			Personal: seal(collection.DebtPersonal{LegalNote: text.legalNote})},
	} {
		if err := p.submit(ctx, id, cmd); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// produceClearDebt writes the events of a debt of debtor as they were
// written before texts were sealed (version 1, texts in clear), straight
// to partition 0, and returns the offset of the last one.
func produceClearDebt(t testing.TB, app *apptest.App, debtor, id string, text debtTextRow) int64 {
	t.Helper()
	by, interaction, procedure := newUUID(), newUUID(), newUUID()
	at := "2025-04-20T09:30:00Z"
	var last int64
	for i, ev := range []struct {
		typ  string
		data map[string]any
	}{
		{"debt.opened", map[string]any{"id": id, "ref": "F-" + id[len(id)-6:], "creditor_id": newUUID(), "debtor_id": debtor,
			"external_ref": id, "type": "personal", "principal": 5_000_000, "fees": 0, "currency": "DZD",
			"original_due_on": "2025-03-01", "current_due_on": "2025-03-01", "description": text.description,
			"status": "open", "by": by}},
		{"debt.payment_recorded", map[string]any{"id": id, "payment_id": newUUID(), "amount": 100_000,
			"value_date": "2025-04-01", "method": "cash", "note": text.note,
			"allocation": map[string]int64{"fees": 0, "principal": 100_000, "credit": 0}, "by": by}},
		{"debt.interaction_logged", map[string]any{"id": id, "interaction_id": interaction, "channel": "call",
			"direction": "inbound", "outcome": "reached", "summary": text.summary, "occurred_at": at, "by": by}},
		{"debt.task_created", map[string]any{"id": id, "task_id": newUUID(), "interaction_id": interaction,
			"title": text.title, "due": "2025-04-21T09:30:00Z", "assignee": by, "by": by}},
		{"debt.legal_procedure_opened", map[string]any{"id": id, "procedure_id": procedure, "kind": "payment_order",
			"court": "Tribunal de Blida", "claimed_amount": 4_900_000, "opened_on": "2025-04-27", "by": by}},
		{"debt.legal_step_recorded", map[string]any{"id": id, "procedure_id": procedure, "step_id": newUUID(), "seq": 1,
			"step": "filed", "on": "2025-05-04", "details": map[string]any{"note": text.legalNote}, "by": by}},
	} {
		last = produceEvent(t, app, 0, clearEvent(id, int64(i+1), ev.typ, ev.data))
	}
	return last
}

// clearEvent is the envelope of a debt's event of version 1.
func clearEvent(debtID string, version int64, typ string, fields map[string]any) *events.Envelope {
	data, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	return &events.Envelope{ID: newUUID(), Type: typ, V: 1,
		Aggregate:  events.AggregateRef{Type: collection.DebtAggregate, ID: debtID, Version: version},
		OccurredAt: time.Date(2025, 4, 20, 9, 30, int(version), 0, time.UTC), Actor: events.Actor{UserID: newUUID(), Role: "agent"},
		CommandID: newUUID(), CorrelationID: "v1", Data: data}
}
