package collection

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Roles. They are plain strings here so that the domain does not import
// access, which maps each role to its permissions. A role name is stored in
// events: renaming one needs an upcaster.
const (
	RoleAdmin    = "admin"
	RoleAgent    = "agent"
	RoleAuditor  = "auditor"
	RoleCreditor = "creditor"
	RoleDebtor   = "debtor"
)

// Account statuses. A registration waits as pending until staff approve it
// (active) or reject it (rejected, final); staff disable and enable active
// accounts.
const (
	AccountStatusPending  = "pending"
	AccountStatusActive   = StatusActive
	AccountStatusRejected = "rejected"
	AccountStatusDisabled = "disabled"
)

// Authentication factors. Password and TOTP can be locked after repeated
// failures; a recovery code is used once and so is never locked.
const (
	FactorPassword     = "password"
	FactorTOTP         = "totp"
	FactorRecoveryCode = "recovery_code"
)

// Outcomes of a login attempt, as RecordLogin reports them.
const (
	LoginOutcomeSucceeded = "succeeded"
	LoginOutcomeFailed    = "failed"
)

// MaxAccountReasonLength bounds the free-text reasons of the account's
// commands, in runes. A rejection's reason is shown to the person who
// registered, so it is written for them.
const MaxAccountReasonLength = MaxReasonLength

// CodeWrongStatus rejects a command that the aggregate's current status
// does not allow (approving an active account, enabling a rejected one).
// The reason names the current status. Like the other codes it is part of
// the API contract: a problem type slug, answered 409.
const CodeWrongStatus = "wrong_status"

var (
	roles         = []string{RoleAdmin, RoleAgent, RoleAuditor, RoleCreditor, RoleDebtor}
	staffRoles    = []string{RoleAdmin, RoleAgent, RoleAuditor}
	accountKinds  = []string{RoleCreditor, RoleDebtor}
	lockFactors   = []string{FactorPassword, FactorTOTP}
	loginFactors  = []string{FactorPassword, FactorTOTP, FactorRecoveryCode}
	loginOutcomes = []string{LoginOutcomeSucceeded, LoginOutcomeFailed}
)

// Roles lists every role (a copy).
func Roles() []string { return slices.Clone(roles) }

// StaffRoles lists the roles of ADC's own people (a copy).
func StaffRoles() []string { return slices.Clone(staffRoles) }

// IsStaffRole reports whether role is one of ADC's own (admin, agent,
// auditor), as opposed to a creditor's or a debtor's.
func IsStaffRole(role string) bool { return slices.Contains(staffRoles, role) }

// AccountPersonal is an account's personal part, sealed in RegisterAccount,
// CreateAccount and their events. The API seals it; the domain never opens
// it. The identity numbers are a registration's, checked by staff before
// they approve it. Secrets (password hash, TOTP secret, recovery codes)
// are not personal data to seal but secrets never to send: they live in
// PostgreSQL only.
type AccountPersonal struct {
	Email    string `json:"email,omitempty"`
	FullName string `json:"full_name,omitempty"`
	Phone    string `json:"phone,omitempty"`
	NIN      string `json:"nin,omitempty"`
	NIF      string `json:"nif,omitempty"`
	RC       string `json:"rc,omitempty"`
}

// RegisterAccount is a visitor's registration as a creditor or a debtor
// (Kind). It waits for staff to approve it.
type RegisterAccount struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Personal Sealed `json:"-"`
}

// CreateAccount is staff creating an account, active at once. A staff
// role has no link; a creditor account names its creditor and a debtor
// account its debtor.
type CreateAccount struct {
	ID         string `json:"id"`
	Role       string `json:"role"`
	CreditorID string `json:"creditor_id,omitempty"`
	DebtorID   string `json:"debtor_id,omitempty"`
	Personal   Sealed `json:"-"`
}

// ApproveRegistration activates a pending registration, linking it to the
// creditor or debtor record of its kind (which the caller checked exists).
type ApproveRegistration struct {
	ID         string `json:"id"`
	CreditorID string `json:"creditor_id,omitempty"`
	DebtorID   string `json:"debtor_id,omitempty"`
}

// RejectRegistration refuses a pending registration, for good. The reason
// is shown to the person who registered: it must not name anyone else.
type RejectRegistration struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// ChangeRole moves a staff account to another staff role.
type ChangeRole struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

