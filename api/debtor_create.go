package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// debtorCreate registers a debtor: POST /api/v1/debtors.
func (s *Server) debtorCreate(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in collection.DebtorInput
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
	render := func(_ context.Context, id string) error { return s.renderDebtor(c, http.StatusCreated, id) }
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
	claimed := map[string]string{}
	releaseAll := func() {
		for field, v := range claimed {
			s.release(ctx, "debtor_"+field, v, id)
		}
	}
	for field, v := range debtorClaims(personal.NIN, personal.NIF) {
		holder, err := s.claim(ctx, "debtor_"+field, v, id, s.debtorExists)
		if err != nil {
			releaseAll()
			return err
		}
		if holder != "" {
			releaseAll()
			if !principalOf(c).Role.Staff() {
				return takenUnseen(field)
			}
			return taken("debtor", field, holder)
		}
		claimed[field] = v
	}
	ref, err := s.reserveRef(ctx, "D", id)
	if err != nil {
		releaseAll()
		return err
	}
	claimed["ref"] = ref
	if err := s.cfg.Keys.Create(ctx, id); err != nil {
		return err
	}
	sealed, err := s.cfg.Sealer.Seal(ctx, id, personal)
	if err != nil {
		return err
	}
	submitted = true
	res, err := s.submit(c, idem.commandID, collection.AnyVersion,
		collection.RegisterDebtor{ID: id, Ref: ref, Profile: profile, Personal: sealed}, id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, idem.commandID)
	}
	if err != nil {
		s.release(ctx, "ref", ref, id)
		delete(claimed, "ref")
		releaseAll()
		return err
	}
	if !res.visible {
		return pending(c, idem.commandID)
	}
	return render(ctx, id)
}
