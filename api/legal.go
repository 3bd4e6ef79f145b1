package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Legal procedures of a debt (collection/debt_legal.go): opened on a debt
// in status legal, moved step by step in the order of their kind, each
// step with its date, documents, typed details and an optional legal cost
// that the debt's fees take on. The deadlines the steps start were
// computed by the decider on the business calendar when the step was
// recorded; they are shown with each procedure and listed, across
// procedures, by GET /api/v1/legal/deadlines.
//
// Reads are scoped like the debts: a creditor's account sees its own
// debts' procedures, a debtor's account its own; another tenant's id is
// not found.

// DefaultDeadlineWindow is how far ahead GET /api/v1/legal/deadlines looks
// when no before= is given, in days from today in Algiers.
const DefaultDeadlineWindow = 30

// legalDetailsView are a step's typed details; only those of its kind of
// step are present. NoteErased says its note was erased with the debtor.
type legalDetailsView struct {
	HearingOn     string `json:"hearing_on,omitempty"`
	Room          string `json:"room,omitempty"`
	Outcome       string `json:"outcome,omitempty"`
	AmountAwarded int64  `json:"amount_awarded,omitempty"`
	Court         string `json:"court,omitempty"`
	Section       string `json:"section,omitempty"`
	CaseNumber    string `json:"case_number,omitempty"`
	Note          string `json:"note,omitempty"`
	NoteErased    bool   `json:"note_erased,omitempty"`
}

// legalStepView is a step of a procedure.
type legalStepView struct {
	ID          string           `json:"id"`
	Seq         int32            `json:"seq"`
	Step        string           `json:"step"`
	On          string           `json:"on"`
	Details     legalDetailsView `json:"details"`
	DocumentIDs []string         `json:"document_ids"`
	Cost        int64            `json:"cost"`
	RecordedBy  string           `json:"recorded_by"`
	RecordedAt  time.Time        `json:"recorded_at"`
}

// legalDeadlineView is a deadline a step started. Status is open until a
// later step ends it (ended_by_seq) or the procedure closes; an open
// deadline whose due date has passed (today in Algiers) is overdue.
type legalDeadlineView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Seq        int32  `json:"seq"`
	Step       string `json:"step"`
	From       string `json:"from"`
	Due        string `json:"due"`
	Days       int32  `json:"days"`
	Business   bool   `json:"business"`
	Franc      bool   `json:"franc"`
	Status     string `json:"status"`
	Overdue    bool   `json:"overdue"`
	EndedBySeq *int32 `json:"ended_by_seq,omitempty"`
}

// legalProcedureView is a legal procedure with its steps, its deadlines
// and the steps it may take next.
type legalProcedureView struct {
	ID            string              `json:"id"`
	DebtID        string              `json:"debt_id"`
	CreditorID    string              `json:"creditor_id"`
	DebtorID      string              `json:"debtor_id"`
	Kind          string              `json:"kind"`
	Court         string              `json:"court,omitempty"`
	Section       string              `json:"section,omitempty"`
	CaseNumber    string              `json:"case_number,omitempty"`
	Bailiff       string              `json:"bailiff,omitempty"`
	Lawyer        string              `json:"lawyer,omitempty"`
	ClaimedAmount int64               `json:"claimed_amount"`
	OpenedOn      string              `json:"opened_on"`
	OpenedBy      string              `json:"opened_by"`
	OpenedAt      time.Time           `json:"opened_at"`
	Status        string              `json:"status"`
	Step          string              `json:"step"`
	StepOn        string              `json:"step_on"`
	Judgment      string              `json:"judgment,omitempty"`
	AmountAwarded int64               `json:"amount_awarded,omitempty"`
	Appealed      bool                `json:"appealed"`
	Outcome       string              `json:"outcome,omitempty"`
	ClosedOn      string              `json:"closed_on,omitempty"`
	Costs         int64               `json:"costs"`
	NextSteps     []string            `json:"next_steps"`
	Steps         []legalStepView     `json:"steps"`
	Deadlines     []legalDeadlineView `json:"deadlines"`
	AsOf          string              `json:"as_of"`
	UpdatedAt     time.Time           `json:"updated_at"`
}

