package projections

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Statuses of legal_procedures and legal_deadlines rows.
const (
	legalOpen          = "open"
	legalClosed        = "closed"
	legalDeadlineEnded = "ended"
)

// legalDeadlineNamespace derives a deadline's id from its procedure, the
// step that started it and its name. Changing it changes every id: the
// cursors of GET /api/v1/legal/deadlines, nothing stored elsewhere.
var legalDeadlineNamespace = uuid.MustParse("3d0b7c0e-5a55-4f4e-9c61-0f6a2b8e4d17")

// LegalDeadlineID is the id of the deadline name started by the seq-th
// step of a procedure.
func LegalDeadlineID(procedureID string, seq int, name string) string {
	return uuid.NewSHA1(legalDeadlineNamespace, []byte(procedureID+"/"+strconv.Itoa(seq)+"/"+name)).String()
}

// Legal projects the debt aggregate's legal procedures into
// legal_procedures (each procedure as it stands), legal_steps (every step
// with its details and documents) and legal_deadlines (every deadline a
// step started, open until a later step or the closing ends it). It
// stores the deadlines the decider computed and recorded in the events:
// nothing depends on the day it runs or on the configured calendar, so a
// rebuild gives the same rows.
//
// A step's note is opened with the debtor's data key (debtTexts), and
// blanked when the debtor is erased (note_erased).
//
// Hazard: the creditor and debtor of a procedure are read from the debts
// table, written earlier in the same transaction by Debts, which must
// therefore come before Legal in ForEvents. They never change after the
// debt is opened, so a rebuild of Legal alone reads the same values.
type Legal struct{ personal Personal }

// NewLegal returns the legal projection; p opens the steps' notes.
func NewLegal(p Personal) *Legal { return &Legal{personal: p} }

// Name implements Projection.
func (*Legal) Name() string { return "legal" }

// Tables implements Projection.
func (*Legal) Tables() []string {
	return []string{"legal_procedures", "legal_steps", "legal_deadlines"}
}

// legalBatch collects a batch's writes.
type legalBatch struct {
	procedures map[string]*store.LegalProcedure
	order      []string        // procedures to write, first touched first
	dirty      map[string]bool // the procedures in order
	steps      store.LegalStepsInsertParams
	deadlines  store.LegalDeadlinesInsertParams
	pending    map[string]int // deadline id → its index in deadlines
	ends       store.LegalDeadlinesEndParams
	texts      *debtTexts
}

// Apply implements Projection.
func (l *Legal) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	var debtIDs, procIDs []string
	for _, r := range recs {
		switch e := r.Event.(type) {
		case collection.LegalProcedureOpened:
			debtIDs = append(debtIDs, e.ID)
		case collection.LegalStepRecorded:
			procIDs = append(procIDs, e.ProcedureID)
		}
	}
	q := store.New(tx)
	if len(debtIDs) == 0 && len(procIDs) == 0 {
		return eraseDebtTexts(ctx, recs, q.LegalStepsEraseNotes)
	}
	parties := map[string]store.LegalDebtPartiesRow{}
	if len(debtIDs) > 0 {
		rows, err := q.LegalDebtParties(ctx, debtIDs)
		if err != nil {
			return fmt.Errorf("load debts of legal procedures: %w", err)
		}
		for _, row := range rows {
			parties[row.ID] = row
		}
	}
	b := legalBatch{procedures: map[string]*store.LegalProcedure{}, dirty: map[string]bool{}, pending: map[string]int{}}
	var err error
	if b.texts, err = loadDebtTexts(ctx, q, l.personal, recs, collection.LegalStepRecorded{}.EventType()); err != nil {
		return err
	}
	if len(procIDs) > 0 {
		rows, err := q.LegalProceduresGetMany(ctx, procIDs)
		if err != nil {
			return fmt.Errorf("load legal procedures: %w", err)
		}
		for i := range rows {
			b.procedures[rows[i].ID] = &rows[i]
		}
	}
	for _, r := range recs {
		var err error
		switch e := r.Event.(type) {
		case collection.LegalProcedureOpened:
			err = b.open(e, parties, r)
		case collection.LegalStepRecorded:
			err = b.step(ctx, e, r)
		default:
			continue
		}
		if err != nil {
			return failAt(r, err)
		}
	}
	if err := b.write(ctx, q); err != nil {
		return err
	}
	return eraseDebtTexts(ctx, recs, q.LegalStepsEraseNotes)
}

func (b *legalBatch) touch(p *store.LegalProcedure, r Record) {
	if !b.dirty[p.ID] {
		b.dirty[p.ID] = true
		b.order = append(b.order, p.ID)
	}
	b.procedures[p.ID] = p
	p.Version, p.UpdatedAt = r.Env.Aggregate.Version, r.Env.OccurredAt
}

