package collection

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Party statuses, shared by creditors and debtors.
const (
	StatusActive   = "active"
	StatusArchived = "archived"
)

// CreditorProfile is the non-personal part of a creditor's record.
type CreditorProfile struct {
	LegalForm     string `json:"legal_form,omitempty"`
	Sector        string `json:"sector,omitempty"`
	Wilaya        int    `json:"wilaya"`
	CommissionBPS int    `json:"commission_bps"`
}

// CreditorChanges lists the non-personal fields an update sets; nil means unchanged.
type CreditorChanges struct {
	LegalForm     *string `json:"legal_form,omitempty"`
	Sector        *string `json:"sector,omitempty"`
	Wilaya        *int    `json:"wilaya,omitempty"`
	CommissionBPS *int    `json:"commission_bps,omitempty"`
}

func (c CreditorChanges) empty() bool {
	return c.LegalForm == nil && c.Sector == nil && c.Wilaya == nil && c.CommissionBPS == nil
}

// RegisterCreditor opens a creditor's record. Ref is the short human
// reference, reserved by the caller before submitting.
type RegisterCreditor struct {
	ID       string          `json:"id"`
	Ref      string          `json:"ref"`
	Profile  CreditorProfile `json:"profile"`
	Personal Sealed          `json:"-"`
}

// UpdateCreditor changes some fields. PersonalFields names the personal
// fields whose new values are in Personal; the names are not personal.
type UpdateCreditor struct {
	ID             string          `json:"id"`
	Changes        CreditorChanges `json:"changes"`
	PersonalFields []string        `json:"personal_fields,omitempty"`
	Personal       Sealed          `json:"-"`
}

// ArchiveCreditor closes a creditor's record; its history is kept.
type ArchiveCreditor struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// EraseCreditor erases a creditor's personal data for good (crypto-shredding,
// Law 18-07): the projections destroy the creditor's data key, so every
// personal part of the log becomes unreadable while amounts and dates
// remain. Only an archived creditor can be erased, and only once.
//
// Reason is required (1 to MaxReasonLength characters) and stays in clear
// in the immutable log, which erasure cannot reach: staff write why and on
// what authority (the date and channel of the request, a file number),
// never a name, national id, phone or address.
type EraseCreditor struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// CreditorRegistered records a new creditor.
type CreditorRegistered struct {
	ID       string          `json:"id"`
	Ref      string          `json:"ref"`
	Profile  CreditorProfile `json:"profile"`
	Personal Sealed          `json:"-"`
}

// CreditorUpdated records changed fields of a creditor.
type CreditorUpdated struct {
	ID             string          `json:"id"`
	Changes        CreditorChanges `json:"changes"`
	PersonalFields []string        `json:"personal_fields,omitempty"`
	Personal       Sealed          `json:"-"`
}

// CreditorArchived records that a creditor's record was closed.
type CreditorArchived struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// CreditorErased records that a creditor's personal data was erased. It carries
// no personal part, and its reason none either (see EraseCreditor).
type CreditorErased struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func (RegisterCreditor) CommandType() string        { return "creditor.register" }
func (UpdateCreditor) CommandType() string          { return "creditor.update" }
func (ArchiveCreditor) CommandType() string         { return "creditor.archive" }
func (EraseCreditor) CommandType() string           { return "creditor.erase" }
func (RegisterCreditor) Aggregate() AggregateType   { return CreditorAggregate }
func (UpdateCreditor) Aggregate() AggregateType     { return CreditorAggregate }
func (ArchiveCreditor) Aggregate() AggregateType    { return CreditorAggregate }
func (EraseCreditor) Aggregate() AggregateType      { return CreditorAggregate }
func (CreditorRegistered) EventType() string        { return "creditor.registered" }
func (CreditorUpdated) EventType() string           { return "creditor.updated" }
func (CreditorArchived) EventType() string          { return "creditor.archived" }
func (CreditorErased) EventType() string            { return "creditor.erased" }
func (CreditorRegistered) Aggregate() AggregateType { return CreditorAggregate }
func (CreditorUpdated) Aggregate() AggregateType    { return CreditorAggregate }
func (CreditorArchived) Aggregate() AggregateType   { return CreditorAggregate }
func (CreditorErased) Aggregate() AggregateType     { return CreditorAggregate }

// ErasedSubject implements PersonalErasure.
func (e CreditorErased) ErasedSubject() string { return e.ID }

func (c RegisterCreditor) PersonalPart() Sealed   { return c.Personal }
func (c UpdateCreditor) PersonalPart() Sealed     { return c.Personal }
func (e CreditorRegistered) PersonalPart() Sealed { return e.Personal }
func (e CreditorUpdated) PersonalPart() Sealed    { return e.Personal }

// CreditorState is what the decider needs to know of a creditor.
type CreditorState struct {
	ID     string
	Status string
	// Erased is set by CreditorErased; the status stays archived.
	Erased  bool
	version int64
}

// Version implements State.
func (s CreditorState) Version() int64 { return s.version }

