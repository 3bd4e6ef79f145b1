package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// creditorGet shows one creditor: GET /api/v1/creditors/:id.
func (s *Server) creditorGet(c echo.Context) error {
	id, err := pathID(c, "creditor")
	if err != nil {
		return err
	}
	return s.renderCreditor(c, http.StatusOK, id)
}