func (b *legalBatch) open(e collection.LegalProcedureOpened, parties map[string]store.LegalDebtPartiesRow, r Record) error {
	if _, ok := b.procedures[e.ProcedureID]; ok {
		return fmt.Errorf("legal procedure %s opened twice", e.ProcedureID)
	}
	party, ok := parties[e.ID]
	if !ok {
		return fmt.Errorf("debt %s is not in the debts read model (the debts projection applies first)", e.ID)
	}
	b.touch(&store.LegalProcedure{
		ID: e.ProcedureID, DebtID: e.ID, CreditorID: party.CreditorID, DebtorID: party.DebtorID, Kind: e.Kind,
		Court: e.Court, Section: e.Section, CaseNumber: e.CaseNumber, Bailiff: e.Bailiff, Lawyer: e.Lawyer,
		ClaimedAmount: e.ClaimedAmount, OpenedOn: e.OpenedOn.Time(), OpenedBy: e.By, OpenedAt: r.Env.OccurredAt,
		Status: legalOpen, Step: collection.LegalStepOpened, StepOn: e.OpenedOn.Time(),
	}, r)
	return nil
}

func (b *legalBatch) step(ctx context.Context, e collection.LegalStepRecorded, r Record) error {
	p, ok := b.procedures[e.ProcedureID]
	switch {
	case !ok:
		return fmt.Errorf("step %s of legal procedure %s, which was never opened", e.StepID, e.ProcedureID)
	case p.DebtID != e.ID:
		return fmt.Errorf("step %s of legal procedure %s recorded on debt %s, not on its debt %s", e.StepID, e.ProcedureID, e.ID, p.DebtID)
	case e.Seq != int(p.Steps)+1:
		return fmt.Errorf("step %s is step %d of legal procedure %s, which has %d", e.StepID, e.Seq, e.ProcedureID, p.Steps)
	case p.Status == legalClosed:
		return fmt.Errorf("step %s of legal procedure %s, which is closed", e.StepID, e.ProcedureID)
	}
	for _, id := range e.DocumentIDs {
		if strings.Contains(id, ",") {
			return fmt.Errorf("step %s: document id %q", e.StepID, id)
		}
	}
	note, noteErased, err := b.texts.open(ctx, r)
	if err != nil {
		return err
	}
	at := r.Env.OccurredAt
	d := e.Details
	p.Step, p.StepOn, p.Steps = e.Step, e.On.Time(), int32(e.Seq)
	p.Costs += e.Cost
	switch e.Step {
	case collection.LegalStepJudgment:
		p.Judgment, p.AmountAwarded = d.Outcome, d.AmountAwarded
	case collection.LegalStepAppeal:
		p.Appealed = true
	case collection.LegalStepClosed:
		p.Status, p.Outcome, p.ClosedOn = legalClosed, d.Outcome, datePtr(e.On)
	}
	if d.Court != "" {
		p.Court = d.Court
	}
	if d.Section != "" {
		p.Section = d.Section
	}
	if d.CaseNumber != "" {
		p.CaseNumber = d.CaseNumber
	}
	b.touch(p, r)

	s := &b.steps
	s.ID = append(s.ID, e.StepID)
	s.ProcedureID = append(s.ProcedureID, e.ProcedureID)
	s.DebtID = append(s.DebtID, e.ID)
	s.Seq = append(s.Seq, int32(e.Seq))
	s.Step = append(s.Step, e.Step)
	s.StepOn = append(s.StepOn, e.On.Time())
	s.HearingOn = append(s.HearingOn, d.HearingOn.String())
	s.Room = append(s.Room, d.Room)
	s.Outcome = append(s.Outcome, d.Outcome)
	s.AmountAwarded = append(s.AmountAwarded, d.AmountAwarded)
	s.Court = append(s.Court, d.Court)
	s.Section = append(s.Section, d.Section)
	s.CaseNumber = append(s.CaseNumber, d.CaseNumber)
	s.Note = append(s.Note, note.LegalNote)
	s.NoteErased = append(s.NoteErased, noteErased)
	s.DocumentIds = append(s.DocumentIds, strings.Join(e.DocumentIDs, ","))
	s.Cost = append(s.Cost, e.Cost)
	s.RecordedBy = append(s.RecordedBy, e.By)
	s.RecordedAt = append(s.RecordedAt, at)

	for _, end := range e.Ends {
		id := LegalDeadlineID(e.ProcedureID, end.Seq, end.Name)
		if i, ok := b.pending[id]; ok {
			if b.deadlines.Status[i] != legalOpen {
				return fmt.Errorf("deadline %s of step %d of legal procedure %s ended twice", end.Name, end.Seq, e.ProcedureID)
			}
			b.deadlines.Status[i] = legalDeadlineEnded
			b.deadlines.EndedSeq[i] = int32(e.Seq)
			// Microseconds, truncated as pgx writes a time.Time: a rebuild
			// that meets both events in different batches stores the same.
			b.deadlines.EndedAt[i] = at.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
			continue
		}
		b.ends.ID = append(b.ends.ID, id)
		b.ends.EndedSeq = append(b.ends.EndedSeq, int32(e.Seq))
		b.ends.EndedAt = append(b.ends.EndedAt, at)
	}
	for _, dl := range e.Deadlines {
		id := LegalDeadlineID(e.ProcedureID, dl.Seq, dl.Name)
		if _, dup := b.pending[id]; dup {
			return fmt.Errorf("deadline %s of step %d of legal procedure %s started twice", dl.Name, dl.Seq, e.ProcedureID)
		}
		n := &b.deadlines
		b.pending[id] = len(n.ID)
		n.ID = append(n.ID, id)
		n.ProcedureID = append(n.ProcedureID, e.ProcedureID)
		n.DebtID = append(n.DebtID, e.ID)
		n.CreditorID = append(n.CreditorID, p.CreditorID)
		n.DebtorID = append(n.DebtorID, p.DebtorID)
		n.Kind = append(n.Kind, p.Kind)
		n.Seq = append(n.Seq, int32(dl.Seq))
		n.Step = append(n.Step, e.Step)
		n.Name = append(n.Name, dl.Name)
		n.FromOn = append(n.FromOn, dl.From.Time())
		n.DueOn = append(n.DueOn, dl.Due.Time())
		n.Days = append(n.Days, int32(dl.Days))
		n.Business = append(n.Business, dl.Business)
		n.Franc = append(n.Franc, dl.Franc)
		n.Status = append(n.Status, legalOpen)
		n.EndedSeq = append(n.EndedSeq, 0)
		n.EndedAt = append(n.EndedAt, "")
	}
	return nil
}

