package projections_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestCaseworkRebuildEqualsIncremental works forty debts at once through
// the decider: documents, interactions with and without follow-up tasks,
// and completions sent right after their task's creation, so that some
// batches create and complete a task together. The casework tables must
// then hold exactly what was decided, and rebuilding the projection alone,
// then every projection, must give the same tables byte for byte.
func TestCaseworkRebuildEqualsIncremental(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	p := newPortfolio(app)
	ctx := context.Background()
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	agent := newID()
	const debts = 40
	var g errgroup.Group
	for n := range debts {
		g.Go(func() error {
			id := newID()
			if err := p.submit(ctx, id, collection.OpenDebt{ID: id, Ref: fmt.Sprintf("F-CW%04d", n), CreditorID: newID(),
				DebtorID: newID(), ExternalRef: fmt.Sprintf("CW-%d", n), Type: collection.DebtTypeCommercial,
				Principal: int64(100_000 * (n + 1)), Currency: collection.DebtCurrency,
				OriginalDueOn: collection.DateOf(2025, time.March, 1+n%28), By: agent}); err != nil {
				return err
			}
			for k := range 2 {
				sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%d", n, k)))
				if err := p.submit(ctx, id, collection.AttachDocument{ID: id, DocumentID: newID(),
					Name: fmt.Sprintf("pièce %d.pdf", k), MediaType: collection.MediaTypePDF, Size: int64(1000 + k),
					SHA256: hex.EncodeToString(sum[:]), Kind: collection.DocumentKindInvoice, By: agent}); err != nil {
					return err
				}
			}
			at := time.Date(2025, time.April, 20, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
			for k := range 3 {
				cmd := collection.LogInteraction{ID: id, InteractionID: newID(), Channel: collection.InteractionCall,
					Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeNoAnswer,
					Summary: "pas de réponse", OccurredAt: at.Add(time.Duration(k) * time.Hour), By: agent}
				if k < 2 {
					cmd.FollowUp = &collection.FollowUp{TaskID: newID(), Due: cmd.OccurredAt.Add(24 * time.Hour),
						Assignee: agent, Title: "rappeler"}
				}
				if err := p.submit(ctx, id, cmd); err != nil {
					return err
				}
				if k == 0 {
					if err := p.submit(ctx, id, collection.CompleteTask{ID: id, TaskID: cmd.FollowUp.TaskID, By: agent}); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	waitApplied(t, app.Pool, p.ends())
	checkConsistent(t, app.Pool)
	for sql, want := range map[string]int{
		"SELECT count(*) FROM documents":                                                                2 * debts,
		"SELECT count(DISTINCT debt_id) FROM documents":                                                 debts,
		"SELECT count(*) FROM interactions":                                                             3 * debts,
		"SELECT count(*) FROM tasks":                                                                    2 * debts,
		"SELECT count(*) FROM tasks WHERE status = 'done' AND completed_at IS NOT NULL":                 debts,
		"SELECT count(*) FROM tasks WHERE status = 'open' AND completed_at IS NULL":                     debts,
		"SELECT count(*) FROM tasks t JOIN interactions i ON i.id = t.interaction_id":                   2 * debts,
		"SELECT count(*) FROM tasks t JOIN debts d ON d.id = t.debt_id AND d.version = 9":               2 * debts,
		"SELECT count(*) FROM interactions WHERE summary = 'pas de réponse' AND direction = 'outbound'": 3 * debts,
	} {
		if got := rowCount(t, app.Pool, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	incremental := dumpReadModels(t, app.Pool)
	for _, names := range [][]string{{"casework"}, nil} {
		res := rebuild(t, app, names...)
		if len(res.Failures) > 0 {
			t.Fatalf("rebuild of %v stopped: %+v", names, res.Failures)
		}
		requireSameDumps(t, fmt.Sprintf("rebuild of %v", names), incremental, dumpReadModels(t, app.Pool))
	}
}