// DisableAccount stops an active account from signing in.
type DisableAccount struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// EnableAccount lets a disabled account sign in again.
type EnableAccount struct {
	ID string `json:"id"`
}

// EnrollMFA records that the account activated its TOTP device with a
// valid code. The secret itself stays in PostgreSQL.
type EnrollMFA struct {
	ID string `json:"id"`
}

// ResetMFA withdraws the account's TOTP device (lost phone); the user
// enrols again at the next login.
type ResetMFA struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// LockAccount records that a factor was locked after Failures consecutive
// failures: until Until, or, when Permanent, until an admin unlocks it
// (Until is then zero). Until is an instant; the event keeps it in UTC.
type LockAccount struct {
	ID        string    `json:"id"`
	Factor    string    `json:"factor"`
	Until     time.Time `json:"until,omitzero"`
	Failures  int       `json:"failures"`
	Permanent bool      `json:"permanent,omitempty"`
}

// UnlockAccount is an admin lifting every lock of the account.
type UnlockAccount struct {
	ID string `json:"id"`
}

// RecordLogin reports one login step's outcome for the audit trail. Reason
// says why a failed step failed (e.g. "bad_password", "locked"); it is
// never the value that was typed.
type RecordLogin struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"`
	Factor  string `json:"factor"`
	Reason  string `json:"reason,omitempty"`
}

// NoteRegistrationAttempt reports that someone tried to register again
// with this account's e-mail. The visitor is told nothing more than a new
// registrant would be, so that registration does not reveal who has an
// account; the account's owner can be warned instead.
type NoteRegistrationAttempt struct {
	ID string `json:"id"`
}

// AccountRegistered records a visitor's registration, pending.
type AccountRegistered struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Personal Sealed `json:"-"`
}

// AccountCreated records an account created active by staff.
type AccountCreated struct {
	ID         string `json:"id"`
	Role       string `json:"role"`
	CreditorID string `json:"creditor_id,omitempty"`
	DebtorID   string `json:"debtor_id,omitempty"`
	Personal   Sealed `json:"-"`
}

// RegistrationApproved records that a registration became an active
// account with Role (its kind) and the link it was given.
type RegistrationApproved struct {
	ID         string `json:"id"`
	Role       string `json:"role"`
	CreditorID string `json:"creditor_id,omitempty"`
	DebtorID   string `json:"debtor_id,omitempty"`
}

// RegistrationRejected records that a registration was refused, for good.
type RegistrationRejected struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// RoleChanged records a staff account's move from one role to another.
type RoleChanged struct {
	ID   string `json:"id"`
	From string `json:"from"`
	To   string `json:"to"`
}

// AccountDisabled records that an account may no longer sign in.
type AccountDisabled struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// AccountEnabled records that a disabled account may sign in again.
type AccountEnabled struct {
	ID string `json:"id"`
}

// MFAEnrolled records that the account activated its TOTP device.
type MFAEnrolled struct {
	ID string `json:"id"`
}

// MFAReset records that the account's TOTP device was withdrawn.
type MFAReset struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// AccountLocked records that a factor was locked (see LockAccount).
type AccountLocked struct {
	ID        string    `json:"id"`
	Factor    string    `json:"factor"`
	Until     time.Time `json:"until,omitzero"`
	Failures  int       `json:"failures"`
	Permanent bool      `json:"permanent"`
}

// AccountUnlocked records that an admin lifted the account's locks.
// Factors names the factors that were locked, for the audit trail.
type AccountUnlocked struct {
	ID      string   `json:"id"`
	Factors []string `json:"factors"`
}

// LoginSucceeded records a successful login step with Factor.
type LoginSucceeded struct {
	ID     string `json:"id"`
	Factor string `json:"factor"`
}

// LoginFailed records a failed login step with Factor, and why.
type LoginFailed struct {
	ID     string `json:"id"`
	Factor string `json:"factor"`
	Reason string `json:"reason,omitempty"`
}

// RegistrationAttempted records that someone tried to register with the
// e-mail of this existing account.
type RegistrationAttempted struct {
	ID string `json:"id"`
}