func newLegalDeadlineView(d store.LegalDeadline, today collection.Date) legalDeadlineView {
	return legalDeadlineView{ID: d.ID, Name: d.Name, Seq: d.Seq, Step: d.Step, From: day(d.FromOn), Due: day(d.DueOn),
		Days: d.Days, Business: d.Business, Franc: d.Franc, Status: d.Status,
		Overdue: d.Status == "open" && collection.DateOf(d.DueOn.Date()).Before(today), EndedBySeq: d.EndedSeq}
}

// legalViews builds the views of procedures, with their steps and
// deadlines read in two queries.
func (s *Server) legalViews(ctx context.Context, procs []store.LegalProcedure) ([]legalProcedureView, error) {
	ids := make([]string, len(procs))
	for i, p := range procs {
		ids[i] = p.ID
	}
	steps, err := s.q.LegalStepsOfProcedures(ctx, ids)
	if err != nil {
		return nil, err
	}
	deadlines, err := s.q.LegalDeadlinesOfProcedures(ctx, ids)
	if err != nil {
		return nil, err
	}
	today := s.today()
	out := make([]legalProcedureView, len(procs))
	index := map[string]int{}
	for i, p := range procs {
		index[p.ID] = i
		next := []string{}
		if p.Status == "open" {
			next = append(next, collection.LegalNextSteps(p.Kind, p.Step, p.Judgment)...)
		}
		out[i] = legalProcedureView{
			ID: p.ID, DebtID: p.DebtID, CreditorID: p.CreditorID, DebtorID: p.DebtorID, Kind: p.Kind, Court: p.Court,
			Section: p.Section, CaseNumber: p.CaseNumber, Bailiff: p.Bailiff, Lawyer: p.Lawyer, ClaimedAmount: p.ClaimedAmount,
			OpenedOn: day(p.OpenedOn), OpenedBy: p.OpenedBy, OpenedAt: p.OpenedAt, Status: p.Status, Step: p.Step,
			StepOn: day(p.StepOn), Judgment: p.Judgment, AmountAwarded: p.AmountAwarded, Appealed: p.Appealed,
			Outcome: p.Outcome, ClosedOn: dayPtr(p.ClosedOn), Costs: p.Costs, NextSteps: next,
			Steps: []legalStepView{}, Deadlines: []legalDeadlineView{}, AsOf: today.String(), UpdatedAt: p.UpdatedAt,
		}
	}
	for _, st := range steps {
		v := &out[index[st.ProcedureID]]
		docs := st.DocumentIds
		if docs == nil {
			docs = []string{}
		}
		v.Steps = append(v.Steps, legalStepView{ID: st.ID, Seq: st.Seq, Step: st.Step, On: day(st.StepOn),
			Details: legalDetailsView{HearingOn: dayPtr(st.HearingOn), Room: st.Room, Outcome: st.Outcome,
				AmountAwarded: st.AmountAwarded, Court: st.Court, Section: st.Section, CaseNumber: st.CaseNumber, Note: st.Note,
				NoteErased: st.NoteErased},
			DocumentIDs: docs, Cost: st.Cost, RecordedBy: st.RecordedBy, RecordedAt: st.RecordedAt})
	}
	for _, d := range deadlines {
		v := &out[index[d.ProcedureID]]
		v.Deadlines = append(v.Deadlines, newLegalDeadlineView(d, today))
	}
	return out, nil
}

// legalProcedure reads a procedure the request may see.
func (s *Server) legalProcedure(c echo.Context, id string) (store.LegalProcedure, error) {
	cred, debt := scopeOf(c).debtorsScope()
	p, err := s.q.LegalProcedureGet(c.Request().Context(), store.LegalProcedureGetParams{ID: id, ScopeCreditor: cred, ScopeDebtor: debt})
	if errors.Is(err, pgx.ErrNoRows) {
		return p, notFound("legal procedure", id)
	}
	return p, err
}

// renderLegalProcedure answers one procedure; the ETag is its debt's
// version, which If-Match on a new step checks.
func (s *Server) renderLegalProcedure(c echo.Context, status int, id string) error {
	p, err := s.legalProcedure(c, id)
	if err != nil {
		return err
	}
	row, err := s.debtRow(c, p.DebtID)
	if err != nil {
		return err
	}
	views, err := s.legalViews(c.Request().Context(), []store.LegalProcedure{p})
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(row.Version))
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/legal-procedures/"+id)
	}
	return c.JSON(status, views[0])
}

