package collection

import (
	"errors"
	"fmt"
	"sort"
)

// AggregateType names a consistency boundary. It is part of every record's
// key space: changing a name orphans every event already written under it.
type AggregateType string

// The aggregates decided by the processor.
const (
	CreditorAggregate AggregateType = "creditor"
	DebtorAggregate   AggregateType = "debtor"
	AccountAggregate  AggregateType = "account"
	// DebtAggregate is a case file (dossier): one debt with its payments
	// and proposals.
	DebtAggregate AggregateType = "debt"
)

// Sealed is the encrypted personal part of a command or an event. The domain
// carries it from command to event unchanged and never looks inside.
type Sealed []byte

// Command is an intention, named in the imperative ("creditor.register").
type Command interface {
	CommandType() string
	Aggregate() AggregateType
}

// Event is a fact, named in the past tense ("creditor.registered"). Once
// written to the log it is never rewritten; a change is a new version.
type Event interface {
	EventType() string
	Aggregate() AggregateType
}

// PersonalCarrier is implemented by commands and events that carry a sealed
// personal part.
type PersonalCarrier interface {
	PersonalPart() Sealed
}

// State is the folded state of one aggregate instance. Version counts the
// events applied: zero means the aggregate does not exist yet.
type State interface {
	Version() int64
}

// Behaviour is the pure decide/evolve pair of one aggregate type.
type Behaviour struct {
	Type AggregateType
	// New returns the state of an aggregate that has no events yet.
	New func(id string) State
	// Decide returns the events a command produces, or a *Rejection.
	Decide func(State, Command) ([]Event, error)
	// Evolve applies one event. It must accept every event Decide returns
	// and every event ever written for this type (after upcasting).
	Evolve func(State, Event) State
}

var behaviours = map[AggregateType]Behaviour{
	CreditorAggregate: creditorBehaviour,
	DebtorAggregate:   debtorBehaviour,
	AccountAggregate:  accountBehaviour,
	DebtAggregate:     debtBehaviour,
}

// BehaviourOf returns the behaviour of an aggregate type.
func BehaviourOf(t AggregateType) (Behaviour, bool) {
	b, ok := behaviours[t]
	return b, ok
}

// AggregateTypes lists every aggregate type, sorted.
func AggregateTypes() []AggregateType {
	out := make([]AggregateType, 0, len(behaviours))
	for t := range behaviours {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// AnyVersion as the expected version means "whatever the current version is".
const AnyVersion int64 = -1

// Handle checks the caller's expected version, then decides. It is the one
// entry point the processor uses, so optimistic concurrency is a domain rule
// tested with the others.
func Handle(b Behaviour, s State, expectedVersion int64, c Command) ([]Event, error) {
	if c.Aggregate() != b.Type {
		return nil, fmt.Errorf("command %s sent to aggregate %s", c.CommandType(), b.Type)
	}
	if expectedVersion != AnyVersion && expectedVersion != s.Version() {
		return nil, Reject(CodeVersionConflict,
			fmt.Sprintf("expected version %d, current version is %d", expectedVersion, s.Version()))
	}
	return b.Decide(s, c)
}

// Fold applies events in order to a state.
func Fold(b Behaviour, s State, evs ...Event) State {
	for _, e := range evs {
		s = b.Evolve(s, e)
	}
	return s
}

// Rejection codes. They are part of the API contract (problem type slugs).
const (
	CodeNotFound        = "not_found"
	CodeAlreadyExists   = "already_exists"
	CodeArchived        = "archived"
	CodeVersionConflict = "version_conflict"
	CodeInvalid         = "invalid"
	CodeNoChange        = "no_change"
)

// Rejection is the decider's refusal of a command: a stable code and a reason
// a person can read. It is recorded in the command's outcome.
type Rejection struct {
	Code   string       `json:"code"`
	Reason string       `json:"reason"`
	Errors []FieldError `json:"errors,omitempty"`
}

func (r *Rejection) Error() string { return r.Code + ": " + r.Reason }

// Reject builds a *Rejection.
func Reject(code, reason string, errs ...FieldError) *Rejection {
	return &Rejection{Code: code, Reason: reason, Errors: errs}
}

// AsRejection unwraps a *Rejection from err.
func AsRejection(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}

// FieldError names one invalid input field and why. Field is the JSON name
// (dotted for nested values, e.g. "phones[1]").
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// FieldErrors collects every problem of an input at once, so a client fixes
// them in one round trip.
type FieldErrors []FieldError

// Add records a problem.
func (fe *FieldErrors) Add(field, reason string) { *fe = append(*fe, FieldError{field, reason}) }

// Err returns nil when there is no problem, else a *Rejection with code invalid.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return Reject(CodeInvalid, "the request has invalid fields", fe...)
}
