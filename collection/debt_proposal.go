package collection

import (
	"fmt"
	"maps"
	"slices"
)

// Actions that need two people (maker-checker): one proposes, another
// approves or refuses.
const (
	// ActionWriteOff cancels the whole balance; the debt closes as
	// written_off.
	ActionWriteOff = "write_off"
	// ActionSettlement grants the debtor a discount, less than the balance
	// when proposed; if the discount clears the balance when approved, the
	// debt closes as recovered.
	ActionSettlement = "settlement"
	// ActionEscalateLegal moves the debt to legal, from open, amicable or
	// payment_plan.
	ActionEscalateLegal = "escalate_legal"
)

// Proposal statuses.
const (
	ProposalStatusPending  = "pending"
	ProposalStatusApproved = "approved"
	ProposalStatusRefused  = "refused"
)

var (
	proposalActions = []string{ActionWriteOff, ActionSettlement, ActionEscalateLegal}
	// escalableStatuses are the statuses an escalation to legal starts from.
	escalableStatuses = []string{DebtStatusOpen, DebtStatusAmicable, DebtStatusPaymentPlan}
)

// ProposalActions lists the actions that need a proposal (a copy).
func ProposalActions() []string { return slices.Clone(proposalActions) }

// ProposeAction proposes a write-off, a settlement discount (Discount, in
// centimes, for a settlement only) or an escalation to legal. A debt has
// at most one pending proposal per action.
type ProposeAction struct {
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Action     string `json:"action"`
	Discount   int64  `json:"discount,omitempty"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// DecideProposal approves or refuses a pending proposal. By must not be the
// proposer. A refusal needs a reason. An approval is checked again against
// the debt as it is now: the debt may have closed or its balance fallen
// since the proposal.
type DecideProposal struct {
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Approve    bool   `json:"approve"`
	Reason     string `json:"reason,omitempty"`
	By         string `json:"by"`
}

// ActionProposed records a proposal waiting for another person's decision.
// Balance is the debt's balance when proposed, for the checker to see.
type ActionProposed struct {
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Action     string `json:"action"`
	Discount   int64  `json:"discount,omitempty"`
	Balance    int64  `json:"balance"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// ProposalApproved records the approval of a proposal. Its effect follows
// in the same decision: DebtWrittenOff and DebtStatusChanged (write_off),
// DiscountGranted and, if the balance is cleared, DebtStatusChanged
// (settlement), or DebtStatusChanged (escalate_legal).
type ProposalApproved struct {
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Action     string `json:"action"`
	Reason     string `json:"reason,omitempty"`
	By         string `json:"by"`
}

// ProposalRefused records the refusal of a proposal; nothing else changes.
type ProposalRefused struct {
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Action     string `json:"action"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
}

// DiscountGranted records an approved settlement discount. Allocation says
// what it cancels: outstanding fees first, then principal (Credit is 0).
type DiscountGranted struct {
	ID         string     `json:"id"`
	ProposalID string     `json:"proposal_id"`
	Amount     int64      `json:"amount"`
	Allocation Allocation `json:"allocation"`
	By         string     `json:"by"`
}

// DebtWrittenOff records an approved write-off of the whole balance at
// approval time: Amount is that balance, Allocation its outstanding fees
// and principal (Credit is 0).
type DebtWrittenOff struct {
	ID         string     `json:"id"`
	ProposalID string     `json:"proposal_id"`
	Amount     int64      `json:"amount"`
	Allocation Allocation `json:"allocation"`
	By         string     `json:"by"`
}

func (ProposeAction) CommandType() string  { return "debt.propose_action" }
func (DecideProposal) CommandType() string { return "debt.decide_proposal" }

func (ProposeAction) Aggregate() AggregateType  { return DebtAggregate }
func (DecideProposal) Aggregate() AggregateType { return DebtAggregate }

func (ActionProposed) EventType() string   { return "debt.action_proposed" }
func (ProposalApproved) EventType() string { return "debt.proposal_approved" }
func (ProposalRefused) EventType() string  { return "debt.proposal_refused" }
func (DiscountGranted) EventType() string  { return "debt.discount_granted" }
func (DebtWrittenOff) EventType() string   { return "debt.written_off" }

func (ActionProposed) Aggregate() AggregateType   { return DebtAggregate }
func (ProposalApproved) Aggregate() AggregateType { return DebtAggregate }
func (ProposalRefused) Aggregate() AggregateType  { return DebtAggregate }
func (DiscountGranted) Aggregate() AggregateType  { return DebtAggregate }
func (DebtWrittenOff) Aggregate() AggregateType   { return DebtAggregate }

// DebtProposal is a proposal as the debt's state keeps it.
type DebtProposal struct {
	ID       string
	Action   string
	Discount int64
	Reason   string
	// By proposed it; DecidedBy approved or refused it.
	By        string
	Status    string
	DecidedBy string
}

// PendingProposal returns the debt's pending proposal of an action, if any.
func (s DebtState) PendingProposal(action string) (DebtProposal, bool) {
	for _, p := range s.proposals {
		if p.Action == action && p.Status == ProposalStatusPending {
			return p, true
		}
	}
	return DebtProposal{}, false
}

func decideProposeAction(s DebtState, c ProposeAction) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "proposal_id", c.ProposalID)
	if debtOneOf(&fe, "action", c.Action, proposalActions) {
		if c.Action == ActionSettlement {
			if c.Discount <= 0 {
				fe.Add("discount", "must be more than 0 (an amount in centimes)")
			}
		} else if c.Discount != 0 {
			fe.Add("discount", "only a settlement has a discount")
		}
	}
	debtReason(&fe, c.Reason, true)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := debtMustBeOpen(s, "only an open debt takes a proposal"); err != nil {
		return nil, err
	}
	if _, dup := s.proposals[c.ProposalID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("proposal %s already exists on debt %s", c.ProposalID, s.ID))
	}
	if p, ok := s.PendingProposal(c.Action); ok {
		return nil, Reject(CodeAlreadyExists,
			fmt.Sprintf("debt %s already has a pending %s proposal (%s); it must be decided first", s.ID, c.Action, p.ID))
	}
	balance := s.Balance()
	switch c.Action {
	case ActionSettlement:
		if c.Discount >= balance {
			return nil, Reject(CodeInvalid, "the discount is not less than the balance", FieldError{"discount",
				fmt.Sprintf("must be less than the balance of %s; propose a write_off to cancel the whole balance", dzd(balance))})
		}
	case ActionEscalateLegal:
		if !slices.Contains(escalableStatuses, s.Status) {
			return nil, Reject(CodeWrongStatus, fmt.Sprintf("debt %s is %s; an escalation to legal starts from %s",
				s.ID, s.Status, orList(escalableStatuses)))
		}
	}
	return []Event{ActionProposed{ID: c.ID, ProposalID: c.ProposalID, Action: c.Action, Discount: c.Discount,
		Balance: balance, Reason: c.Reason, By: c.By}}, nil
}

func decideDecideProposal(s DebtState, c DecideProposal) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "proposal_id", c.ProposalID)
	debtReason(&fe, c.Reason, !c.Approve)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	p, ok := s.proposals[c.ProposalID]
	if !ok {
		return nil, Reject(CodeNotFound, fmt.Sprintf("proposal %s does not exist on debt %s", c.ProposalID, s.ID))
	}
	if p.Status != ProposalStatusPending {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf("proposal %s was already %s", p.ID, p.Status))
	}
	if c.By == p.By {
		return nil, Reject(CodeMakerChecker,
			fmt.Sprintf("maker-checker: proposal %s was made by %s, who cannot also decide it; another person must approve or refuse it",
				p.ID, p.By))
	}
	if !c.Approve {
		// A refusal changes nothing but the proposal: it is allowed even on
		// a debt closed since, to clear the checkers' queue.
		return []Event{ProposalRefused{ID: c.ID, ProposalID: p.ID, Action: p.Action, Reason: c.Reason, By: c.By}}, nil
	}

	if !IsOpenDebtStatus(s.Status) {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf("debt %s is %s, which is closed; the %s proposal %s can no longer be approved, only refused",
			s.ID, s.Status, p.Action, p.ID))
	}
	approved := ProposalApproved{ID: c.ID, ProposalID: p.ID, Action: p.Action, Reason: c.Reason, By: c.By}
	balance := s.Balance()
	switch p.Action {
	case ActionWriteOff:
		alloc := Allocation{Fees: s.FeesOutstanding(), Principal: s.PrincipalOutstanding()}
		return []Event{
			approved,
			DebtWrittenOff{ID: c.ID, ProposalID: p.ID, Amount: balance, Allocation: alloc, By: c.By},
			DebtStatusChanged{ID: c.ID, From: s.Status, To: DebtStatusWrittenOff, Reason: p.Reason, By: c.By},
		}, nil

	case ActionSettlement:
		if p.Discount > balance {
			return nil, Reject(CodeInvalid, fmt.Sprintf(
				"proposal %s grants a discount of %s but the balance is now %s; refuse it and propose again",
				p.ID, dzd(p.Discount), dzd(balance)))
		}
		fees := min(p.Discount, s.FeesOutstanding())
		evs := []Event{approved, DiscountGranted{ID: c.ID, ProposalID: p.ID, Amount: p.Discount,
			Allocation: Allocation{Fees: fees, Principal: p.Discount - fees}, By: c.By}}
		if p.Discount == balance {
			evs = append(evs, DebtStatusChanged{ID: c.ID, From: s.Status, To: DebtStatusRecovered, Reason: "balance settled", By: c.By})
		}
		return evs, nil

	case ActionEscalateLegal:
		if !slices.Contains(escalableStatuses, s.Status) {
			return nil, Reject(CodeWrongStatus, fmt.Sprintf("debt %s is %s; an escalation to legal starts from %s",
				s.ID, s.Status, orList(escalableStatuses)))
		}
		return []Event{
			approved,
			DebtStatusChanged{ID: c.ID, From: s.Status, To: DebtStatusLegal, Reason: p.Reason, By: c.By},
		}, nil
	}
	return nil, fmt.Errorf("debt %s: proposal %s has unknown action %q", s.ID, p.ID, p.Action)
}

// decideStored returns a copy of proposals with proposal id decided.
func decideStored(proposals map[string]DebtProposal, id, status, by string) map[string]DebtProposal {
	p, ok := proposals[id]
	if !ok {
		return proposals
	}
	p.Status, p.DecidedBy = status, by
	out := maps.Clone(proposals)
	out[id] = p
	return out
}