func (RegisterAccount) CommandType() string         { return "account.register" }
func (CreateAccount) CommandType() string           { return "account.create" }
func (ApproveRegistration) CommandType() string     { return "account.approve_registration" }
func (RejectRegistration) CommandType() string      { return "account.reject_registration" }
func (ChangeRole) CommandType() string              { return "account.change_role" }
func (DisableAccount) CommandType() string          { return "account.disable" }
func (EnableAccount) CommandType() string           { return "account.enable" }
func (EnrollMFA) CommandType() string               { return "account.enroll_mfa" }
func (ResetMFA) CommandType() string                { return "account.reset_mfa" }
func (LockAccount) CommandType() string             { return "account.lock" }
func (UnlockAccount) CommandType() string           { return "account.unlock" }
func (RecordLogin) CommandType() string             { return "account.record_login" }
func (NoteRegistrationAttempt) CommandType() string { return "account.note_registration_attempt" }

func (RegisterAccount) Aggregate() AggregateType         { return AccountAggregate }
func (CreateAccount) Aggregate() AggregateType           { return AccountAggregate }
func (ApproveRegistration) Aggregate() AggregateType     { return AccountAggregate }
func (RejectRegistration) Aggregate() AggregateType      { return AccountAggregate }
func (ChangeRole) Aggregate() AggregateType              { return AccountAggregate }
func (DisableAccount) Aggregate() AggregateType          { return AccountAggregate }
func (EnableAccount) Aggregate() AggregateType           { return AccountAggregate }
func (EnrollMFA) Aggregate() AggregateType               { return AccountAggregate }
func (ResetMFA) Aggregate() AggregateType                { return AccountAggregate }
func (LockAccount) Aggregate() AggregateType             { return AccountAggregate }
func (UnlockAccount) Aggregate() AggregateType           { return AccountAggregate }
func (RecordLogin) Aggregate() AggregateType             { return AccountAggregate }
func (NoteRegistrationAttempt) Aggregate() AggregateType { return AccountAggregate }

func (AccountRegistered) EventType() string     { return "account.registered" }
func (AccountCreated) EventType() string        { return "account.created" }
func (RegistrationApproved) EventType() string  { return "account.registration_approved" }
func (RegistrationRejected) EventType() string  { return "account.registration_rejected" }
func (RoleChanged) EventType() string           { return "account.role_changed" }
func (AccountDisabled) EventType() string       { return "account.disabled" }
func (AccountEnabled) EventType() string        { return "account.enabled" }
func (MFAEnrolled) EventType() string           { return "account.mfa_enrolled" }
func (MFAReset) EventType() string              { return "account.mfa_reset" }
func (AccountLocked) EventType() string         { return "account.locked" }
func (AccountUnlocked) EventType() string       { return "account.unlocked" }
func (LoginSucceeded) EventType() string        { return "account.login_succeeded" }
func (LoginFailed) EventType() string           { return "account.login_failed" }
func (RegistrationAttempted) EventType() string { return "account.registration_attempted" }

func (AccountRegistered) Aggregate() AggregateType     { return AccountAggregate }
func (AccountCreated) Aggregate() AggregateType        { return AccountAggregate }
func (RegistrationApproved) Aggregate() AggregateType  { return AccountAggregate }
func (RegistrationRejected) Aggregate() AggregateType  { return AccountAggregate }
func (RoleChanged) Aggregate() AggregateType           { return AccountAggregate }
func (AccountDisabled) Aggregate() AggregateType       { return AccountAggregate }
func (AccountEnabled) Aggregate() AggregateType        { return AccountAggregate }
func (MFAEnrolled) Aggregate() AggregateType           { return AccountAggregate }
func (MFAReset) Aggregate() AggregateType              { return AccountAggregate }
func (AccountLocked) Aggregate() AggregateType         { return AccountAggregate }
func (AccountUnlocked) Aggregate() AggregateType       { return AccountAggregate }
func (LoginSucceeded) Aggregate() AggregateType        { return AccountAggregate }
func (LoginFailed) Aggregate() AggregateType           { return AccountAggregate }
func (RegistrationAttempted) Aggregate() AggregateType { return AccountAggregate }

func (c RegisterAccount) PersonalPart() Sealed   { return c.Personal }
func (c CreateAccount) PersonalPart() Sealed     { return c.Personal }
func (e AccountRegistered) PersonalPart() Sealed { return e.Personal }
func (e AccountCreated) PersonalPart() Sealed    { return e.Personal }

