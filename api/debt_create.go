package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/store"
)

// debtCreate opens a case file: POST /api/v1/debts. The creditor and the
// debtor must exist and be active (invariants across aggregates, checked
// here against the read models); the creditor's own reference is unique
// per creditor (409 naming the existing debt).
func (s *Server) debtCreate(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in collection.DebtInput
	if err := decodeJSON(c, body, &in); err != nil {
		return err
	}
	p := principalOf(c)
	if p.Role == access.RoleCreditor {
		// A creditor opens debts for itself only: another creditor_id is
		// refused, never silently replaced.
		if in.CreditorID == "" {
			in.CreditorID = p.CreditorID
		} else if !strings.EqualFold(strings.TrimSpace(in.CreditorID), p.CreditorID) {
			return problem(http.StatusForbidden, "field-forbidden", "Field not settable by your role",
				"a creditor opens debts for itself only; leave creditor_id out",
				collection.FieldError{Field: "creditor_id", Reason: "must be your own creditor id, or left out"})
		}
	}
	cmd, text, err := in.Validate()
	if err != nil {
		return err
	}
	if err := s.checkParties(c, cmd.CreditorID, cmd.DebtorID); err != nil {
		return err
	}
	idem, err := s.idempotencyKey(c, body)
	if err != nil {
		return err
	}
	render := func(_ context.Context, id string) error { return s.renderDebt(c, http.StatusCreated, id) }
	if !idem.fresh {
		if err := s.replay(c, idem, render); !errors.Is(err, errUndecided) {
			return err
		}
	}
	ctx := c.Request().Context()
	submitted := false
	defer func() {
		if !submitted {
			s.forgetKey(ctx, idem)
		}
	}()
	if cmd.Personal, err = s.sealDebtText(ctx, cmd.DebtorID, text); err != nil {
		return err
	}
	id := idem.aggregateID
	extKey := cmd.CreditorID + "|" + strings.ToLower(cmd.ExternalRef)
	holder, err := s.claim(ctx, "debt_external_ref", extKey, id, s.debtExists)
	if err != nil {
		return err
	}
	if holder != "" {
		return taken("debt of this creditor", "external_ref", holder)
	}
	ref, err := s.reserveRef(ctx, "F", id)
	if err != nil {
		return err
	}
	cmd.ID, cmd.Ref, cmd.By = id, ref, p.AccountID
	submitted = true
	res, err := s.submit(c, idem.commandID, collection.AnyVersion, cmd, id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		s.release(ctx, "debt_external_ref", extKey, id)
		s.release(ctx, "ref", ref, id)
		return err
	}
	if !res.visible {
		return pending(c, idem.commandID)
	}
	return render(ctx, id)
}

// checkParties checks the creditor and the debtor a new debt names: both
// exist and are active, and a creditor's account names a debtor it may
// see (one it declared).
func (s *Server) checkParties(c echo.Context, creditorID, debtorID string) error {
	var fe collection.FieldErrors
	if err := s.mustBeActive(c, "creditor", creditorID); err != nil {
		fe.Add("creditor_id", err.Error())
	}
	if _, err := s.debtorRow(c, debtorID); err != nil {
		var p *Problem
		if !errors.As(err, &p) {
			return err
		}
		fe.Add("debtor_id", "no debtor with this id")
	} else if err := s.mustBeActive(c, "debtor", debtorID); err != nil {
		fe.Add("debtor_id", err.Error())
	}
	return fe.Err()
}

func (s *Server) debtExists(ctx context.Context, id string) (bool, error) {
	_, err := s.q.DebtGet(ctx, store.DebtGetParams{ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// debtGet is GET /api/v1/debts/:id.
func (s *Server) debtGet(c echo.Context) error {
	id, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	return s.renderDebt(c, http.StatusOK, id)
}

// debtHistory is GET /api/v1/debts/:id/history: the case file's events.
func (s *Server) debtHistory(c echo.Context) error {
	id, err := pathID(c, "debt")
	if err != nil {
		return err
	}
	if _, err := s.debtRow(c, id); err != nil {
		return err
	}
	return s.history(c, collection.DebtAggregate, s.debtExists)
}
