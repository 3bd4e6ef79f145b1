package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Casework projects the debt aggregate's documents, interactions and tasks
// into documents, interactions and tasks. It stores the events' facts
// only; who may see a row is decided by its debt (the API reads the debt,
// scoped, first), and the work queue's priority (days past due, balance)
// is read from debts when it is listed, so nothing here depends on the
// day. The summaries and titles are opened with the debtor's data key
// (debtTexts: the debtor is read from debts), and blanked when the
// debtor is erased.
//
// A document's bytes are not in the log nor here: the API wrote them to
// the blob store under the document's id before the command.
type Casework struct{ personal Personal }

// NewCasework returns the casework projection; p opens the texts.
func NewCasework(p Personal) *Casework { return &Casework{personal: p} }

// Name implements Projection.
func (*Casework) Name() string { return "casework" }

// Tables implements Projection.
func (*Casework) Tables() []string { return []string{"documents", "interactions", "tasks"} }

// caseworkBatch collects a batch's writes.
type caseworkBatch struct {
	documents    store.DocumentsInsertParams
	interactions store.InteractionsInsertParams
	tasks        store.TasksInsertParams
	completions  store.TasksCompleteParams
}

// Apply implements Projection.
func (c *Casework) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	q := store.New(tx)
	texts, err := loadDebtTexts(ctx, q, c.personal, recs,
		collection.InteractionLogged{}.EventType(), collection.TaskCreated{}.EventType())
	if err != nil {
		return err
	}
	var b caseworkBatch
	for _, r := range recs {
		at := r.Env.OccurredAt
		switch e := r.Event.(type) {
		case collection.DocumentAttached:
			d := &b.documents
			d.ID = append(d.ID, e.DocumentID)
			d.DebtID = append(d.DebtID, e.ID)
			d.Name = append(d.Name, e.Name)
			d.MediaType = append(d.MediaType, e.MediaType)
			d.Size = append(d.Size, e.Size)
			d.Sha256 = append(d.Sha256, e.SHA256)
			d.Kind = append(d.Kind, e.Kind)
			d.UploadedBy = append(d.UploadedBy, e.By)
			d.UploadedAt = append(d.UploadedAt, at)
		case collection.InteractionLogged:
			text, erased, err := texts.open(ctx, r)
			if err != nil {
				return failAt(r, err)
			}
			i := &b.interactions
			i.ID = append(i.ID, e.InteractionID)
			i.DebtID = append(i.DebtID, e.ID)
			i.Channel = append(i.Channel, e.Channel)
			i.Direction = append(i.Direction, e.Direction)
			i.Outcome = append(i.Outcome, e.Outcome)
			i.Summary = append(i.Summary, text.Summary)
			i.SummaryErased = append(i.SummaryErased, erased)
			i.OccurredAt = append(i.OccurredAt, e.OccurredAt)
			i.LoggedBy = append(i.LoggedBy, e.By)
			i.LoggedAt = append(i.LoggedAt, at)
		case collection.TaskCreated:
			text, erased, err := texts.open(ctx, r)
			if err != nil {
				return failAt(r, err)
			}
			t := &b.tasks
			t.ID = append(t.ID, e.TaskID)
			t.DebtID = append(t.DebtID, e.ID)
			t.InteractionID = append(t.InteractionID, e.InteractionID)
			t.Title = append(t.Title, text.Title)
			t.TitleErased = append(t.TitleErased, erased)
			t.DueAt = append(t.DueAt, e.Due)
			t.AssigneeID = append(t.AssigneeID, e.Assignee)
			t.CreatedBy = append(t.CreatedBy, e.By)
			t.CreatedAt = append(t.CreatedAt, at)
		case collection.TaskCompleted:
			c := &b.completions
			c.ID = append(c.ID, e.TaskID)
			c.By = append(c.By, e.By)
			c.At = append(c.At, at)
		}
	}
	if err := b.write(ctx, q); err != nil {
		return err
	}
	return eraseDebtTexts(ctx, recs, q.InteractionsEraseSummaries, q.TasksEraseTitles)
}

// write stores the batch: the new tasks before the completions, so that a
// task created and completed in one batch is done.
func (b *caseworkBatch) write(ctx context.Context, q *store.Queries) error {
	if len(b.documents.ID) > 0 {
		if err := q.DocumentsInsert(ctx, b.documents); err != nil {
			return fmt.Errorf("write documents: %w", err)
		}
	}
	if len(b.interactions.ID) > 0 {
		if err := q.InteractionsInsert(ctx, b.interactions); err != nil {
			return fmt.Errorf("write interactions: %w", err)
		}
	}
	if len(b.tasks.ID) > 0 {
		if err := q.TasksInsert(ctx, b.tasks); err != nil {
			return fmt.Errorf("write tasks: %w", err)
		}
	}
	if n := len(b.completions.ID); n > 0 {
		done, err := q.TasksComplete(ctx, b.completions)
		if err != nil {
			return fmt.Errorf("complete tasks: %w", err)
		}
		if done != int64(n) {
			return fmt.Errorf("complete tasks: %d of %d were open", done, n)
		}
	}
	return nil
}