// AccountState is what the decider needs to know of an account.
type AccountState struct {
	ID     string
	Status string
	// Kind is what a visitor registered as (creditor or debtor); empty for
	// an account created by staff.
	Kind string
	// Role is empty until the account is active.
	Role       string
	CreditorID string
	DebtorID   string
	// MFAEnrolled tells whether a TOTP device is active.
	MFAEnrolled bool
	// Locked lists the locked factors, sorted. The decider has no clock,
	// so a lock that expired by itself stays listed until an admin unlocks
	// the account; unlocking it then is harmless. Evolve never appends to
	// a slice another state may share.
	Locked  []string
	version int64
}

// Version implements State.
func (s AccountState) Version() int64 { return s.version }

var accountBehaviour = Behaviour{
	Type:   AccountAggregate,
	New:    func(id string) State { return AccountState{ID: id} },
	Decide: func(s State, c Command) ([]Event, error) { return decideAccount(s.(AccountState), c) },
	Evolve: func(s State, e Event) State { return evolveAccount(s.(AccountState), e) },
}

func decideAccount(s AccountState, c Command) ([]Event, error) {
	switch c := c.(type) {
	case RegisterAccount:
		if s.version > 0 {
			return nil, Reject(CodeAlreadyExists, fmt.Sprintf("account %s already exists", s.ID))
		}
		var fe FieldErrors
		checkCanonicalUUID(&fe, "id", c.ID)
		checkOneOf(&fe, "kind", c.Kind, accountKinds)
		if err := fe.Err(); err != nil {
			return nil, err
		}
		if len(c.Personal) == 0 {
			return nil, Reject(CodeInvalid, "a registration needs its personal part (e-mail, name, identity)")
		}
		return []Event{AccountRegistered(c)}, nil

	case CreateAccount:
		if s.version > 0 {
			return nil, Reject(CodeAlreadyExists, fmt.Sprintf("account %s already exists", s.ID))
		}
		var fe FieldErrors
		checkCanonicalUUID(&fe, "id", c.ID)
		if checkOneOf(&fe, "role", c.Role, roles) {
			checkAccountLinks(&fe, c.Role, c.CreditorID, c.DebtorID)
		}
		if err := fe.Err(); err != nil {
			return nil, err
		}
		if len(c.Personal) == 0 {
			return nil, Reject(CodeInvalid, "an account needs its personal part (e-mail, name)")
		}
		return []Event{AccountCreated(c)}, nil

	case ApproveRegistration:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if s.Status != AccountStatusPending {
			return nil, wrongAccountStatus(s, "only a pending registration can be approved")
		}
		var fe FieldErrors
		checkAccountLinks(&fe, s.Kind, c.CreditorID, c.DebtorID)
		if err := fe.Err(); err != nil {
			return nil, err
		}
		return []Event{RegistrationApproved{ID: c.ID, Role: s.Kind, CreditorID: c.CreditorID, DebtorID: c.DebtorID}}, nil

	case RejectRegistration:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if s.Status != AccountStatusPending {
			return nil, wrongAccountStatus(s, "only a pending registration can be rejected")
		}
		var fe FieldErrors
		checkReason(&fe, c.Reason, true)
		if err := fe.Err(); err != nil {
			return nil, err
		}
		return []Event{RegistrationRejected(c)}, nil

	case ChangeRole:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if s.Status == AccountStatusPending || s.Status == AccountStatusRejected {
			return nil, wrongAccountStatus(s, "only an active or disabled account changes role")
		}
		if !IsStaffRole(s.Role) {
			return nil, Reject(CodeInvalid,
				fmt.Sprintf("account %s is a %s account; only a staff account changes role", s.ID, s.Role))
		}
		var fe FieldErrors
		checkOneOf(&fe, "role", c.Role, staffRoles)
		if err := fe.Err(); err != nil {
			return nil, err
		}
		if c.Role == s.Role {
			return nil, Reject(CodeNoChange, fmt.Sprintf("account %s is already %s", s.ID, s.Role))
		}
		return []Event{RoleChanged{ID: c.ID, From: s.Role, To: c.Role}}, nil

	case DisableAccount:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if s.Status == AccountStatusDisabled {
			return nil, Reject(CodeNoChange, fmt.Sprintf("account %s is already disabled", s.ID))
		}
		if s.Status != AccountStatusActive {
			return nil, wrongAccountStatus(s, "only an active account can be disabled")
		}
		var fe FieldErrors
		checkReason(&fe, c.Reason, false)
		if err := fe.Err(); err != nil {
			return nil, err
		}
		return []Event{AccountDisabled(c)}, nil

	case EnableAccount:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if s.Status == AccountStatusActive {
			return nil, Reject(CodeNoChange, fmt.Sprintf("account %s is already active", s.ID))
		}
		if s.Status != AccountStatusDisabled {
			return nil, wrongAccountStatus(s, "only a disabled account can be enabled")
		}
		return []Event{AccountEnabled(c)}, nil

	case EnrollMFA:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if s.Status != AccountStatusActive {
			return nil, wrongAccountStatus(s, "only an active account can enrol MFA")
		}
		if s.MFAEnrolled {
			return nil, Reject(CodeNoChange,
				fmt.Sprintf("account %s has already enrolled MFA; reset it before enrolling another device", s.ID))
		}
		return []Event{MFAEnrolled(c)}, nil

	case ResetMFA:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if !s.MFAEnrolled {
			return nil, Reject(CodeNoChange, fmt.Sprintf("account %s has no MFA enrolled; there is nothing to reset", s.ID))
		}
		var fe FieldErrors
		checkReason(&fe, c.Reason, false)
		if err := fe.Err(); err != nil {
			return nil, err
		}
		return []Event{MFAReset(c)}, nil

	case LockAccount:
		// A lock is a fact the login path already acted on: it is recorded
		// whatever the account's status.
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		var fe FieldErrors
		checkOneOf(&fe, "factor", c.Factor, lockFactors)
		switch {
		case c.Permanent && !c.Until.IsZero():
			fe.Add("until", "must be empty for a permanent lock")
		case !c.Permanent && c.Until.IsZero():
			fe.Add("until", "is required for a lock that is not permanent")
		}
		if c.Failures < 0 {
			fe.Add("failures", "cannot be negative")
		}
		if err := fe.Err(); err != nil {
			return nil, err
		}
		return []Event{AccountLocked{ID: c.ID, Factor: c.Factor, Until: c.Until.UTC(), Failures: c.Failures, Permanent: c.Permanent}}, nil

	case UnlockAccount:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		if len(s.Locked) == 0 {
			return nil, Reject(CodeNoChange, fmt.Sprintf("account %s is not locked", s.ID))
		}
		return []Event{AccountUnlocked{ID: c.ID, Factors: slices.Clone(s.Locked)}}, nil

	case RecordLogin:
		// The audit trail keeps every attempt, a disabled account's too.
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		var fe FieldErrors
		checkOneOf(&fe, "outcome", c.Outcome, loginOutcomes)
		checkOneOf(&fe, "factor", c.Factor, loginFactors)
		if c.Outcome == LoginOutcomeSucceeded && c.Reason != "" {
			fe.Add("reason", "only a failed login has a reason")
		} else {
			checkReason(&fe, c.Reason, false)
		}
		if err := fe.Err(); err != nil {
			return nil, err
		}
		if c.Outcome == LoginOutcomeSucceeded {
			return []Event{LoginSucceeded{ID: c.ID, Factor: c.Factor}}, nil
		}
		return []Event{LoginFailed{ID: c.ID, Factor: c.Factor, Reason: c.Reason}}, nil

	case NoteRegistrationAttempt:
		if err := accountMustExist(s); err != nil {
			return nil, err
		}
		return []Event{RegistrationAttempted(c)}, nil

	default:
		return nil, fmt.Errorf("account cannot handle %T", c)
	}
}

