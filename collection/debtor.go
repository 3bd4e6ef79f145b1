package collection

import (
	"fmt"
	"strings"
)

// Debtor kinds.
const (
	DebtorPerson  = "person"
	DebtorCompany = "company"
)

// Contact channels and languages a debtor may prefer.
var (
	Channels  = []string{"sms", "email", "none"}
	Languages = []string{"ar", "fr", "en"}
)

// DebtorProfile is the non-personal part of a debtor's record.
type DebtorProfile struct {
	Kind             string `json:"kind"`
	Wilaya           int    `json:"wilaya"`
	PreferredChannel string `json:"preferred_channel"`
	Language         string `json:"language"`
}

// DebtorChanges lists the non-personal fields an update sets; nil means unchanged.
// The kind of a debtor is fixed at registration: a person does not become a company.
type DebtorChanges struct {
	Wilaya           *int    `json:"wilaya,omitempty"`
	PreferredChannel *string `json:"preferred_channel,omitempty"`
	Language         *string `json:"language,omitempty"`
}

func (c DebtorChanges) empty() bool {
	return c.Wilaya == nil && c.PreferredChannel == nil && c.Language == nil
}

// RegisterDebtor opens a debtor's record.
type RegisterDebtor struct {
	ID       string        `json:"id"`
	Ref      string        `json:"ref"`
	Profile  DebtorProfile `json:"profile"`
	Personal Sealed        `json:"-"`
}

// UpdateDebtor changes some fields of a debtor.
type UpdateDebtor struct {
	ID             string        `json:"id"`
	Changes        DebtorChanges `json:"changes"`
	PersonalFields []string      `json:"personal_fields,omitempty"`
	Personal       Sealed        `json:"-"`
}

// ArchiveDebtor closes a debtor's record; its history is kept.
type ArchiveDebtor struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// EraseDebtor erases a debtor's personal data for good (crypto-shredding,
// Law 18-07): the projections destroy the debtor's data key, so every
// personal part of the log becomes unreadable while amounts and dates
// remain. Only an archived debtor can be erased, and only once.
//
// Reason is required (1 to MaxReasonLength characters) and stays in clear
// in the immutable log, which erasure cannot reach: staff write why and on
// what authority (the date and channel of the request, a file number),
// never a name, national id, phone or address.
type EraseDebtor struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// DebtorRegistered records a new debtor.
type DebtorRegistered struct {
	ID       string        `json:"id"`
	Ref      string        `json:"ref"`
	Profile  DebtorProfile `json:"profile"`
	Personal Sealed        `json:"-"`
}

// DebtorUpdated records changed fields of a debtor.
type DebtorUpdated struct {
	ID             string        `json:"id"`
	Changes        DebtorChanges `json:"changes"`
	PersonalFields []string      `json:"personal_fields,omitempty"`
	Personal       Sealed        `json:"-"`
}

// DebtorArchived records that a debtor's record was closed.
type DebtorArchived struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// DebtorErased records that a debtor's personal data was erased. It carries
// no personal part, and its reason none either (see EraseDebtor).
type DebtorErased struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func (RegisterDebtor) CommandType() string        { return "debtor.register" }
func (UpdateDebtor) CommandType() string          { return "debtor.update" }
func (ArchiveDebtor) CommandType() string         { return "debtor.archive" }
func (EraseDebtor) CommandType() string           { return "debtor.erase" }
func (RegisterDebtor) Aggregate() AggregateType   { return DebtorAggregate }
func (UpdateDebtor) Aggregate() AggregateType     { return DebtorAggregate }
func (ArchiveDebtor) Aggregate() AggregateType    { return DebtorAggregate }
func (EraseDebtor) Aggregate() AggregateType      { return DebtorAggregate }
func (DebtorRegistered) EventType() string        { return "debtor.registered" }
func (DebtorUpdated) EventType() string           { return "debtor.updated" }
func (DebtorArchived) EventType() string          { return "debtor.archived" }
func (DebtorErased) EventType() string            { return "debtor.erased" }
func (DebtorRegistered) Aggregate() AggregateType { return DebtorAggregate }
func (DebtorUpdated) Aggregate() AggregateType    { return DebtorAggregate }
func (DebtorArchived) Aggregate() AggregateType   { return DebtorAggregate }
func (DebtorErased) Aggregate() AggregateType     { return DebtorAggregate }

// ErasedSubject implements PersonalErasure.
func (e DebtorErased) ErasedSubject() string { return e.ID }