// write stores the batch. Deadlines ended here that an earlier batch
// wrote must all have been open: anything else means the log and the
// table disagree, and the projection stops.
func (b *legalBatch) write(ctx context.Context, q *store.Queries) error {
	if len(b.order) > 0 {
		var up store.LegalProceduresUpsertParams
		for _, id := range b.order {
			p := b.procedures[id]
			up.ID = append(up.ID, p.ID)
			up.DebtID = append(up.DebtID, p.DebtID)
			up.CreditorID = append(up.CreditorID, p.CreditorID)
			up.DebtorID = append(up.DebtorID, p.DebtorID)
			up.Kind = append(up.Kind, p.Kind)
			up.Court = append(up.Court, p.Court)
			up.Section = append(up.Section, p.Section)
			up.CaseNumber = append(up.CaseNumber, p.CaseNumber)
			up.Bailiff = append(up.Bailiff, p.Bailiff)
			up.Lawyer = append(up.Lawyer, p.Lawyer)
			up.ClaimedAmount = append(up.ClaimedAmount, p.ClaimedAmount)
			up.OpenedOn = append(up.OpenedOn, p.OpenedOn)
			up.OpenedBy = append(up.OpenedBy, p.OpenedBy)
			up.OpenedAt = append(up.OpenedAt, p.OpenedAt)
			up.Status = append(up.Status, p.Status)
			up.Step = append(up.Step, p.Step)
			up.StepOn = append(up.StepOn, p.StepOn)
			up.Steps = append(up.Steps, p.Steps)
			up.Judgment = append(up.Judgment, p.Judgment)
			up.AmountAwarded = append(up.AmountAwarded, p.AmountAwarded)
			up.Appealed = append(up.Appealed, p.Appealed)
			up.Outcome = append(up.Outcome, p.Outcome)
			up.ClosedOn = append(up.ClosedOn, dateText(p.ClosedOn))
			up.Costs = append(up.Costs, p.Costs)
			up.Version = append(up.Version, p.Version)
			up.UpdatedAt = append(up.UpdatedAt, p.UpdatedAt)
		}
		if err := q.LegalProceduresUpsert(ctx, up); err != nil {
			return fmt.Errorf("write legal procedures: %w", err)
		}
	}
	if len(b.steps.ID) > 0 {
		if err := q.LegalStepsInsert(ctx, b.steps); err != nil {
			return fmt.Errorf("write legal steps: %w", err)
		}
	}
	if n := len(b.ends.ID); n > 0 {
		done, err := q.LegalDeadlinesEnd(ctx, b.ends)
		if err != nil {
			return fmt.Errorf("end legal deadlines: %w", err)
		}
		if done != int64(n) {
			return fmt.Errorf("end legal deadlines: %d of %d were open", done, n)
		}
	}
	if len(b.deadlines.ID) > 0 {
		if err := q.LegalDeadlinesInsert(ctx, b.deadlines); err != nil {
			return fmt.Errorf("write legal deadlines: %w", err)
		}
	}
	return nil
}