// legalProcedureCreate is POST /api/v1/debts/:id/legal-procedures {"kind",
// "court", "section", "case_number", "bailiff", "lawyer", "claimed_amount",
// "opened_on"}: opens a procedure on a debt in status legal (409
// wrong_status naming the debt's status otherwise). An Idempotency-Key
// makes a retry answer the first procedure; If-Match makes it conditional
// on the debt's version.
func (s *Server) legalProcedureCreate(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in collection.LegalProcedureInput
	if err := decodeJSON(c, body, &in); err != nil {
		return err
	}
	row, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	cmd, err := in.Validate(s.today())
	if err != nil {
		return err
	}
	if err := checkVersion(expected, row.Version); err != nil {
		return err
	}
	idem, err := s.idempotencyKey(c, body)
	if err != nil {
		return err
	}
	// The key reserves the procedure's id (the aggregate is the debt), so
	// a replay renders the first request's procedure, or its rejection.
	render := func(_ context.Context, procedureID string) error {
		return s.renderLegalProcedure(c, http.StatusCreated, procedureID)
	}
	if !idem.fresh {
		if err := s.replay(c, idem, render); !errors.Is(err, errUndecided) {
			return err
		}
	}
	cmd.ID, cmd.ProcedureID, cmd.By = row.ID, idem.aggregateID, principalOf(c).AccountID
	res, err := s.submit(c, idem.commandID, expected, cmd, row.ID)
	if late(res, err) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		return err
	}
	return render(c.Request().Context(), idem.aggregateID)
}

// legalProcedureList is GET /api/v1/debts/:id/legal-procedures: the debt's
// procedures, oldest first, each with its steps and deadlines.
func (s *Server) legalProcedureList(c echo.Context) error {
	debtID, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	row, err := s.debtRow(c, debtID)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	procs, err := s.q.LegalProceduresOfDebt(ctx, row.ID)
	if err != nil {
		return err
	}
	views, err := s.legalViews(ctx, procs)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(row.Version))
	return c.JSON(http.StatusOK, listBody[legalProcedureView]{Items: views})
}

// legalProcedureGet is GET /api/v1/legal-procedures/:id.
func (s *Server) legalProcedureGet(c echo.Context) error {
	id, err := pathID(c, "legal procedure")
	if err != nil {
		return err
	}
	return s.renderLegalProcedure(c, http.StatusOK, id)
}

// legalStepCreate is POST /api/v1/legal-procedures/:id/steps {"step",
// "on", "details": {...}, "document_ids", "cost"}: records the procedure's
// next step and answers the procedure (201, Location the procedure). A
// step out of order is 409 wrong_status, naming the current step and the
// steps allowed next. A cost is added to the debt's fees. An
// Idempotency-Key makes a retry answer the first step; If-Match makes it
// conditional on the debt's version (the procedure's ETag). The note is
// checked, then sealed under the debtor's data key (409 erased once the
// debtor is erased).
func (s *Server) legalStepCreate(c echo.Context) error {
	procID, err := pathID(c, "legal procedure")
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in collection.LegalStepInput
	if err := decodeJSON(c, body, &in); err != nil {
		return err
	}
	p, err := s.legalProcedure(c, procID)
	if err != nil {
		return err
	}
	row, err := s.debtRow(c, p.DebtID)
	if err != nil {
		return err
	}
	cmd, note, err := in.Validate(s.today(), s.legalHolidays())
	if err != nil {
		return err
	}
	if err := checkVersion(expected, row.Version); err != nil {
		return err
	}
	idem, err := s.idempotencyKey(c, body)
	if err != nil {
		return err
	}
	// The key reserves the step's id; a replay renders the procedure, or
	// the first request's rejection.
	render := func(context.Context, string) error {
		return s.renderLegalProcedure(c, http.StatusCreated, p.ID)
	}
	if !idem.fresh {
		if err := s.replay(c, idem, render); !errors.Is(err, errUndecided) {
			return err
		}
	}
	if cmd.Personal, err = s.sealDebtText(c.Request().Context(), row.DebtorID, note); err != nil {
		return err
	}
	cmd.ID, cmd.ProcedureID, cmd.StepID, cmd.By = row.ID, p.ID, idem.aggregateID, principalOf(c).AccountID
	res, err := s.submit(c, idem.commandID, expected, cmd, row.ID)
	if late(res, err) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		return err
	}
	return render(c.Request().Context(), idem.aggregateID)
}

