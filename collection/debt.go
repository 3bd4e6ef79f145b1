package collection

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Debt statuses. A debt is open while ADC works it (open, amicable,
// payment_plan, legal, on_hold) and closed once recovered, written off,
// withdrawn by its creditor or found uncollectible. A status name is
// stored in events: renaming one needs an upcaster.
const (
	DebtStatusOpen          = "open"
	DebtStatusAmicable      = "amicable"
	DebtStatusPaymentPlan   = "payment_plan"
	DebtStatusLegal         = "legal"
	DebtStatusOnHold        = "on_hold"
	DebtStatusRecovered     = "recovered"
	DebtStatusWrittenOff    = "written_off"
	DebtStatusWithdrawn     = "withdrawn"
	DebtStatusUncollectible = "uncollectible"
)

// Debt types: what the debt arises from.
const (
	DebtTypeCommercial = "commercial"
	DebtTypePersonal   = "personal"
	DebtTypeUtility    = "utility"
	DebtTypeLoan       = "loan"
	DebtTypeRent       = "rent"
	DebtTypeCheque     = "cheque" // an unpaid cheque (chèque impayé)
	DebtTypeOther      = "other"
)

// Kinds of hold. A disputed debt or a debt on hold gets no reminder.
const (
	HoldReasonDispute  = "dispute"
	HoldReasonHardship = "hardship"
	HoldReasonOther    = "other"
)

// Kinds of charge added to a debt after it was opened. Both are owed as
// fees: a payment settles them before the principal.
const (
	ChargeKindFee       = "fee"
	ChargeKindLegalCost = "legal_cost"
)

// DebtCurrency is the one currency a debt is kept in: amounts are integer
// centimes of Algerian dinar.
const DebtCurrency = "DZD"

// MaxDebtAmount bounds every amount of a debt and what a debt can total
// (principal, fees and charges), in centimes: 10^15 centimes is ten
// thousand billion dinars, beyond any real debt, and far enough below the
// int64 limit that no sum of a debt's amounts can overflow.
const MaxDebtAmount int64 = 1_000_000_000_000_000

// Limits of a debt's text fields, in runes.
const (
	MaxDebtRefLength         = 32
	MaxExternalRefLength     = 64
	MaxDebtDescriptionLength = 2000
	MaxDebtReasonLength      = 500
)

// CodeMakerChecker rejects the decision of a proposal by the person who
// made it: a write-off, a settlement discount and an escalation to a legal
// procedure need two people. Like the other codes it is part of the API
// contract (a problem type slug).
const CodeMakerChecker = "maker_checker"

var (
	debtStatuses = []string{
		DebtStatusOpen, DebtStatusAmicable, DebtStatusPaymentPlan, DebtStatusLegal, DebtStatusOnHold,
		DebtStatusRecovered, DebtStatusWrittenOff, DebtStatusWithdrawn, DebtStatusUncollectible,
	}
	openDebtStatuses = []string{
		DebtStatusOpen, DebtStatusAmicable, DebtStatusPaymentPlan, DebtStatusLegal, DebtStatusOnHold,
	}
	debtTypes = []string{
		DebtTypeCommercial, DebtTypePersonal, DebtTypeUtility, DebtTypeLoan, DebtTypeRent, DebtTypeCheque, DebtTypeOther,
	}
	holdReasons = []string{HoldReasonDispute, HoldReasonHardship, HoldReasonOther}
	chargeKinds = []string{ChargeKindFee, ChargeKindLegalCost}
)

// DebtStatuses lists every debt status, open ones first (a copy).
func DebtStatuses() []string { return slices.Clone(debtStatuses) }

// OpenDebtStatuses lists the statuses of a debt still worked (a copy).
func OpenDebtStatuses() []string { return slices.Clone(openDebtStatuses) }

// IsOpenDebtStatus reports whether a debt in status is still worked:
// open, amicable, payment_plan, legal or on_hold.
func IsOpenDebtStatus(status string) bool { return slices.Contains(openDebtStatuses, status) }

// DebtTypes lists the debt types (a copy).
func DebtTypes() []string { return slices.Clone(debtTypes) }

// HoldReasons lists the kinds of hold (a copy).
func HoldReasons() []string { return slices.Clone(holdReasons) }

// ChargeKinds lists the kinds of charge (a copy).
func ChargeKinds() []string { return slices.Clone(chargeKinds) }

// OpenDebt opens a case file for a debt a creditor hands ADC. Ref is the
// short human reference, reserved by the caller; the caller also checked
// that the creditor and the debtor exist (an invariant across
// aggregates). Amounts are centimes. DebtInput.Validate builds one from
// what a client sent.
//
// The description, optional, is sealed in Personal
// (DebtPersonal.Description) under the data key of the debtor, DebtorID;
// Description is the description in clear of a version 1 record.
type OpenDebt struct {
	ID          string `json:"id"`
	Ref         string `json:"ref"`
	CreditorID  string `json:"creditor_id"`
	DebtorID    string `json:"debtor_id"`
	ExternalRef string `json:"external_ref"`
	Type        string `json:"type"`
	Principal   int64  `json:"principal"`
	Fees        int64  `json:"fees"`
	Currency    string `json:"currency"`
	// AcknowledgedOn is the date the debtor acknowledged the debt
	// (empreinte, البصمة); unset when there was none.
	AcknowledgedOn Date   `json:"acknowledged_on,omitzero"`
	OriginalDueOn  Date   `json:"original_due_on"`
	Description    string `json:"description,omitempty"`
	By             string `json:"by"`
	Personal       Sealed `json:"-"`
}

// ChangeDebtStatus moves a debt to another status (see DebtState.StatusTargets).
// A hold needs a HoldReason and a Reason; a withdrawal or a finding of
// uncollectibility needs a Reason.
type ChangeDebtStatus struct {
	ID         string `json:"id"`
	To         string `json:"to"`
	HoldReason string `json:"hold_reason,omitempty"`
	Reason     string `json:"reason,omitempty"`
	By         string `json:"by"`
}

// AssignDebt gives a debt to an agent.
type AssignDebt struct {
	ID      string `json:"id"`
	AgentID string `json:"agent_id"`
	By      string `json:"by"`
}

// RescheduleDebt moves the debt's current due date, for a reason.
type RescheduleDebt struct {
	ID     string `json:"id"`
	DueOn  Date   `json:"due_on"`
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// AddCharge adds a fee or a legal cost to what the debtor owes.
type AddCharge struct {
	ID       string `json:"id"`
	ChargeID string `json:"charge_id"`
	Kind     string `json:"kind"`
	Amount   int64  `json:"amount"`
	Reason   string `json:"reason"`
	On       Date   `json:"on"`
	By       string `json:"by"`
}

// DebtOpened records a new case file, in status open, due on its original
// due date. Its description, if any, is sealed in Personal
// (DebtPersonal.Description) under the debtor's data key; Description is
// the description in clear of a version 1 record.
type DebtOpened struct {
	ID             string `json:"id"`
	Ref            string `json:"ref"`
	CreditorID     string `json:"creditor_id"`
	DebtorID       string `json:"debtor_id"`
	ExternalRef    string `json:"external_ref"`
	Type           string `json:"type"`
	Principal      int64  `json:"principal"`
	Fees           int64  `json:"fees"`
	Currency       string `json:"currency"`
	AcknowledgedOn Date   `json:"acknowledged_on,omitzero"`
	OriginalDueOn  Date   `json:"original_due_on"`
	CurrentDueOn   Date   `json:"current_due_on"`
	Description    string `json:"description,omitempty"`
	Status         string `json:"status"`
	By             string `json:"by"`
	Personal       Sealed `json:"-"`
}

// DebtStatusChanged records a move from one status to another. It is the
// only event that changes a debt's status after DebtOpened: besides
// ChangeDebtStatus, a payment that clears the balance (to recovered), the
// reversal of a payment of a recovered debt (back to the status before),
// and an approved proposal (to written_off, legal, or recovered by a
// settlement) each add one. HoldReason is set when To is on_hold.
type DebtStatusChanged struct {
	ID         string `json:"id"`
	From       string `json:"from"`
	To         string `json:"to"`
	HoldReason string `json:"hold_reason,omitempty"`
	Reason     string `json:"reason,omitempty"`
	By         string `json:"by"`
}

// DebtAssigned records that an agent now works the debt; Previous is the
// agent before, if any.
type DebtAssigned struct {
	ID       string `json:"id"`
	AgentID  string `json:"agent_id"`
	Previous string `json:"previous,omitempty"`
	By       string `json:"by"`
}

// DebtRescheduled records a move of the current due date.
type DebtRescheduled struct {
	ID     string `json:"id"`
	From   Date   `json:"from"`
	To     Date   `json:"to"`
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// ChargeAdded records a fee or a legal cost added to the debt.
type ChargeAdded struct {
	ID       string `json:"id"`
	ChargeID string `json:"charge_id"`
	Kind     string `json:"kind"`
	Amount   int64  `json:"amount"`
	Reason   string `json:"reason"`
	On       Date   `json:"on"`
	By       string `json:"by"`
}

func (OpenDebt) CommandType() string         { return "debt.open" }
func (ChangeDebtStatus) CommandType() string { return "debt.change_status" }
func (AssignDebt) CommandType() string       { return "debt.assign" }
func (RescheduleDebt) CommandType() string   { return "debt.reschedule" }
func (AddCharge) CommandType() string        { return "debt.add_charge" }

func (OpenDebt) Aggregate() AggregateType         { return DebtAggregate }
func (ChangeDebtStatus) Aggregate() AggregateType { return DebtAggregate }
func (AssignDebt) Aggregate() AggregateType       { return DebtAggregate }
func (RescheduleDebt) Aggregate() AggregateType   { return DebtAggregate }
func (AddCharge) Aggregate() AggregateType        { return DebtAggregate }

func (DebtOpened) EventType() string        { return "debt.opened" }
func (DebtStatusChanged) EventType() string { return "debt.status_changed" }
func (DebtAssigned) EventType() string      { return "debt.assigned" }
func (DebtRescheduled) EventType() string   { return "debt.rescheduled" }
func (ChargeAdded) EventType() string       { return "debt.charge_added" }

func (DebtOpened) Aggregate() AggregateType        { return DebtAggregate }
func (DebtStatusChanged) Aggregate() AggregateType { return DebtAggregate }
func (DebtAssigned) Aggregate() AggregateType      { return DebtAggregate }
func (DebtRescheduled) Aggregate() AggregateType   { return DebtAggregate }
func (ChargeAdded) Aggregate() AggregateType       { return DebtAggregate }

func (c OpenDebt) PersonalPart() Sealed   { return c.Personal }
func (e DebtOpened) PersonalPart() Sealed { return e.Personal }

// ClearText implements DebtTextCarrier.
func (e DebtOpened) ClearText() DebtPersonal { return DebtPersonal{Description: e.Description} }

// DebtState is what the decider knows of a debt: its status, parties and
// dates, its ledger, its payments and its proposals.
//
// The ledger is kept in components so that the allocation of payments is
// decided from the state (see Allocation). Its identity always holds:
//
//	Balance() − Credit() = Principal() + Fees() + Charges() − Discount() − WrittenOff() − Paid()
//
// with Balance() and Credit() never negative and never both positive.
//
// Evolve never writes to a map another state may share: the processor
// keeps the state before a batch until the batch's transaction commits.
type DebtState struct {
	ID          string
	Ref         string
	CreditorID  string
	DebtorID    string
	ExternalRef string
	Type        string
	Currency    string
	Status      string
	// HeldFrom is the status the debt had when it was last put on hold,
	// and HoldReason the kind of that hold: a release from on_hold goes
	// back to HeldFrom. Both keep their values after the hold ends.
	HeldFrom   string
	HoldReason string
	// RecoveredFrom is the status the debt had when it was last recovered:
	// the reversal of a payment of a recovered debt reopens it there.
	RecoveredFrom  string
	AgentID        string
	AcknowledgedOn Date
	OriginalDueOn  Date
	CurrentDueOn   Date

	principal, fees                     int64 // as opened
	charges, legalCosts                 int64 // added since; legalCosts ⊂ charges
	feesPaid, principalPaid, credit     int64 // net payments, by allocation
	feesDiscounted, principalDiscounted int64
	feesWrittenOff, principalWrittenOff int64
	payments                            map[string]DebtPayment
	chargeIDs                           map[string]struct{}
	proposals                           map[string]DebtProposal
	plans                               debtPlans    // debt_plan.go
	casework                            debtCasework // debt_document.go, debt_interaction.go
	legal                               debtLegal    // debt_legal.go
	version                             int64
}

// Version implements State.
func (s DebtState) Version() int64 { return s.version }

// IsOpen reports whether the debt exists and is still worked.
func (s DebtState) IsOpen() bool { return s.version > 0 && IsOpenDebtStatus(s.Status) }

// Principal is the principal as opened.
func (s DebtState) Principal() int64 { return s.principal }

// Fees are the fees as opened.
func (s DebtState) Fees() int64 { return s.fees }

// Charges is the sum of the charges added since (fees and legal costs).
func (s DebtState) Charges() int64 { return s.charges }

// LegalCosts is the part of Charges added as legal costs.
func (s DebtState) LegalCosts() int64 { return s.legalCosts }

// Discount is the sum of the settlement discounts granted.
func (s DebtState) Discount() int64 { return s.feesDiscounted + s.principalDiscounted }

// WrittenOff is the amount written off (the balance when a write-off was
// approved), or zero.
func (s DebtState) WrittenOff() int64 { return s.feesWrittenOff + s.principalWrittenOff }

// Paid is the sum of the payments not reversed, credit included.
func (s DebtState) Paid() int64 { return s.feesPaid + s.principalPaid + s.credit }

// Credit is what the debtor paid beyond the balance, by an accepted
// overpayment: it is owed back to them (or kept for them).
func (s DebtState) Credit() int64 { return s.credit }

// FeesOutstanding is what is still owed of the fees and charges.
func (s DebtState) FeesOutstanding() int64 {
	return s.fees + s.charges - s.feesPaid - s.feesDiscounted - s.feesWrittenOff
}

// PrincipalOutstanding is what is still owed of the principal.
func (s DebtState) PrincipalOutstanding() int64 {
	return s.principal - s.principalPaid - s.principalDiscounted - s.principalWrittenOff
}

// Balance is what the debtor still owes: the outstanding fees and
// principal. It is zero once the debt is recovered or written off.
func (s DebtState) Balance() int64 { return max(0, s.FeesOutstanding()+s.PrincipalOutstanding()) }

// Payment returns one payment of the debt, reversed or not.
func (s DebtState) Payment(id string) (DebtPayment, bool) {
	p, ok := s.payments[id]
	return p, ok
}

// Payments lists the debt's payments, reversed ones included, by value
// date then id (UUIDv7 ids sort by recording time).
func (s DebtState) Payments() []DebtPayment {
	out := slices.Collect(maps.Values(s.payments))
	slices.SortFunc(out, func(a, b DebtPayment) int {
		if c := a.ValueDate.Time().Compare(b.ValueDate.Time()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Proposal returns one proposal of the debt, decided or not.
func (s DebtState) Proposal(id string) (DebtProposal, bool) {
	p, ok := s.proposals[id]
	return p, ok
}

// PendingProposals lists the proposals waiting for a decision, by id.
func (s DebtState) PendingProposals() []DebtProposal {
	var out []DebtProposal
	for _, p := range s.proposals {
		if p.Status == ProposalStatusPending {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b DebtProposal) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// StatusTargets lists the statuses ChangeDebtStatus may move the debt to
// from its current status:
//
//   - open → amicable; amicable → payment_plan; payment_plan → amicable;
//   - every open status but on_hold → on_hold;
//   - on_hold → the status it was held from (HeldFrom), legal included:
//     that escalation was approved before the hold;
//   - every open status → withdrawn, uncollectible.
//
// legal and written_off need an approved proposal (ProposeAction), and a
// debt becomes recovered when its balance is paid. A closed debt has no
// target.
func (s DebtState) StatusTargets() []string {
	if !s.IsOpen() {
		return nil
	}
	var out []string
	switch s.Status {
	case DebtStatusOpen:
		out = []string{DebtStatusAmicable}
	case DebtStatusAmicable:
		out = []string{DebtStatusPaymentPlan}
	case DebtStatusPaymentPlan:
		out = []string{DebtStatusAmicable}
	case DebtStatusOnHold:
		if s.HeldFrom != "" && s.HeldFrom != DebtStatusOnHold {
			out = []string{s.HeldFrom}
		}
	}
	if s.Status != DebtStatusOnHold {
		out = append(out, DebtStatusOnHold)
	}
	return append(out, DebtStatusWithdrawn, DebtStatusUncollectible)
}

var debtBehaviour = Behaviour{
	Type:   DebtAggregate,
	New:    func(id string) State { return DebtState{ID: id} },
	Decide: func(s State, c Command) ([]Event, error) { return decideDebt(s.(DebtState), c) },
	Evolve: func(s State, e Event) State { return evolveDebt(s.(DebtState), e) },
}

// decideDebt checks, for every command, that the debt exists, then the
// command's own fields (all problems at once), then what the debt's state
// allows.
func decideDebt(s DebtState, c Command) ([]Event, error) {
	switch c := c.(type) {
	case OpenDebt:
		return decideOpenDebt(s, c)
	case ChangeDebtStatus:
		return decideChangeDebtStatus(s, c)
	case AssignDebt:
		return decideAssignDebt(s, c)
	case RescheduleDebt:
		return decideRescheduleDebt(s, c)
	case AddCharge:
		return decideAddCharge(s, c)
	case ProposeAction:
		return decideProposeAction(s, c)
	case DecideProposal:
		return decideDecideProposal(s, c)
	case RecordPayment:
		return decideRecordPayment(s, c)
	case ReversePayment:
		return decideReversePayment(s, c)
	case SetPlan:
		return decideSetPlan(s, c)
	case MakePromise:
		return decideMakePromise(s, c)
	case AttachDocument:
		return decideAttachDocument(s, c)
	case LogInteraction:
		return decideLogInteraction(s, c)
	case CompleteTask:
		return decideCompleteTask(s, c)
	case OpenLegalProcedure:
		return decideOpenLegalProcedure(s, c)
	case RecordLegalStep:
		return decideRecordLegalStep(s, c)
	default:
		return nil, fmt.Errorf("debt cannot handle %T", c)
	}
}

func decideOpenDebt(s DebtState, c OpenDebt) ([]Event, error) {
	if s.version > 0 {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("debt %s already exists", s.ID))
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "id", c.ID)
	debtText(&fe, "ref", c.Ref, MaxDebtRefLength, true, false)
	checkCanonicalUUID(&fe, "creditor_id", c.CreditorID)
	checkCanonicalUUID(&fe, "debtor_id", c.DebtorID)
	debtText(&fe, "external_ref", c.ExternalRef, MaxExternalRefLength, true, false)
	debtOneOf(&fe, "type", c.Type, debtTypes)
	checkDebtAmounts(&fe, c.Principal, c.Fees)
	checkDebtCurrency(&fe, c.Currency)
	if c.OriginalDueOn.IsZero() {
		fe.Add("original_due_on", "is required")
	}
	checkDebtText(&fe, "description", c.Description, c.Personal, MaxDebtDescriptionLength, false, true)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return []Event{DebtOpened{
		ID: c.ID, Ref: c.Ref, CreditorID: c.CreditorID, DebtorID: c.DebtorID, ExternalRef: c.ExternalRef,
		Type: c.Type, Principal: c.Principal, Fees: c.Fees, Currency: c.Currency,
		AcknowledgedOn: c.AcknowledgedOn, OriginalDueOn: c.OriginalDueOn, CurrentDueOn: c.OriginalDueOn,
		Description: c.Description, Status: DebtStatusOpen, By: c.By, Personal: c.Personal,
	}}, nil
}

func decideChangeDebtStatus(s DebtState, c ChangeDebtStatus) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	if debtOneOf(&fe, "to", c.To, debtStatuses) {
		switch c.To {
		case DebtStatusOnHold:
			debtOneOf(&fe, "hold_reason", c.HoldReason, holdReasons)
			debtReason(&fe, c.Reason, true)
		case DebtStatusWithdrawn, DebtStatusUncollectible:
			debtReason(&fe, c.Reason, true)
		default:
			debtReason(&fe, c.Reason, false)
		}
		if c.To != DebtStatusOnHold && c.HoldReason != "" {
			fe.Add("hold_reason", "only a move to on_hold has a hold_reason")
		}
	}
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if c.To == s.Status {
		return nil, Reject(CodeNoChange, fmt.Sprintf("debt %s is already %s", s.ID, s.Status))
	}
	if !slices.Contains(s.StatusTargets(), c.To) {
		return nil, Reject(CodeWrongStatus, wrongDebtTransition(s, c.To))
	}
	return []Event{DebtStatusChanged{ID: c.ID, From: s.Status, To: c.To, HoldReason: c.HoldReason, Reason: c.Reason, By: c.By}}, nil
}

// wrongDebtTransition says why a debt cannot move to status to: its
// current status, where it can go instead, and how to reach to otherwise.
func wrongDebtTransition(s DebtState, to string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "debt %s is %s", s.ID, s.Status)
	switch s.Status {
	case DebtStatusRecovered:
		b.WriteString(" and closed; it reopens only when one of its payments is reversed")
	case DebtStatusWrittenOff, DebtStatusWithdrawn, DebtStatusUncollectible:
		b.WriteString(", which is final; its status can no longer change")
	default:
		fmt.Fprintf(&b, "; it can move to %s only, not to %s", orList(s.StatusTargets()), to)
		switch to {
		case DebtStatusLegal:
			b.WriteString(" (an escalation to legal needs an approved escalate_legal proposal)")
		case DebtStatusWrittenOff:
			b.WriteString(" (a write-off needs an approved write_off proposal)")
		case DebtStatusRecovered:
			b.WriteString(" (a debt is recovered when its balance is paid)")
		}
	}
	return b.String()
}

func decideAssignDebt(s DebtState, c AssignDebt) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "agent_id", c.AgentID)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := debtMustBeOpen(s, "only an open debt is assigned"); err != nil {
		return nil, err
	}
	if c.AgentID == s.AgentID {
		return nil, Reject(CodeNoChange, fmt.Sprintf("debt %s is already assigned to agent %s", s.ID, s.AgentID))
	}
	return []Event{DebtAssigned{ID: c.ID, AgentID: c.AgentID, Previous: s.AgentID, By: c.By}}, nil
}

func decideRescheduleDebt(s DebtState, c RescheduleDebt) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	if c.DueOn.IsZero() {
		fe.Add("due_on", "is required")
	}
	debtReason(&fe, c.Reason, true)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := debtMustBeOpen(s, "only an open debt is rescheduled"); err != nil {
		return nil, err
	}
	if c.DueOn.Equal(s.CurrentDueOn) {
		return nil, Reject(CodeNoChange, fmt.Sprintf("debt %s is already due on %s", s.ID, s.CurrentDueOn))
	}
	return []Event{DebtRescheduled{ID: c.ID, From: s.CurrentDueOn, To: c.DueOn, Reason: c.Reason, By: c.By}}, nil
}

func decideAddCharge(s DebtState, c AddCharge) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "charge_id", c.ChargeID)
	debtOneOf(&fe, "kind", c.Kind, chargeKinds)
	checkDebtAmount(&fe, "amount", c.Amount)
	debtReason(&fe, c.Reason, true)
	if c.On.IsZero() {
		fe.Add("on", "is required")
	}
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := debtMustBeOpen(s, "a charge is added to an open debt only"); err != nil {
		return nil, err
	}
	if _, dup := s.chargeIDs[c.ChargeID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("charge %s is already added to debt %s", c.ChargeID, s.ID))
	}
	if total := s.principal + s.fees + s.charges; c.Amount > MaxDebtAmount-total {
		return nil, Reject(CodeInvalid, "the charge would bring the debt above its maximum",
			FieldError{"amount", fmt.Sprintf("would bring the debt's total above %s", dzd(MaxDebtAmount))})
	}
	return []Event{ChargeAdded(c)}, nil
}