var creditorBehaviour = Behaviour{
	Type:   CreditorAggregate,
	New:    func(id string) State { return CreditorState{ID: id} },
	Decide: func(s State, c Command) ([]Event, error) { return decideCreditor(s.(CreditorState), c) },
	Evolve: func(s State, e Event) State { return evolveCreditor(s.(CreditorState), e) },
}

func decideCreditor(s CreditorState, c Command) ([]Event, error) {
	switch c := c.(type) {
	case RegisterCreditor:
		if s.version > 0 {
			return nil, Reject(CodeAlreadyExists, fmt.Sprintf("creditor %s already exists", s.ID))
		}
		if err := ValidateCreditorProfile(c.Profile); err != nil {
			return nil, err
		}
		if len(c.Personal) == 0 {
			return nil, Reject(CodeInvalid, "a creditor needs its personal part (name, contact)")
		}
		return []Event{CreditorRegistered(c)}, nil
	case UpdateCreditor:
		if err := mustBeActive("creditor", s.ID, s.version, s.Status); err != nil {
			return nil, err
		}
		if c.Changes.empty() && len(c.PersonalFields) == 0 {
			return nil, Reject(CodeNoChange, "the update changes nothing")
		}
		if len(c.PersonalFields) > 0 && len(c.Personal) == 0 {
			return nil, Reject(CodeInvalid, "personal fields named without their sealed values")
		}
		if err := checkPersonalFields(c.PersonalFields, creditorPersonalFields); err != nil {
			return nil, err
		}
		if err := validateCreditorChanges(c.Changes); err != nil {
			return nil, err
		}
		return []Event{CreditorUpdated(c)}, nil
	case ArchiveCreditor:
		if err := mustBeActive("creditor", s.ID, s.version, s.Status); err != nil {
			return nil, err
		}
		return []Event{CreditorArchived(c)}, nil
	case EraseCreditor:
		if err := checkErasure("creditor", s.ID, s.version, s.Status, s.Erased, c.Reason); err != nil {
			return nil, err
		}
		return []Event{CreditorErased(c)}, nil
	default:
		return nil, fmt.Errorf("creditor cannot handle %T", c)
	}
}

func evolveCreditor(s CreditorState, e Event) CreditorState {
	switch e := e.(type) {
	case CreditorRegistered:
		s.ID, s.Status = e.ID, StatusActive
	case CreditorArchived:
		s.Status = StatusArchived
	case CreditorErased:
		s.Erased = true
	}
	s.version++
	return s
}

func mustBeActive(kind, id string, version int64, status string) error {
	if version == 0 {
		return Reject(CodeNotFound, fmt.Sprintf("%s %s does not exist", kind, id))
	}
	if status == StatusArchived {
		return Reject(CodeArchived, fmt.Sprintf("%s %s is archived", kind, id))
	}
	return nil
}

// ValidateCreditorProfile checks the non-personal fields of a new creditor.
// The legal form must be canonical (LegalForms) or empty, so that read
// models and statistics group creditors by one spelling.
func ValidateCreditorProfile(p CreditorProfile) error {
	var fe FieldErrors
	checkLegalForm(&fe, p.LegalForm)
	checkSector(&fe, p.Sector)
	checkWilaya(&fe, "wilaya", p.Wilaya)
	checkCommission(&fe, p.CommissionBPS)
	return fe.Err()
}

func validateCreditorChanges(c CreditorChanges) error {
	var fe FieldErrors
	if c.LegalForm != nil {
		checkLegalForm(&fe, *c.LegalForm)
	}
	if c.Sector != nil {
		checkSector(&fe, *c.Sector)
	}
	if c.Wilaya != nil {
		checkWilaya(&fe, "wilaya", *c.Wilaya)
	}
	if c.CommissionBPS != nil {
		checkCommission(&fe, *c.CommissionBPS)
	}
	return fe.Err()
}

func checkWilaya(fe *FieldErrors, field string, code int) {
	if _, ok := WilayaByCode(code); !ok {
		fe.Add(field, fmt.Sprintf("%d is not a wilaya code (1 to %d)", code, MaxWilayaCode()))
	}
}

// MaxCommissionBPS is 100 %: ADC never keeps more than it collects.
const MaxCommissionBPS = 10000

func checkCommission(fe *FieldErrors, bps int) {
	if bps < 0 || bps > MaxCommissionBPS {
		fe.Add("commission_bps", "must be between 0 and 10000 basis points (0 to 100 %)")
	}
}

func checkLegalForm(fe *FieldErrors, f string) {
	if f == "" {
		return
	}
	for _, l := range legalForms {
		if f == l {
			return
		}
	}
	fe.Add("legal_form", "must be one of "+strings.Join(legalForms, ", "))
}

func checkSector(fe *FieldErrors, s string) {
	if utf8.RuneCountInString(s) > MaxSectorLength {
		fe.Add("sector", fmt.Sprintf("is too long (at most %d characters)", MaxSectorLength))
	}
}
