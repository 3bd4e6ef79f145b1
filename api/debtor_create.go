package api

import (
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
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
	return s.register(c, body, registration{
		kind: "debtor", refPrefix: "D",
		claims:   debtorClaims(personal.NIN, personal.NIF),
		exists:   s.debtorExists,
		personal: personal,
		command: func(id, ref string, sealed collection.Sealed) collection.Command {
			return collection.RegisterDebtor{ID: id, Ref: ref, Profile: profile, Personal: sealed}
		},
		render: s.renderDebtor,
	})
}
