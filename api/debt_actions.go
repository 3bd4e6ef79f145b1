package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// onDebt runs one command on a debt the request may see: the body is
// decoded into in, build turns it into the command, and the answer is the
// debt as the read model has it after the command (or 202 when late).
// If-Match makes it conditional on the debt's version.
func onDebt[T any](s *Server, c echo.Context, status int, build func(row store.Debt, in T, by string) (collection.Command, error)) error {
	id, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in T
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	row, err := s.debtRow(c, id)
	if err != nil {
		return err
	}
	if err := checkVersion(expected, row.Version); err != nil {
		return err
	}
	cmd, err := build(row, in, principalOf(c).AccountID)
	if err != nil {
		return err
	}
	commandID := newID()
	res, err := s.submit(c, commandID, expected, cmd, id)
	if late(res, err) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	return s.renderDebt(c, status, id)
}

type transitionRequest struct {
	To         string `json:"to"`
	Reason     string `json:"reason"`
	HoldReason string `json:"hold_reason"`
}

// debtTransition is POST /api/v1/debts/:id/transitions {"to", "reason"}.
// The decider names the current status when a move is not allowed.
func (s *Server) debtTransition(c echo.Context) error {
	return onDebt(s, c, http.StatusOK, func(row store.Debt, in transitionRequest, by string) (collection.Command, error) {
		if in.To == "" {
			return nil, invalidRequest("say which status to move to",
				collection.FieldError{Field: "to", Reason: "required: one of " + joinStatuses()})
		}
		return collection.ChangeDebtStatus{ID: row.ID, To: in.To, Reason: in.Reason, HoldReason: in.HoldReason, By: by}, nil
	})
}

func joinStatuses() string {
	out := ""
	for i, st := range collection.DebtStatuses() {
		if i > 0 {
			out += ", "
		}
		out += st
	}
	return out
}

// debtPatch is PATCH /api/v1/debts/:id: assign an agent, or reschedule the
// current due date (with a reason). One change per request, so each is
// its own event with its own reason.
type debtPatch struct {
	AgentID      *string `json:"agent_id"`
	CurrentDueOn *string `json:"current_due_on"`
	Reason       string  `json:"reason"`
}

func (s *Server) debtUpdate(c echo.Context) error {
	return onDebt(s, c, http.StatusOK, func(row store.Debt, in debtPatch, by string) (collection.Command, error) {
		switch {
		case in.AgentID != nil && in.CurrentDueOn != nil:
			return nil, invalidRequest("change one thing at a time",
				collection.FieldError{Field: "current_due_on", Reason: "send the assignment and the new due date in two requests"})
		case in.AgentID != nil:
			if err := s.mustBeAgent(c, *in.AgentID); err != nil {
				return nil, err
			}
			return collection.AssignDebt{ID: row.ID, AgentID: *in.AgentID, By: by}, nil
		case in.CurrentDueOn != nil:
			d, err := collection.ParseDate(*in.CurrentDueOn)
			if err != nil {
				return nil, invalidRequest("bad date", collection.FieldError{Field: "current_due_on", Reason: "must be a date YYYY-MM-DD"})
			}
			return collection.RescheduleDebt{ID: row.ID, DueOn: d, Reason: in.Reason, By: by}, nil
		}
		return nil, invalidRequest("the patch changes nothing",
			collection.FieldError{Field: "", Reason: "give agent_id or current_due_on (with reason)"})
	})
}

// mustBeAgent checks an assignee: an active staff account that works
// debts (agent or admin).
func (s *Server) mustBeAgent(c echo.Context, id string) error {
	acc, err := s.q.AccountGet(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (acc.Role != collection.RoleAgent && acc.Role != collection.RoleAdmin)) {
		return invalidRequest("no such agent", collection.FieldError{Field: "agent_id", Reason: "not the id of an agent or admin account"})
	}
	if err != nil {
		return invalidRequest("no such agent", collection.FieldError{Field: "agent_id", Reason: "not a valid id"})
	}
	if acc.Status != collection.AccountStatusActive {
		return invalidRequest("inactive agent", collection.FieldError{Field: "agent_id", Reason: "the account is " + acc.Status})
	}
	return nil
}

type chargeRequest struct {
	Kind   string `json:"kind"`
	Amount int64  `json:"amount"`
	Reason string `json:"reason"`
	On     string `json:"on"`
}

// debtCharge is POST /api/v1/debts/:id/charges: a fee or a legal cost.
func (s *Server) debtCharge(c echo.Context) error {
	return onDebt(s, c, http.StatusCreated, func(row store.Debt, in chargeRequest, by string) (collection.Command, error) {
		on := s.today()
		if in.On != "" {
			d, err := collection.ParseDate(in.On)
			if err != nil {
				return nil, invalidRequest("bad date", collection.FieldError{Field: "on", Reason: "must be a date YYYY-MM-DD"})
			}
			on = d
		}
		return collection.AddCharge{ID: row.ID, ChargeID: newID(), Kind: in.Kind, Amount: in.Amount, Reason: in.Reason, On: on, By: by}, nil
	})
}

