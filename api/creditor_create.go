package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// creditorCreate registers a creditor: POST /api/v1/creditors.
func (s *Server) creditorCreate(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in collection.CreditorInput
	if err := decodeJSON(c, body, &in); err != nil {
		return err
	}
	profile, personal, err := in.Validate()
	if err != nil {
		return err
	}
	idem, err := s.idempotencyKey(c, body)
	if err != nil {
		return err
	}
	render := func(_ context.Context, id string) error { return s.renderCreditor(c, http.StatusCreated, id) }
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
	id := idem.aggregateID
	holder, err := s.claim(ctx, "creditor_nif", personal.NIF, id, s.creditorExists)
	if err != nil {
		return err
	}
	if holder != "" {
		return taken("creditor", "nif", holder)
	}
	ref, err := s.reserveRef(ctx, "C", id)
	if err != nil {
		return err
	}
	if err := s.cfg.Keys.Create(ctx, id); err != nil {
		return err
	}
	sealed, err := s.cfg.Sealer.Seal(ctx, id, personal)
	if err != nil {
		return err
	}
	submitted = true
	res, err := s.submit(c, idem.commandID, collection.AnyVersion,
		collection.RegisterCreditor{ID: id, Ref: ref, Profile: profile, Personal: sealed}, id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		s.release(ctx, "creditor_nif", personal.NIF, id)
		s.release(ctx, "ref", ref, id)
		return err
	}
	if !res.visible {
		return pending(c, idem.commandID)
	}
	return render(ctx, id)
}

// taken is the 409 for a unique value another record holds.
// takenUnseen is the duplicate answer to a creditor's account: the debtor
// may belong to another creditor's portfolio, so its id is not given (the
// account could not read it anyway). ADC links it on request.
func takenUnseen(field string) *Problem {
	return problem(http.StatusConflict, "duplicate", "Already registered",
		"a debtor with this "+field+" is already registered with ADC; ask ADC to add it to your portfolio",
		collection.FieldError{Field: field, Reason: "already registered"})
}

func taken(kind, field, holder string) *Problem {
	p := problem(http.StatusConflict, "duplicate", "Already registered",
		"another "+kind+" already has this "+field+": "+holder,
		collection.FieldError{Field: field, Reason: "already used by " + kind + " " + holder})
	p.ExistingID = holder
	return p
}
