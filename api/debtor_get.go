package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// debtorGet shows one debtor: GET /api/v1/debtors/:id.
func (s *Server) debtorGet(c echo.Context) error {
	id, err := pathID(c, "debtor")
	if err != nil {
		return err
	}
	return s.renderDebtor(c, http.StatusOK, id)
}
