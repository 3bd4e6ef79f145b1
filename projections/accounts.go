package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Accounts projects account events into the accounts table: what staff see
// of users and registrations, and what sign-in checks (status, role, the
// creditor or debtor an account acts for). Sign-in facts (logins, locks)
// change no column; they are in the timeline.
type Accounts struct{ personal Personal }

// NewAccounts returns the accounts projection.
func NewAccounts(p Personal) *Accounts { return &Accounts{personal: p} }

// Name implements Projection.
func (*Accounts) Name() string { return "accounts" }

// Tables implements Projection.
func (*Accounts) Tables() []string { return []string{"accounts"} }

// declared is what a registration said to identify the company or person.
type declared struct {
	NIN string `json:"nin,omitempty"`
	NIF string `json:"nif,omitempty"`
	RC  string `json:"rc,omitempty"`
}

// Apply implements Projection.
func (a *Accounts) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	return foldParties(ctx, tx, a.personal, recs, partyFold[store.Account]{
		agg: collection.AccountAggregate,
		load: func(ctx context.Context, q *store.Queries, ids []string) ([]store.Account, error) {
			return q.AccountsGetMany(ctx, ids)
		},
		idOf:    func(r *store.Account) string { return r.ID },
		version: func(r *store.Account) int64 { return r.Version },
		apply:   a.apply,
		finish: func(row *store.Account, r Record) {
			row.Version, row.UpdatedAt = r.Env.Aggregate.Version, r.Env.OccurredAt
			if row.Erased {
				row.Email, row.FullName, row.Phone, row.Declared = "", "", "", []byte("{}")
			}
		},
		write: writeAccounts,
	})
}

func (a *Accounts) open(ctx context.Context, row *store.Account, id string, sealed collection.Sealed) error {
	var p collection.AccountPersonal
	erased, err := openPersonal(ctx, a.personal, id, sealed, &p)
	if err != nil {
		return err
	}
	d, err := json.Marshal(declared{NIN: p.NIN, NIF: p.NIF, RC: p.RC})
	if err != nil {
		return err
	}
	row.Email, row.FullName, row.Phone, row.Declared, row.Erased = p.Email, p.FullName, p.Phone, d, erased
	return nil
}

func (a *Accounts) apply(ctx context.Context, row *store.Account, r Record) (*store.Account, error) {
	if row == nil {
		switch e := r.Event.(type) {
		case collection.AccountRegistered:
			row = &store.Account{ID: e.ID, Status: collection.AccountStatusPending, Kind: e.Kind, CreatedAt: r.Env.OccurredAt}
			return row, a.open(ctx, row, e.ID, e.Personal)
		case collection.AccountCreated:
			row = &store.Account{ID: e.ID, Status: collection.AccountStatusActive, Role: e.Role,
				CreditorID: optional(e.CreditorID), DebtorID: optional(e.DebtorID), CreatedAt: r.Env.OccurredAt}
			return row, a.open(ctx, row, e.ID, e.Personal)
		}
		return nil, fmt.Errorf("accounts projection: %s before the account exists", r.Env.Type)
	}
	switch e := r.Event.(type) {
	case collection.RegistrationApproved:
		row.Status, row.Role, row.StatusReason = collection.AccountStatusActive, e.Role, ""
		row.CreditorID, row.DebtorID = optional(e.CreditorID), optional(e.DebtorID)
	case collection.RegistrationRejected:
		row.Status, row.StatusReason = collection.AccountStatusRejected, e.Reason
	case collection.RoleChanged:
		row.Role = e.To
	case collection.AccountDisabled:
		row.Status, row.StatusReason = collection.AccountStatusDisabled, e.Reason
	case collection.AccountEnabled:
		row.Status, row.StatusReason = collection.AccountStatusActive, ""
	case collection.MFAEnrolled:
		row.MfaEnrolled = true
	case collection.MFAReset:
		row.MfaEnrolled = false
	case collection.AccountLocked, collection.AccountUnlocked, collection.LoginSucceeded, collection.LoginFailed,
		collection.RegistrationAttempted:
	case collection.AccountRegistered, collection.AccountCreated:
		return nil, errors.New("accounts projection: the account already exists")
	default:
		return nil, fmt.Errorf("accounts projection cannot apply %T", r.Event)
	}
	return row, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func writeAccounts(ctx context.Context, q *store.Queries, rows []*store.Account) error {
	var up store.AccountsUpsertParams
	for _, row := range rows {
		up.ID = append(up.ID, row.ID)
		up.Status = append(up.Status, row.Status)
		up.Kind = append(up.Kind, row.Kind)
		up.Role = append(up.Role, row.Role)
		up.CreditorID = append(up.CreditorID, deref(row.CreditorID))
		up.DebtorID = append(up.DebtorID, deref(row.DebtorID))
		up.Email = append(up.Email, row.Email)
		up.FullName = append(up.FullName, row.FullName)
		up.Phone = append(up.Phone, row.Phone)
		up.Declared = append(up.Declared, row.Declared)
		up.MfaEnrolled = append(up.MfaEnrolled, row.MfaEnrolled)
		up.StatusReason = append(up.StatusReason, row.StatusReason)
		up.Erased = append(up.Erased, row.Erased)
		up.Version = append(up.Version, row.Version)
		up.CreatedAt = append(up.CreatedAt, row.CreatedAt)
		up.UpdatedAt = append(up.UpdatedAt, row.UpdatedAt)
	}
	return q.AccountsUpsert(ctx, up)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreditorDebtors links creditors to the debtors they may see: a debtor a
// creditor's account declared now, and the debtors of its debts once case
// files exist.
type CreditorDebtors struct{}

// Name implements Projection.
func (CreditorDebtors) Name() string { return "creditor_debtors" }

// Tables implements Projection.
func (CreditorDebtors) Tables() []string { return []string{"creditor_debtors"} }

// Apply implements Projection.
func (CreditorDebtors) Apply(ctx context.Context, tx pgx.Tx, recs []Record) error {
	var p store.CreditorDebtorsInsertParams
	for _, r := range recs {
		switch e := r.Event.(type) {
		case collection.DebtorRegistered:
			if r.Env.Actor.CreditorID != "" {
				p.CreditorID = append(p.CreditorID, r.Env.Actor.CreditorID)
				p.DebtorID = append(p.DebtorID, e.ID)
			}
		case collection.DebtOpened:
			p.CreditorID = append(p.CreditorID, e.CreditorID)
			p.DebtorID = append(p.DebtorID, e.DebtorID)
		}
	}
	if len(p.CreditorID) == 0 {
		return nil
	}
	return store.New(tx).CreditorDebtorsInsert(ctx, p)
}