func evolveAccount(s AccountState, e Event) AccountState {
	switch e := e.(type) {
	case AccountRegistered:
		s.ID, s.Status, s.Kind = e.ID, AccountStatusPending, internAccountValue(e.Kind, roles)
	case AccountCreated:
		s.ID, s.Status, s.Role = e.ID, AccountStatusActive, internAccountValue(e.Role, roles)
		s.CreditorID, s.DebtorID = e.CreditorID, e.DebtorID
	case RegistrationApproved:
		s.Status, s.Role = AccountStatusActive, internAccountValue(e.Role, roles)
		s.CreditorID, s.DebtorID = e.CreditorID, e.DebtorID
	case RegistrationRejected:
		s.Status = AccountStatusRejected
	case RoleChanged:
		s.Role = internAccountValue(e.To, roles)
	case AccountDisabled:
		s.Status = AccountStatusDisabled
	case AccountEnabled:
		s.Status = AccountStatusActive
	case MFAEnrolled:
		s.MFAEnrolled = true
	case MFAReset:
		s.MFAEnrolled = false
	case AccountLocked:
		if !slices.Contains(s.Locked, e.Factor) {
			// A new slice: the state before this event keeps its own.
			locked := append(slices.Clone(s.Locked), internAccountValue(e.Factor, lockFactors))
			slices.Sort(locked)
			s.Locked = locked
		}
	case AccountUnlocked:
		s.Locked = nil
	}
	s.version++
	return s
}

