package api

import (
	"net/http"

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
		RowLimit: p.limit + 1,
	})
	if err != nil {
		return err
	}
	body := listBody[creditorView]{Items: make([]creditorView, 0, len(rows))}
	for i, r := range rows {
		if i == int(p.limit) {
			last := rows[i-1]
			body.NextCursor = encodeCursor(last.CreatedAt, last.ID)
			break
		}
		body.Items = append(body.Items, newCreditorView(r))
	}
	return c.JSON(http.StatusOK, body)
}