func evolveDebt(s DebtState, e Event) DebtState {
	switch e := e.(type) {
	case DebtOpened:
		s.ID, s.Ref, s.CreditorID, s.DebtorID, s.ExternalRef = e.ID, e.Ref, e.CreditorID, e.DebtorID, e.ExternalRef
		s.Type = internAccountValue(e.Type, debtTypes)
		s.Currency = internAccountValue(e.Currency, []string{DebtCurrency})
		s.Status = internAccountValue(e.Status, debtStatuses)
		if s.Status == "" {
			s.Status = DebtStatusOpen
		}
		s.principal, s.fees = e.Principal, e.Fees
		s.AcknowledgedOn, s.OriginalDueOn, s.CurrentDueOn = e.AcknowledgedOn, e.OriginalDueOn, e.CurrentDueOn
		if s.CurrentDueOn.IsZero() {
			s.CurrentDueOn = e.OriginalDueOn
		}
	case DebtStatusChanged:
		switch e.To {
		case DebtStatusOnHold:
			// A reopening from recovered returns to a hold that already
			// was: only a new hold says where it was held from.
			if IsOpenDebtStatus(e.From) {
				s.HeldFrom, s.HoldReason = internAccountValue(e.From, debtStatuses), internAccountValue(e.HoldReason, holdReasons)
			}
		case DebtStatusRecovered:
			s.RecoveredFrom = internAccountValue(e.From, debtStatuses)
		}
		s.Status = internAccountValue(e.To, debtStatuses)
	case DebtAssigned:
		s.AgentID = e.AgentID
	case DebtRescheduled:
		s.CurrentDueOn = e.To
	case ChargeAdded:
		s.charges += e.Amount
		if e.Kind == ChargeKindLegalCost {
			s.legalCosts += e.Amount
		}
		s.chargeIDs = cloneAdd(s.chargeIDs, e.ChargeID, struct{}{})
	case ActionProposed:
		s.proposals = cloneAdd(s.proposals, e.ProposalID, DebtProposal{
			ID: e.ProposalID, Action: internAccountValue(e.Action, proposalActions), Discount: e.Discount,
			Reason: e.Reason, By: e.By, Status: ProposalStatusPending,
		})
	case ProposalApproved:
		s.proposals = decideStored(s.proposals, e.ProposalID, ProposalStatusApproved, e.By)
	case ProposalRefused:
		s.proposals = decideStored(s.proposals, e.ProposalID, ProposalStatusRefused, e.By)
	case DiscountGranted:
		s.feesDiscounted += e.Allocation.Fees
		s.principalDiscounted += e.Allocation.Principal
	case DebtWrittenOff:
		s.feesWrittenOff += e.Allocation.Fees
		s.principalWrittenOff += e.Allocation.Principal
	case PaymentRecorded:
		s.feesPaid += e.Allocation.Fees
		s.principalPaid += e.Allocation.Principal
		s.credit += e.Allocation.Credit
		s.payments = cloneAdd(s.payments, e.PaymentID, DebtPayment{
			ID: e.PaymentID, Amount: e.Amount, ValueDate: e.ValueDate, Method: internAccountValue(e.Method, paymentMethods),
			Reference: e.Reference, Overpayment: e.Overpayment, Allocation: e.Allocation,
		})
	case PaymentReversed:
		s.feesPaid -= e.Allocation.Fees
		s.principalPaid -= e.Allocation.Principal
		s.credit -= e.Allocation.Credit
		if p, ok := s.payments[e.PaymentID]; ok {
			p.Reversed = true
			s.payments = cloneAdd(s.payments, e.PaymentID, p)
		}
	case PlanSet, PromiseMade:
		s.plans = s.plans.evolve(e)
	case DocumentAttached, InteractionLogged, TaskCreated, TaskCompleted:
		s.casework = s.casework.evolve(e)
	case LegalProcedureOpened, LegalStepRecorded:
		s.legal = s.legal.evolve(e)
	}
	s.version++
	return s
}