// internAccountValue returns the constant equal to v, if any: one state per account
// is kept in the decider's memory, and a shared string costs nothing. A
// value that is not (or no longer) known is kept as written.
func internAccountValue(v string, known []string) string {
	if i := slices.Index(known, v); i >= 0 {
		return known[i]
	}
	return v
}

func accountMustExist(s AccountState) error {
	if s.version == 0 {
		return Reject(CodeNotFound, fmt.Sprintf("account %s does not exist", s.ID))
	}
	return nil
}

func wrongAccountStatus(s AccountState, rule string) error {
	return Reject(CodeWrongStatus, fmt.Sprintf("account %s is %s; %s", s.ID, s.Status, rule))
}

// checkAccountLinks checks that an account of role is linked to exactly
// the record its role needs: a creditor account to a creditor, a debtor
// account to a debtor, a staff account to nothing. The link is what scopes
// every query of a creditor or a debtor, so a missing or extra one is
// refused rather than guessed.
func checkAccountLinks(fe *FieldErrors, role, creditorID, debtorID string) {
	switch role {
	case RoleCreditor:
		checkCanonicalUUID(fe, "creditor_id", creditorID)
		if debtorID != "" {
			fe.Add("debtor_id", "must be empty: a creditor account is linked to a creditor only")
		}
	case RoleDebtor:
		checkCanonicalUUID(fe, "debtor_id", debtorID)
		if creditorID != "" {
			fe.Add("creditor_id", "must be empty: a debtor account is linked to a debtor only")
		}
	default:
		if creditorID != "" {
			fe.Add("creditor_id", "must be empty for a staff account")
		}
		if debtorID != "" {
			fe.Add("debtor_id", "must be empty for a staff account")
		}
	}
}

// checkCanonicalUUID requires id to be a UUID as uuid.UUID.String writes
// it: 36 characters, lowercase hex digits grouped 8-4-4-4-12. One
// spelling per id keeps keys, partitions and read-model joins agreeing;
// the nil UUID is refused.
func checkCanonicalUUID(fe *FieldErrors, field, id string) {
	switch {
	case id == "":
		fe.Add(field, "is required")
	case !isCanonicalUUID(id):
		fe.Add(field, "must be a UUID in canonical form (lowercase hex digits grouped 8-4-4-4-12)")
	}
}

func isCanonicalUUID(s string) bool {
	if len(s) != 36 || s == "00000000-0000-0000-0000-000000000000" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// MaxReasonLength bounds the free-text reason of a command (an account's,
// an erasure's), in runes.
const MaxReasonLength = 500

// checkReason checks a free-text reason. Line breaks are allowed
// (a rejection may be a short letter); other control characters and
// invisible formatting (a bidi override reorders what staff read) are not.
func checkReason(fe *FieldErrors, v string, required bool) {
	if strings.TrimSpace(v) == "" {
		if required {
			fe.Add("reason", "is required")
		}
		return
	}
	if !utf8.ValidString(v) {
		fe.Add("reason", "is not valid UTF-8 text")
		return
	}
	if n := utf8.RuneCountInString(v); n > MaxReasonLength {
		fe.Add("reason", fmt.Sprintf("is too long (at most %d characters)", MaxReasonLength))
		return
	}
	for _, r := range v {
		if r == '\n' || r == '\r' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			fe.Add("reason", "contains control or invisible characters")
			return
		}
	}
}
