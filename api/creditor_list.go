package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/store"
)

// creditorList lists creditors, newest first: GET /api/v1/creditors.
func (s *Server) creditorList(c echo.Context) error {
	p, err := parsePartyList(c)
	if err != nil {
		return err
	}
	rows, err := s.q.CreditorList(c.Request().Context(), store.CreditorListParams{
		Status: p.status, Wilaya: p.wilaya, Q: p.q, AfterCreatedAt: p.afterCreatedAt, AfterID: p.afterID,
		RowLimit: p.limit + 1, ScopeCreditor: scopeOf(c).creditorsScope(),
	})
	if err != nil {
		return err
	}
	body := page(rows, p.limit, newCreditorView, func(r store.Creditor) (time.Time, string) { return r.CreatedAt, r.ID })
	return c.JSON(http.StatusOK, body)
}