type proposalRequest struct {
	Action   string `json:"action"`
	Discount int64  `json:"discount"`
	Reason   string `json:"reason"`
}

// proposalView is a maker-checker proposal.
type proposalView struct {
	ID             string     `json:"id"`
	DebtID         string     `json:"debt_id"`
	CreditorID     string     `json:"creditor_id"`
	Action         string     `json:"action"`
	Discount       int64      `json:"discount,omitempty"`
	Reason         string     `json:"reason"`
	ProposedBy     string     `json:"proposed_by"`
	ProposedAt     time.Time  `json:"proposed_at"`
	Status         string     `json:"status"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
}

func newProposalView(p store.DebtProposal) proposalView {
	return proposalView{ID: p.ID, DebtID: p.DebtID, CreditorID: p.CreditorID, Action: p.Action, Discount: p.Discount,
		Reason: p.Reason, ProposedBy: p.ProposedBy, ProposedAt: p.ProposedAt, Status: p.Status, DecidedBy: p.DecidedBy,
		DecidedAt: p.DecidedAt, DecisionReason: p.DecisionReason}
}

// debtPropose is POST /api/v1/debts/:id/proposals: a write-off, a
// settlement discount or an escalation to legal, for another person to
// approve at /api/v1/approvals/{id}.
func (s *Server) debtPropose(c echo.Context) error {
	id, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	var in proposalRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	row, err := s.debtRow(c, id)
	if err != nil {
		return err
	}
	proposalID := newID()
	commandID := newID()
	res, err := s.submit(c, commandID, collection.AnyVersion, collection.ProposeAction{
		ID: row.ID, ProposalID: proposalID, Action: in.Action, Discount: in.Discount, Reason: in.Reason, By: principalOf(c).AccountID,
	}, row.ID)
	if late(res, err) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	return s.renderProposal(c, http.StatusCreated, proposalID)
}

func (s *Server) renderProposal(c echo.Context, status int, id string) error {
	p, err := s.proposal(c, id)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/approvals/"+id)
	}
	return c.JSON(status, newProposalView(p))
}

// proposal reads a proposal of a debt the request may see.
func (s *Server) proposal(c echo.Context, id string) (store.DebtProposal, error) {
	p, err := s.q.ProposalGet(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, notFound("proposal", id)
	}
	if err != nil {
		return p, err
	}
	if _, err := s.debtRow(c, p.DebtID); err != nil {
		return p, notFound("proposal", id)
	}
	return p, nil
}

// approvalList is GET /api/v1/approvals?status=pending&debt_id=.
func (s *Server) approvalList(c echo.Context) error {
	lp, err := parseList(c, "status", "debt_id")
	if err != nil {
		return err
	}
	var fe collection.FieldErrors
	if st := lp.filters["status"]; st != nil && *st != "pending" && *st != "approved" && *st != "refused" {
		fe.Add("status", "must be pending, approved or refused")
	}
	// The query casts debt_id to uuid: anything else must be refused here,
	// not fail in PostgreSQL as a 500.
	if id := lp.filters["debt_id"]; id != nil {
		if u, err := uuid.Parse(*id); err != nil {
			fe.Add("debt_id", "must be a debt id (a UUID)")
		} else {
			canonical := u.String()
			lp.filters["debt_id"] = &canonical
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	rows, err := s.q.ProposalList(c.Request().Context(), store.ProposalListParams{
		Status: lp.filters["status"], DebtID: lp.filters["debt_id"], AfterAt: lp.afterCreatedAt, AfterID: lp.afterID,
		RowLimit: lp.limit + 1,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page(rows, lp.limit, newProposalView,
		func(p store.DebtProposal) (time.Time, string) { return p.ProposedAt, p.ID }))
}

func (s *Server) approvalGet(c echo.Context) error {
	id, err := pathID(c, "proposal")
	if err != nil {
		return err
	}
	return s.renderProposal(c, http.StatusOK, id)
}

type decisionRequest struct {
	Approve *bool  `json:"approve"`
	Reason  string `json:"reason"`
}

// approvalDecide is POST /api/v1/approvals/:id {"approve", "reason"}. The
// decider refuses a decision by the proposer (maker-checker).
func (s *Server) approvalDecide(c echo.Context) error {
	id, err := pathID(c, "proposal")
	if err != nil {
		return err
	}
	var in decisionRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	if in.Approve == nil {
		return invalidRequest("say whether you approve", collection.FieldError{Field: "approve", Reason: "required: true or false"})
	}
	p, err := s.proposal(c, id)
	if err != nil {
		return err
	}
	commandID := newID()
	res, err := s.submit(c, commandID, collection.AnyVersion, collection.DecideProposal{
		ID: p.DebtID, ProposalID: id, Approve: *in.Approve, Reason: in.Reason, By: principalOf(c).AccountID,
	}, p.DebtID)
	if late(res, err) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	return s.renderProposal(c, http.StatusOK, id)
}
