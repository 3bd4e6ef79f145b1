package api

import (
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
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
	return s.register(c, body, registration{
		kind: "creditor", refPrefix: "C",
		claims:   map[string]string{"nif": personal.NIF},
		exists:   s.creditorExists,
		personal: personal,
		command: func(id, ref string, sealed collection.Sealed) collection.Command {
			return collection.RegisterCreditor{ID: id, Ref: ref, Profile: profile, Personal: sealed}
		},
		render: s.renderCreditor,
	})
}