// legalHolidays are the configured public holidays beyond the fixed national
// ones (collection.DefaultHolidays): one list for the whole system, kept
// today in PlanConfig.
func (s *Server) legalHolidays() []collection.Date { return s.cfg.Plans.Holidays }

// legalDeadlineItem is an upcoming deadline with its procedure and debt.
type legalDeadlineItem struct {
	legalDeadlineView
	ProcedureID string `json:"procedure_id"`
	DebtID      string `json:"debt_id"`
	DebtRef     string `json:"debt_ref"`
	Kind        string `json:"kind"`
	Court       string `json:"court,omitempty"`
	CaseNumber  string `json:"case_number,omitempty"`
}

// legalDeadlinesBody is the list of deadlines and the window it covers.
type legalDeadlinesBody struct {
	From       string              `json:"from"`
	Before     string              `json:"before"`
	Items      []legalDeadlineItem `json:"items"`
	NextCursor string              `json:"next_cursor,omitempty"`
}

// legalDeadlineList is GET /api/v1/legal/deadlines?before=&from=&limit=&cursor=:
// the open deadlines of open procedures due on or after from (default
// today in Algiers; give an earlier one to see overdue deadlines) and
// before before (default DefaultDeadlineWindow days ahead), by due date,
// scoped like the debts.
func (s *Server) legalDeadlineList(c echo.Context) error {
	today := s.today()
	from, before := today, today.AddDays(DefaultDeadlineWindow)
	limit := int32(DefaultLimit)
	var afterDue *time.Time
	var afterID *string
	var fe collection.FieldErrors
	for name, vals := range c.QueryParams() {
		if len(vals) != 1 {
			fe.Add(name, "give this parameter once")
			continue
		}
		v := vals[0]
		switch name {
		case "before", "from":
			d, err := collection.ParseDate(v)
			if err != nil {
				fe.Add(name, "must be a date YYYY-MM-DD")
				continue
			}
			if name == "before" {
				before = d
			} else {
				from = d
			}
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				fe.Add("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
			}
			limit = int32(n)
		case "cursor":
			at, id, err := decodeCursor(v)
			if err != nil {
				fe.Add("cursor", "not a cursor this API returned")
			}
			afterDue, afterID = &at, &id
		default:
			fe.Add(name, "unknown parameter; use before, from, limit or cursor")
		}
	}
	if len(fe) == 0 && !before.After(from) {
		fe.Add("before", "must be after from ("+from.String()+")")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	cred, debt := scopeOf(c).debtorsScope()
	rows, err := s.q.LegalDeadlinesUpcoming(c.Request().Context(), store.LegalDeadlinesUpcomingParams{
		FromOn: from.Time(), Before: before.Time(), ScopeCreditor: cred, ScopeDebtor: debt,
		AfterDue: afterDue, AfterID: afterID, RowLimit: limit + 1,
	})
	if err != nil {
		return err
	}
	pg := page(rows, limit, func(r store.LegalDeadlinesUpcomingRow) legalDeadlineItem {
		d := store.LegalDeadline{ID: r.ID, ProcedureID: r.ProcedureID, Seq: r.Seq, Step: r.Step, Name: r.Name,
			FromOn: r.FromOn, DueOn: r.DueOn, Days: r.Days, Business: r.Business, Franc: r.Franc, Status: r.Status,
			EndedSeq: r.EndedSeq}
		return legalDeadlineItem{legalDeadlineView: newLegalDeadlineView(d, today), ProcedureID: r.ProcedureID,
			DebtID: r.DebtID, DebtRef: r.DebtRef, Kind: r.Kind, Court: r.Court, CaseNumber: r.CaseNumber}
	}, func(r store.LegalDeadlinesUpcomingRow) (time.Time, string) { return r.DueOn, r.ID })
	return c.JSON(http.StatusOK, legalDeadlinesBody{From: from.String(), Before: before.String(), Items: pg.Items,
		NextCursor: pg.NextCursor})
}
