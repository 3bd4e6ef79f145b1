package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// debtorUpdate changes some fields: PATCH /api/v1/debtors/:id.
func (s *Server) debtorUpdate(c echo.Context) error {
	id, err := pathID(c, "debtor")
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
	var patch collection.DebtorPatch
	if err := decodeJSON(c, body, &patch); err != nil {
		return err
	}
	ctx := c.Request().Context()
	row, err := s.debtorRow(c, id)
	if err != nil {
		return err
	}
	if err := checkVersion(expected, row.Version); err != nil {
		return err
	}
	if err := refuseErased("debtor", id, row.Erased); err != nil {
		return err
	}
	changes, personal, fields, err := patch.Validate(row.Kind)
	if err != nil {
		return err
	}
	if err := checkMergedChannel(row.PreferredChannel, row.Phones, row.Email, changes, personal, fields); err != nil {
		return err
	}
	current := map[string]string{"nin": row.Nin, "nif": row.Nif}
	claimed := map[string]string{}
	for field, v := range debtorClaims(personal.NIN, personal.NIF) {
		if !slices.Contains(fields, field) || v == current[field] {
			continue
		}
		holder, err := s.claim(ctx, "debtor_"+field, v, id, s.debtorExists)
		if err != nil {
			return err
		}
		if holder != "" {
			for f, v := range claimed {
				s.release(ctx, "debtor_"+f, v, id)
			}
			return taken("debtor", field, holder)
		}
		claimed[field] = v
	}
	var sealed collection.Sealed
	if len(fields) > 0 {
		if sealed, err = s.cfg.Sealer.Seal(ctx, id, personal); err != nil {
			return err
		}
	}
	commandID := newID()
	res, err := s.submit(c, commandID, expected,
		collection.UpdateDebtor{ID: id, Changes: changes, PersonalFields: fields, Personal: sealed}, id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, commandID)
	}
	if err != nil {
		for f, v := range claimed {
			s.release(ctx, "debtor_"+f, v, id)
		}
		return err
	}
	// An identifier changed or cleared frees the old value for others.
	for _, f := range []string{"nin", "nif"} {
		if slices.Contains(fields, f) && current[f] != "" && current[f] != fieldValue(personal, f) {
			s.release(ctx, "debtor_"+f, current[f], id)
		}
	}
	if !res.visible {
		return pending(c, commandID)
	}
	return s.renderDebtor(c, http.StatusOK, id)
}

func fieldValue(p collection.DebtorPersonal, field string) string {
	if field == "nin" {
		return p.NIN
	}
	return p.NIF
}

// checkMergedChannel checks the preferred channel against the record as it
// will be after the patch: clearing the last phone of an SMS debtor, or
// choosing e-mail without an address, leaves the debtor unreachable.
func checkMergedChannel(channel string, phones []string, email string, ch collection.DebtorChanges, p collection.DebtorPersonal, fields []string) error {
	if ch.PreferredChannel != nil {
		channel = *ch.PreferredChannel
	}
	if slices.Contains(fields, "phones") {
		phones = p.Phones
	}
	if slices.Contains(fields, "email") {
		email = p.Email
	}
	if err := collection.CheckPreferredChannel(channel, len(phones) > 0, email != ""); err != nil {
		return invalidRequest("the debtor could not be reached on the preferred channel",
			collection.FieldError{Field: "preferred_channel", Reason: err.Error()})
	}
	return nil
}