func (c RegisterDebtor) PersonalPart() Sealed   { return c.Personal }
func (c UpdateDebtor) PersonalPart() Sealed     { return c.Personal }
func (e DebtorRegistered) PersonalPart() Sealed { return e.Personal }
func (e DebtorUpdated) PersonalPart() Sealed    { return e.Personal }

// DebtorState is what the decider needs to know of a debtor.
type DebtorState struct {
	ID     string
	Kind   string
	Status string
	// Erased is set by DebtorErased; the status stays archived.
	Erased  bool
	version int64
}

// Version implements State.
func (s DebtorState) Version() int64 { return s.version }

var debtorBehaviour = Behaviour{
	Type:   DebtorAggregate,
	New:    func(id string) State { return DebtorState{ID: id} },
	Decide: func(s State, c Command) ([]Event, error) { return decideDebtor(s.(DebtorState), c) },
	Evolve: func(s State, e Event) State { return evolveDebtor(s.(DebtorState), e) },
}

func decideDebtor(s DebtorState, c Command) ([]Event, error) {
	switch c := c.(type) {
	case RegisterDebtor:
		if s.version > 0 {
			return nil, Reject(CodeAlreadyExists, fmt.Sprintf("debtor %s already exists", s.ID))
		}
		if err := ValidateDebtorProfile(c.Profile); err != nil {
			return nil, err
		}
		if len(c.Personal) == 0 {
			return nil, Reject(CodeInvalid, "a debtor needs its personal part (name, identity)")
		}
		return []Event{DebtorRegistered(c)}, nil
	case UpdateDebtor:
		if err := mustBeActive("debtor", s.ID, s.version, s.Status); err != nil {
			return nil, err
		}
		if c.Changes.empty() && len(c.PersonalFields) == 0 {
			return nil, Reject(CodeNoChange, "the update changes nothing")
		}
		if len(c.PersonalFields) > 0 && len(c.Personal) == 0 {
			return nil, Reject(CodeInvalid, "personal fields named without their sealed values")
		}
		if err := checkPersonalFields(c.PersonalFields, debtorPersonalFields); err != nil {
			return nil, err
		}
		if err := validateDebtorChanges(c.Changes); err != nil {
			return nil, err
		}
		return []Event{DebtorUpdated(c)}, nil
	case ArchiveDebtor:
		if err := mustBeActive("debtor", s.ID, s.version, s.Status); err != nil {
			return nil, err
		}
		return []Event{DebtorArchived(c)}, nil
	case EraseDebtor:
		if err := checkErasure("debtor", s.ID, s.version, s.Status, s.Erased, c.Reason); err != nil {
			return nil, err
		}
		return []Event{DebtorErased(c)}, nil
	default:
		return nil, fmt.Errorf("debtor cannot handle %T", c)
	}
}

func evolveDebtor(s DebtorState, e Event) DebtorState {
	switch e := e.(type) {
	case DebtorRegistered:
		// The constant, not the decoded string: one state per debtor is kept
		// in the decider's memory, and a shared string costs nothing.
		s.ID, s.Kind, s.Status = e.ID, DebtorPerson, StatusActive
		if e.Profile.Kind == DebtorCompany {
			s.Kind = DebtorCompany
		}
	case DebtorArchived:
		s.Status = StatusArchived
	case DebtorErased:
		s.Erased = true
	}
	s.version++
	return s
}

// ValidateDebtorProfile checks the non-personal fields of a new debtor.
func ValidateDebtorProfile(p DebtorProfile) error {
	var fe FieldErrors
	if p.Kind != DebtorPerson && p.Kind != DebtorCompany {
		fe.Add("kind", "must be person or company")
	}
	checkWilaya(&fe, "wilaya", p.Wilaya)
	checkOneOf(&fe, "preferred_channel", p.PreferredChannel, Channels)
	checkOneOf(&fe, "language", p.Language, Languages)
	return fe.Err()
}

func validateDebtorChanges(c DebtorChanges) error {
	var fe FieldErrors
	if c.Wilaya != nil {
		checkWilaya(&fe, "wilaya", *c.Wilaya)
	}
	if c.PreferredChannel != nil {
		checkOneOf(&fe, "preferred_channel", *c.PreferredChannel, Channels)
	}
	if c.Language != nil {
		checkOneOf(&fe, "language", *c.Language, Languages)
	}
	return fe.Err()
}

// checkOneOf reports whether v is allowed, recording the problem if not.
func checkOneOf(fe *FieldErrors, field, v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	fe.Add(field, "must be one of "+strings.Join(allowed, ", "))
	return false
}
