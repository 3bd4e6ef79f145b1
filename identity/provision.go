package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// Submit decides one command on an account aggregate and returns the
// decider's rejection, if any, as the error. The API submits with the
// request's actor and waits for the read models; the command line submits
// as the operator.
type Submit func(ctx context.Context, cmd collection.Command, accountID string) error

// CreateStaff creates an active staff account: its login, then the
// account.create command. The password is checked against the policy
// first; an e-mail that is already a login gives ErrEmailTaken.
func (s *Service) CreateStaff(ctx context.Context, in collection.StaffInput, password string, submit Submit) (string, error) {
	role, personal, err := in.Validate()
	fe := fieldErrorsOf(err)
	if reason := access.CheckPassword(password); reason != "" {
		fe = append(fe, collection.FieldError{Field: "password", Reason: reason})
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	if err != nil {
		return "", err
	}
	hash, err := access.HashPassword(password)
	if err != nil {
		return "", err
	}
	id := uuid.Must(uuid.NewV7()).String()
	if err := s.StoreCredentials(ctx, id, personal.Email, hash); err != nil {
		return "", err
	}
	sealed, err := s.cfg.Sealer.Seal(ctx, id, personal)
	if err != nil {
		return "", err
	}
	if err := submit(ctx, collection.CreateAccount{ID: id, Role: role, Personal: sealed}, id); err != nil {
		s.forgetRefused(ctx, id, err)
		return "", err
	}
	return id, nil
}

// Register records a visitor's registration. Whether or not the e-mail is
// already a login, it costs one password hash and one command and returns
// nil: the caller answers the same either way. For a known e-mail the
// command notes the attempt on the existing account, for the audit.
func (s *Service) Register(ctx context.Context, in collection.RegistrationInput, password string, submit Submit) error {
	kind, personal, err := in.Validate()
	fe := fieldErrorsOf(err)
	if reason := access.CheckPassword(password); reason != "" {
		fe = append(fe, collection.FieldError{Field: "password", Reason: reason})
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	hash, err := access.HashPassword(password)
	if err != nil {
		return err
	}
	id := uuid.Must(uuid.NewV7()).String()
	err = s.StoreCredentials(ctx, id, personal.Email, hash)
	if errors.Is(err, ErrEmailTaken) {
		existing, err := store.New(s.cfg.Pool).CredentialsByEmail(ctx, NormalizeEmail(personal.Email))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // removed in between: nothing to note
		}
		if err != nil {
			return err
		}
		return submit(ctx, collection.NoteRegistrationAttempt{ID: existing.AccountID}, existing.AccountID)
	}
	if err != nil {
		return err
	}
	sealed, err := s.cfg.Sealer.Seal(ctx, id, personal)
	if err != nil {
		return err
	}
	if err := submit(ctx, collection.RegisterAccount{ID: id, Kind: kind, Personal: sealed}, id); err != nil {
		s.forgetRefused(ctx, id, err)
		return err
	}
	return nil
}

// forgetRefused frees the login of an account the decider refused to
// create. Any other error (a timeout) leaves it: the command may still be
// decided.
func (s *Service) forgetRefused(ctx context.Context, id string, err error) {
	if _, ok := collection.AsRejection(err); !ok {
		return
	}
	_ = store.New(s.cfg.Pool).CredentialsDelete(ctx, id)
}

func fieldErrorsOf(err error) collection.FieldErrors {
	if rej, ok := collection.AsRejection(err); ok && rej.Code == collection.CodeInvalid {
		return append(collection.FieldErrors(nil), rej.Errors...)
	}
	return nil
}

// ErrNotStaff is returned when an operation on staff names another account.
var ErrNotStaff = fmt.Errorf("identity: not a staff account")

// CreateLinked creates an active creditor or debtor account linked to its
// record, without the registration step: for the demo data and tests.
// Visitors come through Register and a staff approval.
func (s *Service) CreateLinked(ctx context.Context, role, creditorID, debtorID, email, fullName, password string, submit Submit) (string, error) {
	if reason := access.CheckPassword(password); reason != "" {
		return "", &PasswordError{Reason: reason}
	}
	hash, err := access.HashPassword(password)
	if err != nil {
		return "", err
	}
	id := uuid.Must(uuid.NewV7()).String()
	if err := s.StoreCredentials(ctx, id, email, hash); err != nil {
		return "", err
	}
	sealed, err := s.cfg.Sealer.Seal(ctx, id, collection.AccountPersonal{Email: NormalizeEmail(email), FullName: fullName})
	if err != nil {
		return "", err
	}
	cmd := collection.CreateAccount{ID: id, Role: role, CreditorID: creditorID, DebtorID: debtorID, Personal: sealed}
	if err := submit(ctx, cmd, id); err != nil {
		s.forgetRefused(ctx, id, err)
		return "", err
	}
	return id, nil
}
