package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/store"
)

// debtorList lists debtors, newest first: GET /api/v1/debtors.
func (s *Server) debtorList(c echo.Context) error {
	p, err := parsePartyList(c)
	if err != nil {
		return err
	}
	cred, debt := scopeOf(c).debtorsScope()
	rows, err := s.q.DebtorList(c.Request().Context(), store.DebtorListParams{
		Status: p.status, Wilaya: p.wilaya, Q: p.q, AfterCreatedAt: p.afterCreatedAt, AfterID: p.afterID,
		RowLimit: p.limit + 1, ScopeCreditor: cred, ScopeDebtor: debt,
	})
	if err != nil {
		return err
	}
	body := page(rows, p.limit, newDebtorView, func(r store.Debtor) (time.Time, string) { return r.CreatedAt, r.ID })
	return c.JSON(http.StatusOK, body)
}
