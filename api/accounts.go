package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/store"
)

// accountView is an account or registration as staff see it.
type accountView struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"`
	Kind         string          `json:"kind,omitempty"`
	Role         string          `json:"role,omitempty"`
	CreditorID   string          `json:"creditor_id,omitempty"`
	DebtorID     string          `json:"debtor_id,omitempty"`
	Email        string          `json:"email"`
	FullName     string          `json:"full_name"`
	Phone        string          `json:"phone,omitempty"`
	Declared     json.RawMessage `json:"declared,omitempty"`
	MFAEnrolled  bool            `json:"mfa_enrolled"`
	StatusReason string          `json:"status_reason,omitempty"`
	Version      int64           `json:"version"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
}

func viewAccount(a store.Account) accountView {
	v := accountView{ID: a.ID, Status: a.Status, Kind: a.Kind, Role: a.Role, CreditorID: deref(a.CreditorID),
		DebtorID: deref(a.DebtorID), Email: a.Email, FullName: a.FullName, Phone: a.Phone, MFAEnrolled: a.MfaEnrolled,
		StatusReason: a.StatusReason, Version: a.Version, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if string(a.Declared) != "{}" {
		v.Declared = a.Declared
	}
	return v
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// registrationRequest is POST /api/v1/registrations.
type registrationRequest struct {
	collection.RegistrationInput
	Password string `json:"password"`
}

// registrationAccepted is the one answer to every well-formed
// registration, whether or not the e-mail is already an account's.
type registrationAccepted struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// registrationCreate records a visitor's registration: POST
// /api/v1/registrations. It answers 202 the same way for a new e-mail and
// for one that is already a login, and takes comparable time (one hash, one
// command), so it reveals nothing about who has an account.
func (s *Server) registrationCreate(c echo.Context) error {
	if err := s.throttleIP(c); err != nil {
		return err
	}
	var in registrationRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	err := s.cfg.Identity.Register(c.Request().Context(), in.RegistrationInput, in.Password, s.registrationSubmitter(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, registrationAccepted{Status: "pending",
		Message: "thank you: ADC staff will review your registration and write to you at the e-mail you gave"})
}

// accountSubmitter decides account commands as the request's actor.
func (s *Server) accountSubmitter(c echo.Context) identity.Submit {
	return func(ctx context.Context, cmd collection.Command, accountID string) error {
		_, err := s.submitAs(ctx, actor(c), newID(), collection.AnyVersion, cmd, accountID, correlationID(c))
		return err
	}
}

// registrationSubmitter is accountSubmitter for registrations: a command
// whose outcome is late is in the log and will be decided, which is all
// the visitor is told anyway.
func (s *Server) registrationSubmitter(c echo.Context) identity.Submit {
	submit := s.accountSubmitter(c)
	return func(ctx context.Context, cmd collection.Command, accountID string) error {
		if err := submit(ctx, cmd, accountID); !errors.Is(err, events.ErrPending) {
			return err
		}
		return nil
	}
}

func (s *Server) registrationList(c echo.Context) error { return s.listAccounts(c, true) }

func (s *Server) userList(c echo.Context) error { return s.listAccounts(c, false) }

// listAccounts lists registrations (?status=pending by default... any
// status given) or users, newest first, with cursor paging.
func (s *Server) listAccounts(c echo.Context, registrations bool) error {
	p, err := parseList(c, "status", "role")
	if err != nil {
		return err
	}
	rows, err := s.q.AccountList(c.Request().Context(), store.AccountListParams{
		Status: p.filters["status"], Role: p.filters["role"], Registrations: registrations,
		AfterCreatedAt: p.afterCreatedAt, AfterID: p.afterID, RowLimit: p.limit + 1,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page(rows, p.limit, viewAccount, func(a store.Account) (time.Time, string) { return a.CreatedAt, a.ID }))
}

func (s *Server) registrationGet(c echo.Context) error { return s.showAccount(c, "registration", true) }

func (s *Server) userGet(c echo.Context) error { return s.showAccount(c, "user", false) }

func (s *Server) showAccount(c echo.Context, kind string, registration bool) error {
	id, err := pathID(c, kind)
	if err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, kind, id, registration)
}

func (s *Server) renderAccount(c echo.Context, status int, kind, id string, registration bool) error {
	a, err := s.q.AccountGet(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && registration && a.Kind == "") {
		return notFound(kind, id)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(a.Version))
	return c.JSON(status, viewAccount(a))
}

// approvalRequest links the registration to an existing creditor or debtor
// record (the staff member checked the declared NIF or NIN against it).
type approvalRequest struct {
	CreditorID string `json:"creditor_id"`
	DebtorID   string `json:"debtor_id"`
}

func (s *Server) registrationApprove(c echo.Context) error {
	id, err := pathID(c, "registration")
	if err != nil {
		return err
	}
	var in approvalRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	acc, err := s.registration(c, id)
	if err != nil {
		return err
	}
	var fe collection.FieldErrors
	switch acc.Kind {
	case collection.RoleCreditor:
		if in.DebtorID != "" {
			fe.Add("debtor_id", "a creditor's registration is linked to a creditor: give creditor_id")
		}
		if in.CreditorID == "" {
			fe.Add("creditor_id", "is required: the creditor record this account acts for")
		} else if err := s.mustBeActive(c, "creditor", in.CreditorID); err != nil {
			fe.Add("creditor_id", err.Error())
		}
	case collection.RoleDebtor:
		if in.CreditorID != "" {
			fe.Add("creditor_id", "a debtor's registration is linked to a debtor: give debtor_id")
		}
		if in.DebtorID == "" {
			fe.Add("debtor_id", "is required: the debtor record this account acts for")
		} else if err := s.mustBeActive(c, "debtor", in.DebtorID); err != nil {
			fe.Add("debtor_id", err.Error())
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if answered, err := s.submitAccount(c, id, collection.ApproveRegistration{ID: id, CreditorID: in.CreditorID, DebtorID: in.DebtorID}); answered || err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, "registration", id, true)
}

// mustBeActive checks a record an approval links to: it exists and is not
// archived.
func (s *Server) mustBeActive(c echo.Context, kind, id string) error {
	ctx := c.Request().Context()
	var status string
	var err error
	if kind == "creditor" {
		var r store.Creditor
		r, err = s.q.CreditorGet(ctx, store.CreditorGetParams{ID: id})
		status = r.Status
	} else {
		var r store.Debtor
		r, err = s.q.DebtorGet(ctx, store.DebtorGetParams{ID: id})
		status = r.Status
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errors.New("no " + kind + " with this id")
	case err != nil:
		return errors.New("is not a valid id")
	case status != collection.StatusActive:
		return errors.New("the " + kind + " is " + status)
	}
	return nil
}

func (s *Server) registration(c echo.Context, id string) (store.Account, error) {
	acc, err := s.q.AccountGet(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && acc.Kind == "") {
		return acc, notFound("registration", id)
	}
	return acc, err
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) registrationReject(c echo.Context) error {
	id, err := pathID(c, "registration")
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	if _, err := s.registration(c, id); err != nil {
		return err
	}
	if answered, err := s.submitAccount(c, id, collection.RejectRegistration{ID: id, Reason: in.Reason}); answered || err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, "registration", id, true)
}

// userCreateRequest is POST /api/v1/users: a staff account.
type userCreateRequest struct {
	collection.StaffInput
	Password string `json:"password"`
}

func (s *Server) userCreate(c echo.Context) error {
	var in userCreateRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	id, err := s.cfg.Identity.CreateStaff(c.Request().Context(), in.StaffInput, in.Password, s.accountSubmitter(c))
	if errors.Is(err, identity.ErrEmailTaken) {
		return problem(http.StatusConflict, "email-taken", "E-mail already in use", "this e-mail is already an account's login",
			collection.FieldError{Field: "email", Reason: "already an account's login"})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/users/"+id)
	return s.renderAccount(c, http.StatusCreated, "user", id, false)
}

// staff loads an account the user routes may change.
func (s *Server) user(c echo.Context) (store.Account, error) {
	id, err := pathID(c, "user")
	if err != nil {
		return store.Account{}, err
	}
	acc, err := s.q.AccountGet(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) {
		return acc, notFound("user", id)
	}
	return acc, err
}

func (s *Server) userRole(c echo.Context) error {
	acc, err := s.user(c)
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	if acc.ID == principalOf(c).AccountID {
		return problem(http.StatusConflict, "own-account", "Not on your own account",
			"an admin cannot change their own role; ask another admin")
	}
	if answered, err := s.submitAccount(c, acc.ID, collection.ChangeRole{ID: acc.ID, Role: in.Role}); answered || err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, "user", acc.ID, false)
}

func (s *Server) userDisable(c echo.Context) error {
	acc, err := s.user(c)
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	if acc.ID == principalOf(c).AccountID {
		return problem(http.StatusConflict, "own-account", "Not on your own account", "an admin cannot disable their own account")
	}
	answered, err := s.submitAccount(c, acc.ID, collection.DisableAccount{ID: acc.ID, Reason: in.Reason})
	if err != nil {
		return err
	}
	// The sessions end now, not when the projection catches up, and also
	// when the decision is late (202): the command is in the log.
	n, err := s.cfg.Identity.EndSessions(c.Request().Context(), acc.ID, "account disabled")
	if err != nil {
		return err
	}
	s.securityFact(c, principalOf(c), "sessions.ended", "succeeded", "account", acc.ID, map[string]any{"reason": "account disabled", "sessions": n})
	if answered {
		return nil
	}
	return s.renderAccount(c, http.StatusOK, "user", acc.ID, false)
}

func (s *Server) userEnable(c echo.Context) error {
	acc, err := s.user(c)
	if err != nil {
		return err
	}
	if answered, err := s.submitAccount(c, acc.ID, collection.EnableAccount{ID: acc.ID}); answered || err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, "user", acc.ID, false)
}

func (s *Server) userResetMFA(c echo.Context) error {
	acc, err := s.user(c)
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	answered, err := s.submitAccount(c, acc.ID, collection.ResetMFA{ID: acc.ID, Reason: in.Reason})
	if err != nil {
		return err
	}
	if err := s.cfg.Identity.ResetMFA(c.Request().Context(), acc.ID); err != nil {
		return err
	}
	if answered {
		return nil
	}
	return s.renderAccount(c, http.StatusOK, "user", acc.ID, false)
}

func (s *Server) userUnlock(c echo.Context) error {
	acc, err := s.user(c)
	if err != nil {
		return err
	}
	// The credentials are unlocked whatever the event says: an expired
	// lock the aggregate still lists is unlocked all the same.
	if err := s.cfg.Identity.Unlock(c.Request().Context(), acc.ID); err != nil {
		return err
	}
	if answered, err := s.submitAccount(c, acc.ID, collection.UnlockAccount{ID: acc.ID}); answered {
		return err
	} else if err != nil {
		if rej, ok := collection.AsRejection(err); !ok || rej.Code != collection.CodeNoChange {
			return err
		}
	}
	return s.renderAccount(c, http.StatusOK, "user", acc.ID, false)
}