// cloneAdd returns a copy of m with k set to v: the state before the
// event keeps its own map.
func cloneAdd[V any](m map[string]V, k string, v V) map[string]V {
	out := make(map[string]V, len(m)+1)
	maps.Copy(out, m)
	out[k] = v
	return out
}

func debtMustExist(s DebtState) error {
	if s.version == 0 {
		return Reject(CodeNotFound, fmt.Sprintf("debt %s does not exist", s.ID))
	}
	return nil
}

// debtMustBeOpen refuses a command on a closed debt, naming its status.
func debtMustBeOpen(s DebtState, rule string) error {
	if IsOpenDebtStatus(s.Status) {
		return nil
	}
	return Reject(CodeWrongStatus, fmt.Sprintf("debt %s is %s, which is closed; %s", s.ID, s.Status, rule))
}

// debtOneOf is checkOneOf that says "is required" when v is empty.
func debtOneOf(fe *FieldErrors, field, v string, allowed []string) bool {
	if v == "" {
		fe.Add(field, "is required: one of "+strings.Join(allowed, ", "))
		return false
	}
	return checkOneOf(fe, field, v, allowed)
}

// checkDebtAmount requires a positive amount of at most MaxDebtAmount.
func checkDebtAmount(fe *FieldErrors, field string, v int64) bool {
	switch {
	case v <= 0:
		fe.Add(field, "must be more than 0 (an amount in centimes)")
	case v > MaxDebtAmount:
		fe.Add(field, fmt.Sprintf("must be at most %s", dzd(MaxDebtAmount)))
	default:
		return true
	}
	return false
}

