package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// creditorUpdate changes some fields: PATCH /api/v1/creditors/:id. With
// If-Match, a stale version answers 412 and changes nothing.
func (s *Server) creditorUpdate(c echo.Context) error {
	id, err := pathID(c, "creditor")
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var patch collection.CreditorPatch
	if err := decodeJSON(c, body, &patch); err != nil {
		return err
	}
	if err := refuseStaffFields(c, "creditor", body); err != nil {
		return err
	}
	ctx := c.Request().Context()
	row, err := s.creditorRow(c, id)
	if err != nil {
		return err
	}
	if err := checkVersion(expected, row.Version); err != nil {
		return err
	}
	if err := refuseErased("creditor", id, row.Erased); err != nil {
		return err
	}
	changes, personal, fields, err := patch.Validate()
	if err != nil {
		return err
	}
	newNIF := slices.Contains(fields, "nif") && personal.NIF != row.Nif
	if newNIF {
		holder, err := s.claim(ctx, "creditor_nif", personal.NIF, id, s.creditorExists)
		if err != nil {
			return err
		}
		if holder != "" {
			return taken("creditor", "nif", holder)
		}
	}
	var sealed collection.Sealed
	if len(fields) > 0 {
		if sealed, err = s.cfg.Sealer.Seal(ctx, id, personal); err != nil {
			return err
		}
	}
	commandID := newID()
	res, err := s.submit(c, commandID, expected,
		collection.UpdateCreditor{ID: id, Changes: changes, PersonalFields: fields, Personal: sealed}, id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, commandID)
	}
	if err != nil {
		if newNIF {
			s.release(ctx, "creditor_nif", personal.NIF, id)
		}
		return err
	}
	if newNIF && row.Nif != "" {
		s.release(ctx, "creditor_nif", row.Nif, id)
	}
	if !res.visible {
		return pending(c, commandID)
	}
	return s.renderCreditor(c, http.StatusOK, id)
}

func staleVersion(expected, current int64) string {
	return "If-Match names version " + etag(expected) + " but the record is at version " + etag(current)
}