func checkDebtAmounts(fe *FieldErrors, principal, fees int64) {
	okP := checkDebtAmount(fe, "principal", principal)
	switch {
	case fees < 0:
		fe.Add("fees", "cannot be negative")
	case fees > MaxDebtAmount:
		fe.Add("fees", fmt.Sprintf("must be at most %s", dzd(MaxDebtAmount)))
	case okP && principal+fees > MaxDebtAmount:
		fe.Add("fees", fmt.Sprintf("principal and fees together must be at most %s", dzd(MaxDebtAmount)))
	}
}

func checkDebtCurrency(fe *FieldErrors, c string) {
	if c != DebtCurrency {
		fe.Add("currency", "must be DZD: debts are kept in Algerian dinars")
	}
}

// debtReason checks the free-text reason of a debt's command.
func debtReason(fe *FieldErrors, v string, required bool) {
	debtText(fe, "reason", v, MaxDebtReasonLength, required, true)
}

// debtText checks a free-text field of a debt's command: valid UTF-8, at
// most max runes, not blank, and without control characters or invisible
// formatting (a bidi override reorders what staff read). Line breaks and
// tabs are allowed when multiline. The input validators normalise text
// before a command is built; the decider only refuses what is wrong.
func debtText(fe *FieldErrors, field, v string, max int, required, multiline bool) {
	switch {
	case v == "":
		if required {
			fe.Add(field, "is required")
		}
		return
	case strings.TrimSpace(v) == "":
		fe.Add(field, "is blank")
		return
	case !utf8.ValidString(v):
		fe.Add(field, "is not valid UTF-8 text")
		return
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, fmt.Sprintf("is too long (at most %d characters)", max))
		return
	}
	for _, r := range v {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			if multiline {
				fe.Add(field, "contains control or invisible characters")
			} else {
				fe.Add(field, "contains line breaks, control or invisible characters")
			}
			return
		}
	}
}

// dzd writes centimes as dinars for a person ("1234.56 DZD (123456
// centimes)"): reasons travel to clients that count in centimes.
func dzd(c int64) string {
	sign, u := "", uint64(c)
	if c < 0 {
		sign, u = "-", uint64(-(c+1))+1
	}
	return fmt.Sprintf("%s%d.%02d DZD (%s%d centimes)", sign, u/100, u%100, sign, u)
}

// orList writes "a", "a or b", "a, b or c".
func orList(v []string) string {
	switch len(v) {
	case 0:
		return "nothing"
	case 1:
		return v[0]
	}
	return strings.Join(v[:len(v)-1], ", ") + " or " + v[len(v)-1]
}
